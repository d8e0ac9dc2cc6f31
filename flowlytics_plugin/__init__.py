"""Flowlytics' Airflow 3 plugin. Importing it has no side effects: task processes import plugins too."""

from __future__ import annotations
