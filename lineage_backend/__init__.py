"""Flowlytics backend: receives OpenLineage events and serves lineage, runs and health.

This package never imports Airflow; the Airflow plugin wraps it.
"""

from __future__ import annotations

__version__ = "0.1.0"
