"""The app factory, used by the Airflow plugin, the standalone server and the tests alike."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from lineage_backend import __version__
from lineage_backend.alerting.engine import AlertEngine, EngineSettings
from lineage_backend.alerting.evaluate import EvaluationSettings
from lineage_backend.anomaly.detector import AnomalyConfig
from lineage_backend.api.drain import DrainUnreadBody
from lineage_backend.api.errors import install_error_handlers
from lineage_backend.api.routes import (
    alert_channels,
    alert_rules,
    analytics,
    anomalies,
    batches,
    catalog,
    graph,
    health,
    incidents,
    lineage,
    metadata,
    runs,
    workflows,
)
from lineage_backend.auth import ApiKeyAuthenticator, Authenticator
from lineage_backend.config import Settings
from lineage_backend.db import Database
from lineage_backend.graph.index import GraphIndex
from lineage_backend.ingest.rollup_worker import RollupMaintainer
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

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The alert loop runs in every worker and replica; the database keeps them from doing anything twice.
        # So does the rollup recount: runs are claimed under a lock, each counted once.
        engine: AlertEngine = app.state.alerts
        rollups: RollupMaintainer = app.state.rollups
        if settings.alerts_enabled:
            engine.start()
        rollups.start()  # not when the rollups are off (analytics_rollups)
        try:
            yield
        finally:
            rollups.stop()
            engine.stop()

    app = FastAPI(
        title="Flowlytics",
        version=__version__,
        description="OpenLineage ingestion, lineage and run health. Errors are {'detail': '...'}.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.authenticators = [ApiKeyAuthenticator(settings), *authenticators]
    app.state.graph_index = GraphIndex(database, prepare=graph_service.prepare_node_json)
    app.state.alerts = AlertEngine(database, app.state.graph_index, engine_settings(settings))
    app.state.rollups = RollupMaintainer(
        database,
        cost_rates=settings.cost_rates,
        enabled=settings.analytics_rollups,
        interval_seconds=settings.rollup_flush_seconds,
    )
    install_error_handlers(app)
    app.add_middleware(DrainUnreadBody)  # every early answer (401, 413, ...) readable by a client still sending
    # Airflow assets for workflow drafts: the plugin sets a function here (lineage_backend never imports airflow).
    app.state.workflow_assets = None
    app.state.workflow_model = None  # the optional model engine's model object, when a host supplies one
    for module in (
        health,
        lineage,
        runs,
        catalog,
        graph,
        metadata,
        batches,
        anomalies,
        alert_channels,
        alert_rules,
        incidents,
        workflows,
        analytics,
    ):
        app.include_router(module.router)
    return app


def engine_settings(settings: Settings) -> EngineSettings:
    return EngineSettings(
        lease=timedelta(seconds=settings.alert_lease_seconds),
        group_wait=timedelta(seconds=settings.alert_group_wait_seconds),
        smtp_url=settings.smtp_url,
        evaluation=EvaluationSettings(
            anomaly=AnomalyConfig(
                sensitivity=settings.anomaly_sensitivity,
                min_history=settings.anomaly_min_history,
                window=settings.anomaly_window,
            ),
            airflow_url=settings.airflow_url,
            env_by_namespace=settings.env_by_namespace,
            max_event_age=timedelta(hours=settings.alert_max_age_hours) if settings.alert_max_age_hours else None,
        ),
    )


def create_app_from_env() -> FastAPI:
    """Entry for `uvicorn --factory` workers of `flowlytics serve`."""
    app = create_app(Settings.from_env())
    app.state.graph_index.warm_up()
    return app
