"""The Airflow plugin: declarations only."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from flowlytics_plugin.app import URL_PREFIX, LazyApp
from flowlytics_plugin.gates.links import FlowlyticsImpactLink


class FlowlyticsPlugin(AirflowPlugin):
    name = "flowlytics"
    operator_extra_links = [FlowlyticsImpactLink()]
    fastapi_apps = [{"app": LazyApp(), "url_prefix": URL_PREFIX, "name": "Flowlytics"}]
    # One bundle; the query string picks the view (ES modules are cached per URL, so each entry needs its own).
    react_apps = [
        {
            "name": "Flowlytics",
            "bundle_url": "flowlytics/static/flowlytics.js?view=runs",
            "destination": "nav",
            "url_route": "flowlytics",
            "category": "browse",
        },
        {
            "name": "Lineage",
            "bundle_url": "flowlytics/static/flowlytics.js?view=lineage",
            "destination": "nav",
            "url_route": "flowlytics_lineage",
            "category": "browse",
        },
        {
            "name": "Batch Health",
            "bundle_url": "flowlytics/static/flowlytics.js?view=batch-health",
            "destination": "nav",
            "url_route": "flowlytics_batch_health",
            "category": "browse",
        },
        {
            "name": "Workflow drafts",
            "bundle_url": "flowlytics/static/flowlytics.js?view=workflow-drafts",
            "destination": "nav",
            "url_route": "flowlytics_workflow_drafts",
            "category": "browse",
        },
        {
            "name": "Alerts",
            "bundle_url": "flowlytics/static/flowlytics.js?view=alerts",
            "destination": "nav",
            "url_route": "flowlytics_alerts",
            "category": "browse",
        },
        {
            "name": "Analytics",
            "bundle_url": "flowlytics/static/flowlytics.js?view=analytics",
            "destination": "nav",
            "url_route": "flowlytics_analytics",
            "category": "browse",
        },
        {
            "name": "Batch health (run)",
            "bundle_url": "flowlytics/static/flowlytics.js?view=batch-run",
            "destination": "dag_run",
            "url_route": "flowlytics_batch_run",
        },
        {
            "name": "Latest batches",
            "bundle_url": "flowlytics/static/flowlytics.js?view=batch-widget",
            "destination": "dashboard",
        },
        {
            "name": "Lineage (DAG)",
            "bundle_url": "flowlytics/static/flowlytics.js?view=dag-lineage",
            "destination": "dag",
            "url_route": "flowlytics_dag_lineage",
        },
        {
            "name": "Analytics (DAG)",
            "bundle_url": "flowlytics/static/flowlytics.js?view=dag-analytics",
            "destination": "dag",
            "url_route": "flowlytics_dag_analytics",
        },
        {
            "name": "Inputs & outputs",
            "bundle_url": "flowlytics/static/flowlytics.js?view=task-io",
            "destination": "task",
            "url_route": "flowlytics_task_io",
        },
    ]
