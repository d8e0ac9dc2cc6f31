"""`UpstreamHealthSensor`: wait until upstream datasets were last written by successful, fresh and clean
runs. Poke, reschedule or deferrable."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue
from airflow.sdk.exceptions import AirflowException, AirflowSensorTimeout

from flowlytics_plugin.gates.links import FlowlyticsImpactLink
from lineage_backend.gates import GateDecision, HealthPolicy, evaluate_health


class UpstreamHealthSensor(BaseSensorOperator):
    template_fields: Sequence[str] = ("dataset_ids", "max_age", "max_dq_error_rate", "flowlytics_conn_id")
    operator_extra_links = (FlowlyticsImpactLink(),)
    ui_color = "#dbeafe"

    def __init__(
        self,
        *,
        dataset_ids: Sequence[str] | str,
        max_age: timedelta | float | None = None,
        max_dq_error_rate: float | None = None,
        flowlytics_conn_id: str = "flowlytics_default",
        deferrable: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.dataset_ids = [dataset_ids] if isinstance(dataset_ids, str) else list(dataset_ids)
        if not self.dataset_ids:
            raise ValueError("UpstreamHealthSensor needs dataset_ids=['dataset:<namespace>:<name>', ...]")
        self.max_age = max_age  # a timedelta, or minutes
        self.max_dq_error_rate = max_dq_error_rate
        self.flowlytics_conn_id = flowlytics_conn_id
        self.deferrable = deferrable

    def _policy(self) -> HealthPolicy:
        max_age = self.max_age
        if max_age is not None and not isinstance(max_age, timedelta):
            max_age = timedelta(minutes=float(max_age))
        rate = None if self.max_dq_error_rate in (None, "") else float(self.max_dq_error_rate)
        return HealthPolicy(max_age=max_age, max_dq_error_rate=rate)

    def _check(self) -> GateDecision:
        from flowlytics_plugin.gates.hook import FlowlyticsHook

        hook = FlowlyticsHook(self.flowlytics_conn_id)
        statuses = [hook.dataset_status(node) for node in self.dataset_ids]
        return evaluate_health(statuses, self._policy(), datetime.now(timezone.utc))

    def poke(self, context: Any) -> PokeReturnValue:
        decision = self._check()
        if decision.passed:
            self.log.info("Upstream healthy: %s", ", ".join(self.dataset_ids))
        else:
            self.log.info("Waiting for upstream:\n  %s", "\n  ".join(decision.violations))
        return PokeReturnValue(
            is_done=decision.passed, xcom_value={"healthy": decision.passed, "report": decision.report}
        )

    def execute(self, context: Any) -> Any:
        if self.deferrable:
            return self._defer()
        try:
            return super().execute(context)
        except AirflowSensorTimeout as timeout:
            # Say why it timed out: which producer failed, is stale, or is dirty.
            raise AirflowSensorTimeout(f"{timeout} Upstream still not healthy:\n{self._check().report}") from timeout

    def _defer(self) -> None:
        from flowlytics_plugin.gates.hook import FlowlyticsHook
        from flowlytics_plugin.gates.triggers import UpstreamHealthTrigger

        base_url, api_key = FlowlyticsHook(self.flowlytics_conn_id).connection_settings()
        policy = self._policy()
        end_at = datetime.now(timezone.utc) + timedelta(seconds=self.timeout)
        self.defer(
            trigger=UpstreamHealthTrigger(
                base_url=base_url,
                api_key=api_key,
                dataset_ids=list(self.dataset_ids),
                max_age_seconds=policy.max_age.total_seconds() if policy.max_age else None,
                max_dq_error_rate=policy.max_dq_error_rate,
                poke_interval=float(self.poke_interval),
                end_at=end_at.isoformat(),
            ),
            method_name="execute_complete",
        )

    def execute_complete(self, context: Any, event: dict[str, Any]) -> dict[str, Any]:
        if event.get("status") == "healthy":
            self.log.info("Upstream healthy: %s", event.get("report"))
            return {"healthy": True, "report": event.get("report")}
        reasons = "\n".join(event.get("reasons") or ["unknown"])
        if event.get("status") == "timeout":
            raise AirflowSensorTimeout(
                f"Sensor timed out after {self.timeout} s. Upstream still not healthy:\n{reasons}"
            )
        raise AirflowException(f"Upstream health check failed: {reasons}")
