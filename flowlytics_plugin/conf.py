"""Typed accessors for the `[flowlytics]` section of airflow.cfg (or AIRFLOW__FLOWLYTICS__* variables)."""

from __future__ import annotations

from lineage_backend.analytics.cost import Budget, CostRates, parse_cost_budgets, parse_cost_rates
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
        cost_rates=cost_rates(),
        cost_budgets=cost_budgets(),
    )
