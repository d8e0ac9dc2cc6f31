"""The app factory, used by the Airflow plugin, the standalone server and the tests alike."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI

from lineage_backend import __version__
from lineage_backend.api.errors import install_error_handlers
from lineage_backend.api.routes import analytics, batches, catalog, graph, health, lineage, metadata, runs
from lineage_backend.auth import ApiKeyAuthenticator, Authenticator
from lineage_backend.config import Settings
from lineage_backend.db import Database
from lineage_backend.graph.index import GraphIndex
from lineage_backend.services import graph as graph_service


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    authenticators: Sequence[Authenticator] = (),
) -> FastAPI:
    """Build the API. `authenticators` are tried after the API keys (the plugin adds Airflow's users)."""
    settings = settings or Settings.from_env()
    if database is None:
        if not settings.db_url:
            raise ValueError("no database: pass --db-url or set FLOWLYTICS_DB_URL (e.g. sqlite:///flowlytics.db)")
        database = Database.from_url(settings.db_url)
    app = FastAPI(
        title="Flowlytics",
        version=__version__,
        description="OpenLineage ingestion, lineage and run health. Errors are {'detail': '...'}.",
    )
    app.state.settings = settings
    app.state.database = database
    app.state.authenticators = [ApiKeyAuthenticator(settings), *authenticators]
    app.state.graph_index = GraphIndex(database, prepare=graph_service.prepare_node_json)
    install_error_handlers(app)
    for module in (health, lineage, runs, catalog, graph, metadata, batches, analytics):
        app.include_router(module.router)
    return app


def create_app_from_env() -> FastAPI:
    """Entry for `uvicorn --factory` workers of `flowlytics serve`."""
    app = create_app(Settings.from_env())
    app.state.graph_index.warm_up()
    return app
