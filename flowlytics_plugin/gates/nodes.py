"""Node ids for what a task declares as outlets or inlets."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit


def asset_node_id(uri: str) -> str:
    """An Airflow asset URI as an OpenLineage dataset node id, following OpenLineage's naming:
    file:///data/x.csv → dataset:file:/data/x.csv; postgres://host:5432/db/schema/table →
    dataset:postgres://host:5432:db.schema.table; s3://bucket/key → dataset:s3://bucket:key."""
    parts = urlsplit(uri)
    if parts.scheme == "file" or not parts.scheme:
        return f"dataset:file:{parts.path or uri}"
    namespace = f"{parts.scheme}://{parts.netloc}"
    path = parts.path.lstrip("/")
    if parts.scheme in ("postgres", "postgresql", "mysql", "mssql", "snowflake", "bigquery", "redshift", "trino"):
        path = path.replace("/", ".")
    return f"dataset:{namespace}:{path}"


def node_ids_from(items: Iterable[Any]) -> list[str]:
    ids = []
    for item in items or ():
        if isinstance(item, str):
            ids.append(item if item.startswith(("dataset:", "job:")) else asset_node_id(item))
        elif getattr(item, "uri", None):
            ids.append(asset_node_id(str(item.uri)))
        elif getattr(item, "namespace", None) and getattr(item, "name", None):  # an OpenLineage Dataset
            ids.append(f"dataset:{item.namespace}:{item.name}")
    return ids
