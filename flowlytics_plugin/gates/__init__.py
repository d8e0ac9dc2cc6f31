"""Operators and sensors that gate DAG tasks on Flowlytics' impact and upstream-health answers.

Task code must not touch the metadata DB in Airflow 3: everything here talks HTTP to Flowlytics.
"""

from __future__ import annotations

from flowlytics_plugin.gates.hook import FlowlyticsHook
from flowlytics_plugin.gates.operators import ImpactGateOperator
from flowlytics_plugin.gates.sensors import UpstreamHealthSensor
from flowlytics_plugin.gates.taskflow import impact_gate, upstream_health

__all__ = ["FlowlyticsHook", "ImpactGateOperator", "UpstreamHealthSensor", "impact_gate", "upstream_health"]
