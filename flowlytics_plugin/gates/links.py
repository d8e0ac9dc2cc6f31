from __future__ import annotations

from typing import Any
from urllib.parse import quote

from airflow.sdk import BaseOperatorLink

from flowlytics_plugin.gates.nodes import node_ids_from


class FlowlyticsImpactLink(BaseOperatorLink):
    """Opens the Lineage page on the node the gate checked."""

    name = "Flowlytics impact"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        nodes = list(getattr(operator, "node_ids", None) or getattr(operator, "dataset_ids", None) or [])
        nodes = nodes or node_ids_from(getattr(operator, "outlets", None) or [])
        if not nodes:
            return ""
        # Relative to the UI's base: the extra link opens inside the same Airflow.
        return f"plugin/flowlytics_lineage?node={quote(nodes[0], safe='')}"
