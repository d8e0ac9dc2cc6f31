"""Typed accessors for the `[flowlytics]` section of airflow.cfg (or AIRFLOW__FLOWLYTICS__* variables)."""

from __future__ import annotations

import os

from lineage_backend.analytics.cost import Budget, CostRates, parse_cost_budgets, parse_cost_rates
from lineage_backend.auth import ForeignDagVisibility, parse_foreign_dag_visibility
from lineage_backend.config import (
    DEFAULT_MAX_BATCH_EVENTS,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_RETENTION_DAYS,
    Settings,
    parse_env_map,
    split_keys,
)

SECTION = "flowlytics"


def _get(key: str, fallback: str = "") -> str:
    from airflow.configuration import conf

    return str(conf.get(SECTION, key, fallback=fallback) or "")


def ingest_api_keys() -> tuple[str, ...]:
    """Bearer keys that emitters use to post events (`ingest_api_keys`, comma-separated)."""
    return split_keys(_get("ingest_api_keys"))


def read_api_keys() -> tuple[str, ...]:
    return split_keys(_get("read_api_keys"))


def admin_api_keys() -> tuple[str, ...]:
    return split_keys(_get("admin_api_keys"))


def max_body_bytes() -> int:
    return int(_get("max_body_bytes", str(DEFAULT_MAX_BODY_BYTES)))


def max_batch_events() -> int:
    return int(_get("max_batch_events", str(DEFAULT_MAX_BATCH_EVENTS)))


def env_by_namespace() -> dict[str, str]:
    """`env_by_namespace = airflow_prod=prod,spark_dev=dev`: environment of batches without an env tag."""
    return parse_env_map(_get("env_by_namespace"))


def retention_days() -> int:
    return int(_get("retention_days", str(DEFAULT_RETENTION_DAYS)))


def foreign_dag_visibility() -> ForeignDagVisibility:
    """`foreign_dag_visibility = all_dags_readers | everyone`: who sees the DAG jobs of other OpenLineage
    namespaces (other Airflow deployments). Users who may read every DAG always do."""
    return parse_foreign_dag_visibility(_get("foreign_dag_visibility"))


def openlineage_namespace() -> str:
    """This Airflow's OpenLineage namespace, resolved as the OpenLineage provider does: `[openlineage]
    namespace`, else $OPENLINEAGE_NAMESPACE, else "default". Airflow's per-DAG permissions apply there."""
    from airflow.configuration import conf

    return str(conf.get("openlineage", "namespace", fallback="") or "") or os.getenv("OPENLINEAGE_NAMESPACE", "default")


def workflow_operations() -> str:
    """`workflow_operations = /opt/airflow/workflow_operations.yaml` (or a module path): reviewed operations."""
    return _get("workflow_operations")


def cost_rates() -> CostRates:
    """`cost_rates`: the rate card as JSON (price per runtime hour by namespace or DAG/task pattern, BigQuery
    per TiB and per slot-hour); see the README's Analytics section."""
    return parse_cost_rates(_get("cost_rates"))


def cost_budgets() -> tuple[Budget, ...]:
    """`cost_budgets`: monthly budgets as JSON, e.g. [{"dagId": "etl", "monthly": 200}]."""
    return parse_cost_budgets(_get("cost_budgets"))


def db_url() -> str:
    """Flowlytics' tables live in Airflow's metadata database unless `db_url` points elsewhere."""
    from airflow.configuration import conf

    return _get("db_url") or str(conf.get("database", "sql_alchemy_conn"))


def settings() -> Settings:
    return Settings(
        db_url=db_url(),
        ingest_api_keys=ingest_api_keys(),
        read_api_keys=read_api_keys(),
        admin_api_keys=admin_api_keys(),
        max_body_bytes=max_body_bytes(),
        max_batch_events=max_batch_events(),
        env_by_namespace=env_by_namespace(),
        retention_days=retention_days(),
        workflow_operations=workflow_operations(),
        workflow_model=_get("workflow_model"),
        workflow_model_url=_get("workflow_model_url"),
        workflow_model_api_key=_get("workflow_model_api_key"),
        alerts_enabled=_get("alerts_enabled", "true").lower() not in ("0", "false", "no"),
        # Links in alert messages point at this Airflow (its [api] base_url unless set).
        airflow_url=_get("airflow_url") or _get_api_base_url() or None,
        smtp_url=_get("smtp_url") or None,
        anomaly_sensitivity=float(_get("anomaly_sensitivity", "3.5")),
        anomaly_min_history=int(_get("anomaly_min_history", "7")),
        anomaly_window=int(_get("anomaly_window", "14")),
        alert_group_wait_seconds=float(_get("alert_group_wait_seconds", "2")),
        alert_lease_seconds=float(_get("alert_lease_seconds", "60")),
        alert_max_age_hours=float(_get("alert_max_age_hours", "24")),
        cost_rates=cost_rates(),
        cost_budgets=cost_budgets(),
        analytics_rollups=_get("analytics_rollups", "true").strip().lower() not in ("0", "false", "no", "off"),
        rollup_flush_seconds=float(_get("rollup_flush_seconds", "3")),
    )


def _get_api_base_url() -> str:
    from airflow.configuration import conf

    return str(conf.get("api", "base_url", fallback="") or "")
