"""The Airflow plugin: declarations only."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from flowlytics_plugin.app import URL_PREFIX, LazyApp


class FlowlyticsPlugin(AirflowPlugin):
    name = "flowlytics"
    fastapi_apps = [{"app": LazyApp(), "url_prefix": URL_PREFIX, "name": "Flowlytics"}]
    react_apps = [
        {
            "name": "Flowlytics",
            "bundle_url": "flowlytics/static/flowlytics.js",
            "destination": "nav",
            "url_route": "flowlytics",
            "category": "browse",
        },
    ]
