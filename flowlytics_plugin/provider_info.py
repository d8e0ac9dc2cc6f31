"""Provider metadata: registers the DB manager, so `pip install` + `airflow db migrate` is all it takes."""

from __future__ import annotations

from typing import Any


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "flowlytics",
        "name": "Flowlytics",
        "description": "OpenLineage lineage, batch health and impact analysis in the Airflow UI.",
        "versions": ["0.1.0"],
        "db-managers": ["flowlytics_plugin.db_manager.FlowlyticsDBManager"],
        "connection-types": [
            {
                "hook-class-name": "flowlytics_plugin.gates.hook.FlowlyticsHook",
                "connection-type": "flowlytics",
                "hook-name": "Flowlytics",
                # Airflow 3.3's UI reads the connection form from here, not from the hook.
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "login", "port", "extra"],
                    "relabeling": {"host": "Flowlytics URL", "password": "Read API key"},
                    "placeholders": {"host": "http://airflow-api-server:8080/flowlytics/"},
                },
            }
        ],
        "extra-links": ["flowlytics_plugin.gates.links.FlowlyticsImpactLink"],
        "config": {
            "flowlytics": {
                "description": "Flowlytics: OpenLineage receiver and views.",
                "options": {
                    "ingest_api_keys": {
                        "description": "Comma-separated bearer keys that emitters use to post events.",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "k1,k2",
                        "default": "",
                        "sensitive": True,
                    },
                    "read_api_keys": {
                        "description": "Comma-separated bearer keys for tools that read the API.",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": None,
                        "default": "",
                        "sensitive": True,
                    },
                    "admin_api_keys": {
                        "description": "Comma-separated bearer keys that may read and edit metadata.",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": None,
                        "default": "",
                        "sensitive": True,
                    },
                    "max_body_bytes": {
                        "description": "Largest accepted request body, before and after gzip.",
                        "version_added": "0.1.0",
                        "type": "integer",
                        "example": None,
                        "default": "8388608",
                    },
                    "env_by_namespace": {
                        "description": "Environment of batches without an env tag, as namespace=env pairs.",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "airflow_prod=prod,spark_dev=dev",
                        "default": "",
                    },
                    "retention_days": {
                        "description": "Default age after which `flowlytics db clean` deletes runs and raw events.",
                        "version_added": "0.1.0",
                        "type": "integer",
                        "example": None,
                        "default": "90",
                    },
                    "cost_rates": {
                        "description": "Run analytics rate card as JSON: price per runtime hour by job namespace "
                        "or DAG/task pattern, BigQuery price per TiB billed and per slot-hour (README, Analytics).",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": '{"runtimePerHour": [{"pattern": "etl_*", "price": 0.5}], '
                        '"bigquery": {"perTiB": 6.25}}',
                        "default": "",
                    },
                    "cost_budgets": {
                        "description": "Monthly cost budgets as JSON, per DAG or per owner.",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": '[{"dagId": "etl", "monthly": 200}, {"owner": "team-data", "monthly": 900}]',
                        "default": "",
                    },
                    "analytics_rollups": {
                        "description": "Keep the run-analytics rollups as events arrive; after turning them "
                        "back on, run `flowlytics analytics rebuild`.",
                        "version_added": "0.1.0",
                        "type": "boolean",
                        "example": "false",
                        "default": "true",
                    },
                    "rollup_flush_seconds": {
                        "description": "How often each API process recounts the runs ingestion marked into the "
                        "rollups (analytics reads recount what is still marked first, so they stay exact).",
                        "version_added": "0.1.0",
                        "type": "float",
                        "example": None,
                        "default": "3",
                    },
                    "db_url": {
                        "description": "Database for Flowlytics' tables; empty means Airflow's metadata DB.",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": None,
                        "default": "",
                    },
                },
            }
        },
    }
