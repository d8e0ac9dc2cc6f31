"""Settings of the backend. Standalone they come from the environment; in Airflow, from `[flowlytics]`."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
DEFAULT_MAX_BATCH_EVENTS = 5000


def split_keys(value: str | None) -> tuple[str, ...]:
    return tuple(key.strip() for key in (value or "").split(",") if key.strip())


@dataclass(frozen=True)
class Settings:
    db_url: str = ""
    ingest_api_keys: tuple[str, ...] = ()
    read_api_keys: tuple[str, ...] = ()
    admin_api_keys: tuple[str, ...] = ()
    # Applies to the body as sent and, for gzip, to the decompressed body (no zip bombs).
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_batch_events: int = DEFAULT_MAX_BATCH_EVENTS

    @classmethod
    def from_env(cls, db_url: str | None = None) -> Settings:
        return cls(
            db_url=db_url or os.environ.get("FLOWLYTICS_DB_URL", ""),
            ingest_api_keys=split_keys(os.environ.get("FLOWLYTICS_INGEST_API_KEYS")),
            read_api_keys=split_keys(os.environ.get("FLOWLYTICS_READ_API_KEYS")),
            admin_api_keys=split_keys(os.environ.get("FLOWLYTICS_ADMIN_API_KEYS")),
            max_body_bytes=int(os.environ.get("FLOWLYTICS_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)),
            max_batch_events=int(os.environ.get("FLOWLYTICS_MAX_BATCH_EVENTS", DEFAULT_MAX_BATCH_EVENTS)),
        )
