"""Node ids: `job:<namespace>:<name>` and `dataset:<namespace>:<name>` (pure; used by every layer)."""

from __future__ import annotations


def job_node_id(namespace: str, name: str) -> str:
    return f"job:{namespace}:{name}"


def dataset_node_id(namespace: str, name: str) -> str:
    return f"dataset:{namespace}:{name}"
