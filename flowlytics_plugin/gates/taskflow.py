"""TaskFlow forms of the gates, for use inside `@task` and `@task.sensor` functions:

@task
def change_schema():
    impact_gate("dataset:postgres://db:5432:shop.orders", fail_on_criticality="critical")
    ...

@task.sensor(poke_interval=60, timeout=3600, mode="reschedule")
def sources_ready():
    return upstream_health(["dataset:...:orders"], max_age=timedelta(hours=6), max_dq_error_rate=0.01)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow.sdk import PokeReturnValue
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from lineage_backend.gates import HealthPolicy, ImpactPolicy, evaluate_health


def impact_gate(
    node_ids: Sequence[str] | str,
    *,
    fail_on_criticality: str | None = None,
    max_downstream_datasets: int | None = None,
    sla_due_within_hours: float | None = None,
    blocked_owners: Sequence[str] = (),
    on_violation: str = "fail",
    depth: int | None = None,
    allow_unknown_nodes: bool = False,
    flowlytics_conn_id: str = "flowlytics_default",
) -> dict[str, Any]:
    """Raise (fail or skip) when the impact exceeds the policy; return the report dict otherwise."""
    from flowlytics_plugin.gates.hook import FlowlyticsHook
    from flowlytics_plugin.gates.operators import check_impact, gate_result

    nodes = [node_ids] if isinstance(node_ids, str) else list(node_ids)
    policy = ImpactPolicy(
        max_downstream_datasets=max_downstream_datasets,
        fail_on_criticality=fail_on_criticality,
        sla_due_within_hours=sla_due_within_hours,
        blocked_owners=tuple(blocked_owners),
    )
    decision, impacts = check_impact(
        FlowlyticsHook(flowlytics_conn_id), nodes, policy, depth=depth, allow_unknown_nodes=allow_unknown_nodes
    )
    print(decision.report)
    if not decision.passed:
        message = "Impact gate blocked this change:\n" + "\n".join(decision.violations)
        raise AirflowSkipException(message) if on_violation == "skip" else AirflowFailException(message)
    return gate_result(nodes, decision, impacts)


def upstream_health(
    dataset_ids: Sequence[str] | str,
    *,
    max_age: timedelta | None = None,
    max_dq_error_rate: float | None = None,
    flowlytics_conn_id: str = "flowlytics_default",
) -> PokeReturnValue:
    """One poke: done when every dataset was last written by a successful, fresh, clean run."""
    from flowlytics_plugin.gates.hook import FlowlyticsHook

    hook = FlowlyticsHook(flowlytics_conn_id)
    nodes = [dataset_ids] if isinstance(dataset_ids, str) else list(dataset_ids)
    decision = evaluate_health(
        [hook.dataset_status(node) for node in nodes],
        HealthPolicy(max_age=max_age, max_dq_error_rate=max_dq_error_rate),
        datetime.now(timezone.utc),
    )
    if not decision.passed:
        print("Waiting for upstream:\n  " + "\n  ".join(decision.violations))
    return PokeReturnValue(is_done=decision.passed, xcom_value={"healthy": decision.passed, "report": decision.report})
