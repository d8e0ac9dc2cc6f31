"""Settings of the backend. Standalone they come from the environment; in Airflow, from `[flowlytics]`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from lineage_backend.analytics.cost import Budget, CostRates, parse_cost_budgets, parse_cost_rates

DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_BATCH_EVENTS = 5000
DEFAULT_RETENTION_DAYS = 90


def split_keys(value: str | None) -> tuple[str, ...]:
    return tuple(key.strip() for key in (value or "").split(",") if key.strip())


def parse_env_map(value: str | None) -> dict[str, str]:
    """`namespace=env` pairs, comma-separated; namespaces may hold ':' and '/' but not '=' or ','."""
    mapping = {}
    for pair in split_keys(value):
        namespace, sep, env = pair.rpartition("=")
        if not sep or not namespace.strip() or not env.strip():
            raise ValueError(f"environment map entry {pair!r} must look like <namespace>=<env>, e.g. airflow_prod=prod")
        mapping[namespace.strip()] = env.strip()
    return mapping


def _flag(value: str) -> bool:
    return value.strip().lower() not in ("0", "false", "no", "off")


@dataclass(frozen=True)
class Settings:
    db_url: str = ""
    ingest_api_keys: tuple[str, ...] = ()
    read_api_keys: tuple[str, ...] = ()
    admin_api_keys: tuple[str, ...] = ()
    # Applies to the body as sent and, for gzip, to the decompressed body (no zip bombs).
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_batch_events: int = DEFAULT_MAX_BATCH_EVENTS
    # Environment of batches whose events carry no env tag, by job namespace.
    env_by_namespace: dict[str, str] = field(default_factory=dict)
    retention_days: int = DEFAULT_RETENTION_DAYS
    # The reviewed operations workflow drafts may use: a YAML file or a Python module path (see README).
    workflow_operations: str = ""
    # The optional model engine (off when empty): a pydantic-ai model name, and for an OpenAI-compatible
    # endpoint (Ollama's /v1 too) its base URL and key.
    workflow_model: str = ""
    workflow_model_url: str = ""
    workflow_model_api_key: str = ""
    # Alerts and anomalies (README "Alerts and anomalies").
    alerts_enabled: bool = True
    airflow_url: str | None = None  # base of links into the Airflow UI, e.g. https://airflow.example.com
    smtp_url: str | None = None  # smtp://[user:pass@]host:port?from=alerts@example.com
    anomaly_sensitivity: float = 3.5
    anomaly_min_history: int = 7
    anomaly_window: int = 14
    alert_group_wait_seconds: float = 2.0
    alert_lease_seconds: float = 60.0
    # Runs that ended longer ago than this (a replay, a backfill of events) get anomalies but raise no incident;
    # 0 turns the limit off.
    alert_max_age_hours: float = 24.0
    # Run analytics: the rate card (JSON, `cost_rates`) and monthly budgets per DAG or owner (`cost_budgets`).
    cost_rates: CostRates = field(default_factory=CostRates)
    cost_budgets: tuple[Budget, ...] = ()
    # Run analytics rollups maintained on ingest (README "Run analytics"); off, the analytics read nothing new
    # until `flowlytics analytics rebuild` after turning them back on.
    analytics_rollups: bool = True
    # Ingestion marks the runs it changed; a thread of every API process recounts them this often (and every
    # analytics read first recounts what is still marked, so answers stay exact).
    rollup_flush_seconds: float = 3.0

    @classmethod
    def from_env(cls, db_url: str | None = None) -> Settings:
        return cls(
            db_url=db_url or os.environ.get("FLOWLYTICS_DB_URL", ""),
            ingest_api_keys=split_keys(os.environ.get("FLOWLYTICS_INGEST_API_KEYS")),
            read_api_keys=split_keys(os.environ.get("FLOWLYTICS_READ_API_KEYS")),
            admin_api_keys=split_keys(os.environ.get("FLOWLYTICS_ADMIN_API_KEYS")),
            max_body_bytes=int(os.environ.get("FLOWLYTICS_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)),
            max_batch_events=int(os.environ.get("FLOWLYTICS_MAX_BATCH_EVENTS", DEFAULT_MAX_BATCH_EVENTS)),
            env_by_namespace=parse_env_map(os.environ.get("FLOWLYTICS_ENV_BY_NAMESPACE")),
            retention_days=int(os.environ.get("FLOWLYTICS_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)),
            workflow_operations=os.environ.get("FLOWLYTICS_WORKFLOW_OPERATIONS", ""),
            workflow_model=os.environ.get("FLOWLYTICS_WORKFLOW_MODEL", ""),
            workflow_model_url=os.environ.get("FLOWLYTICS_WORKFLOW_MODEL_URL", ""),
            workflow_model_api_key=os.environ.get("FLOWLYTICS_WORKFLOW_MODEL_API_KEY", ""),
            alerts_enabled=os.environ.get("FLOWLYTICS_ALERTS_ENABLED", "1").lower() not in ("0", "false", "no"),
            airflow_url=os.environ.get("FLOWLYTICS_AIRFLOW_URL") or None,
            smtp_url=os.environ.get("FLOWLYTICS_SMTP_URL") or None,
            anomaly_sensitivity=float(os.environ.get("FLOWLYTICS_ANOMALY_SENSITIVITY", 3.5)),
            anomaly_min_history=int(os.environ.get("FLOWLYTICS_ANOMALY_MIN_HISTORY", 7)),
            anomaly_window=int(os.environ.get("FLOWLYTICS_ANOMALY_WINDOW", 14)),
            alert_group_wait_seconds=float(os.environ.get("FLOWLYTICS_ALERT_GROUP_WAIT_SECONDS", 2.0)),
            alert_lease_seconds=float(os.environ.get("FLOWLYTICS_ALERT_LEASE_SECONDS", 60.0)),
            alert_max_age_hours=float(os.environ.get("FLOWLYTICS_ALERT_MAX_AGE_HOURS", 24.0)),
            cost_rates=parse_cost_rates(os.environ.get("FLOWLYTICS_COST_RATES")),
            cost_budgets=parse_cost_budgets(os.environ.get("FLOWLYTICS_COST_BUDGETS")),
            analytics_rollups=_flag(os.environ.get("FLOWLYTICS_ANALYTICS_ROLLUPS", "1")),
            rollup_flush_seconds=float(os.environ.get("FLOWLYTICS_ROLLUP_FLUSH_SECONDS", 3.0)),
        )
