"""The deferrable form of `UpstreamHealthSensor`: polls Flowlytics from the triggerer, holding no worker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import httpx
from airflow.triggers.base import BaseTrigger, TriggerEvent

from lineage_backend.gates import HealthPolicy, evaluate_health


class UpstreamHealthTrigger(BaseTrigger):
    def __init__(
        self,
        *,
        base_url: str,
        api_key: str | None,
        dataset_ids: list[str],
        max_age_seconds: float | None,
        max_dq_error_rate: float | None,
        poke_interval: float,
        end_at: str,
    ) -> None:
        super().__init__()
        self.base_url = base_url
        self.api_key = api_key
        self.dataset_ids = dataset_ids
        self.max_age_seconds = max_age_seconds
        self.max_dq_error_rate = max_dq_error_rate
        self.poke_interval = poke_interval
        self.end_at = end_at

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "base_url": self.base_url,
                "api_key": self.api_key,
                "dataset_ids": self.dataset_ids,
                "max_age_seconds": self.max_age_seconds,
                "max_dq_error_rate": self.max_dq_error_rate,
                "poke_interval": self.poke_interval,
                "end_at": self.end_at,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        policy = HealthPolicy(
            max_age=timedelta(seconds=self.max_age_seconds) if self.max_age_seconds else None,
            max_dq_error_rate=self.max_dq_error_rate,
        )
        end_at = datetime.fromisoformat(self.end_at)
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        reasons: list[str] = []
        async with httpx.AsyncClient(base_url=self.base_url, headers=headers, timeout=30) as client:
            while True:
                try:
                    statuses = []
                    for node in self.dataset_ids:
                        response = await client.get(f"api/v1/datasets/{quote(node, safe='')}/status")
                        if 400 <= response.status_code < 500 and response.status_code != 429:
                            # A wrong key or an unknown dataset will not fix itself: fail now, not at timeout.
                            yield TriggerEvent(
                                {
                                    "status": "error",
                                    "reasons": [f"{node}: HTTP {response.status_code}: {response.text[:300]}"],
                                }
                            )
                            return
                        if response.status_code != 200:
                            raise RuntimeError(f"{node}: HTTP {response.status_code}: {response.text[:200]}")
                        statuses.append(response.json())
                    decision = evaluate_health(statuses, policy, datetime.now(timezone.utc))
                    if decision.passed:
                        yield TriggerEvent({"status": "healthy", "report": decision.report})
                        return
                    reasons = decision.violations
                except (httpx.HTTPError, RuntimeError) as error:
                    reasons = [f"could not ask Flowlytics: {error}"]
                self.log.info("Upstream not healthy yet: %s", "; ".join(reasons))
                if datetime.now(timezone.utc) >= end_at:
                    yield TriggerEvent({"status": "timeout", "reasons": reasons})
                    return
                await asyncio.sleep(self.poke_interval)
