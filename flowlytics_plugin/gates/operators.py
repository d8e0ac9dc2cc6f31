"""`ImpactGateOperator`: stop a change whose downstream blast radius exceeds a policy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

from flowlytics_plugin.gates.links import FlowlyticsImpactLink
from flowlytics_plugin.gates.nodes import node_ids_from
from lineage_backend.gates import CRITICALITY_LEVELS, GateDecision, ImpactPolicy, evaluate_impact

ON_VIOLATION = ("fail", "skip")


class ImpactGateOperator(BaseOperator):
    """Fetch the downstream impact of the datasets or jobs a task is about to change and fail (or skip)
    when it exceeds the limits. Without `node_ids`, the task's outlets are checked.

    The readable report goes to the task log; a dict (passed, violations, per-node summary) to XCom.
    """

    template_fields: Sequence[str] = (
        "node_ids",
        "fail_on_criticality",
        "max_downstream_datasets",
        "sla_due_within_hours",
        "blocked_owners",
        "flowlytics_conn_id",
    )
    operator_extra_links = (FlowlyticsImpactLink(),)
    ui_color = "#f5e6c8"

    def __init__(
        self,
        *,
        node_ids: Sequence[str] | str | None = None,
        fail_on_criticality: str | None = None,
        max_downstream_datasets: int | None = None,
        sla_due_within_hours: float | None = None,
        blocked_owners: Sequence[str] = (),
        on_violation: str = "fail",
        depth: int | None = None,
        allow_unknown_nodes: bool = False,
        flowlytics_conn_id: str = "flowlytics_default",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        # A table about to be created is unknown to Flowlytics: nothing can depend on it yet.
        self.allow_unknown_nodes = allow_unknown_nodes
        if on_violation not in ON_VIOLATION:
            raise ValueError(f"on_violation must be 'fail' or 'skip', not {on_violation!r}")
        if (
            fail_on_criticality is not None
            and "{{" not in fail_on_criticality
            and (fail_on_criticality.lower() not in CRITICALITY_LEVELS)
        ):
            raise ValueError(f"fail_on_criticality must be one of {', '.join(CRITICALITY_LEVELS)}")
        self.node_ids = [node_ids] if isinstance(node_ids, str) else list(node_ids or [])
        self.fail_on_criticality = fail_on_criticality
        self.max_downstream_datasets = max_downstream_datasets
        self.sla_due_within_hours = sla_due_within_hours
        self.blocked_owners = list(blocked_owners)
        self.on_violation = on_violation
        self.depth = depth
        self.flowlytics_conn_id = flowlytics_conn_id

    def execute(self, context: Any) -> dict[str, Any]:
        from flowlytics_plugin.gates.hook import FlowlyticsHook

        nodes = list(self.node_ids) or node_ids_from(self.outlets)
        if not nodes:
            raise AirflowFailException(
                "ImpactGateOperator has nothing to check: pass node_ids=['dataset:<namespace>:<name>'] or give the "
                "task outlets"
            )
        decision, impacts = check_impact(
            FlowlyticsHook(self.flowlytics_conn_id),
            nodes,
            ImpactPolicy(
                max_downstream_datasets=_int(self.max_downstream_datasets),
                fail_on_criticality=self.fail_on_criticality or None,
                sla_due_within_hours=_float(self.sla_due_within_hours),
                blocked_owners=tuple(self.blocked_owners),
            ),
            depth=self.depth,
            allow_unknown_nodes=self.allow_unknown_nodes,
        )
        self.log.info("Flowlytics impact report:\n%s", decision.report)
        if not decision.passed:
            message = "Impact gate blocked this change:\n" + "\n".join(decision.violations)
            if self.on_violation == "skip":
                raise AirflowSkipException(message)
            raise AirflowFailException(message)  # a policy answer, not a transient error: no retries
        return gate_result(nodes, decision, impacts)


def check_impact(
    hook: Any, nodes: list[str], policy: ImpactPolicy, *, depth: int | None = None, allow_unknown_nodes: bool = False
) -> tuple[GateDecision, list[dict[str, Any]]]:
    impacts = []
    for node in nodes:
        impact = hook.impact(node, depth=depth, missing_ok=allow_unknown_nodes)
        impacts.append(impact if impact is not None else empty_impact(node))
    return evaluate_impact(impacts, policy, datetime.now(timezone.utc)), impacts


def empty_impact(node: str) -> dict[str, Any]:
    summary = {
        "total": 0,
        "datasets": 0,
        "jobs": 0,
        "byOwner": {},
        "byCriticality": {},
        "slaBound": 0,
        "critical": 0,
        "culprits": [],
    }
    return {"nodeId": node, "direction": "downstream", "items": [], "summary": summary}


def gate_result(nodes: list[str], decision: GateDecision, impacts: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "passed": decision.passed,
        "violations": decision.violations,
        "nodes": nodes,
        "summaries": {impact["nodeId"]: impact["summary"] for impact in impacts},
        "report": decision.report,
    }


def _int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def _float(value: Any) -> float | None:
    return None if value in (None, "") else float(value)
