"""Airflow assets as workflow-draft events: the hook the plugin hands to the backend (which never imports
Airflow). Runs in the API server, where the metadata DB may be read."""

from __future__ import annotations

from lineage_backend.workflows.catalog import CatalogEvent

MAX_ASSETS = 5000


def airflow_assets() -> list[CatalogEvent]:
    from airflow.models.asset import AssetModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from flowlytics_plugin.gates.nodes import asset_node_id

    with create_session() as session:
        rows = session.execute(select(AssetModel.name, AssetModel.uri).order_by(AssetModel.id).limit(MAX_ASSETS)).all()
    return [
        CatalogEvent(id=f"asset:{name}", kind="asset", name=name, uri=uri, dataset_id=asset_node_id(uri))
        for name, uri in rows
    ]
