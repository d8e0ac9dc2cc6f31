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
    # Run analytics: the rate card (JSON, `cost_rates`) and monthly budgets per DAG or owner (`cost_budgets`).
    cost_rates: CostRates = field(default_factory=CostRates)
    cost_budgets: tuple[Budget, ...] = ()

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
            cost_rates=parse_cost_rates(os.environ.get("FLOWLYTICS_COST_RATES")),
            cost_budgets=parse_cost_budgets(os.environ.get("FLOWLYTICS_COST_BUDGETS")),
        )
