"""The backend as Airflow mounts it: Airflow's metadata DB, Airflow users, and the UI bundle."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

URL_PREFIX = "/flowlytics"
BUNDLE_DIR = Path(__file__).resolve().parent / "www" / "dist"


def create_plugin_app() -> FastAPI:
    from flowlytics_plugin import conf
    from flowlytics_plugin.auth import AirflowUserAuthenticator
    from flowlytics_plugin.workflow_assets import airflow_assets
    from lineage_backend.app import create_app

    users = AirflowUserAuthenticator(
        dag_namespace=conf.openlineage_namespace(), foreign_dag_visibility=conf.foreign_dag_visibility()
    )
    app = create_app(conf.settings(), authenticators=[users])
    app.state.workflow_assets = airflow_assets  # workflow drafts may start on Airflow assets
    app.state.graph_index.warm_up()  # the first Flowlytics request of this API-server worker starts it
    # Built lazily on a request, so no lifespan runs for it: start the alert loop here (a daemon thread; the
    # database keeps several API servers and workers from doing anything twice).
    if app.state.settings.alerts_enabled:
        app.state.alerts.start()
    app.state.rollups.start()  # the rollup recount likewise (not when analytics_rollups is off)
    if BUNDLE_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=BUNDLE_DIR), name="static")
    return app


class LazyApp:
    """An ASGI app that builds the real one on first request, so that importing the plugin (also done in
    task processes, where DB access is blocked) creates no engine and reads no config."""

    def __init__(self) -> None:
        self._app: FastAPI | None = None
        self._lock = threading.Lock()

    def get(self) -> FastAPI:
        if self._app is None:
            with self._lock:
                if self._app is None:
                    self._app = create_plugin_app()
        return self._app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await self.get()(scope, receive, send)
