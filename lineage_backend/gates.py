"""Gate policies, pure: decide from an impact report or dataset statuses whether a task may go ahead.

Used by the Airflow operators and sensors (flowlytics_plugin.gates) and by `flowlytics impact` in CI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lineage_backend.graph.sla import next_due
from lineage_backend.graph.traversal import CRITICALITY_ORDER, criticality_at_least

CRITICALITY_LEVELS = tuple(sorted(CRITICALITY_ORDER, key=CRITICALITY_ORDER.__getitem__))


@dataclass(frozen=True)
class ImpactPolicy:
    """Limits on a change's blast radius; a None limit is not checked."""

    max_downstream_datasets: int | None = None
    fail_on_criticality: str | None = None  # any consumer at or above this level
    sla_due_within_hours: float | None = None  # any SLA-bound consumer due this soon
    blocked_owners: tuple[str, ...] = ()  # any consumer owned by these teams

    def __post_init__(self) -> None:
        if self.fail_on_criticality is not None and self.fail_on_criticality.lower() not in CRITICALITY_ORDER:
            raise ValueError(
                f"fail_on_criticality {self.fail_on_criticality!r} must be one of {', '.join(CRITICALITY_LEVELS)}"
            )
        if self.max_downstream_datasets is not None and self.max_downstream_datasets < 0:
            raise ValueError("max_downstream_datasets must be zero or more")


@dataclass
class GateDecision:
    passed: bool
    violations: list[str] = field(default_factory=list)
    report: str = ""


def evaluate_impact(impacts: list[dict[str, Any]], policy: ImpactPolicy, now: datetime) -> GateDecision:
    """`impacts` are responses of GET /api/v1/impact (downstream), one per changed node."""
    violations: list[str] = []
    for impact in impacts:
        node, items = impact["nodeId"], impact["items"]
        datasets = [i for i in items if i["type"] == "DATASET"]
        if policy.max_downstream_datasets is not None and len(datasets) > policy.max_downstream_datasets:
            violations.append(
                f"{node}: {len(datasets)} downstream datasets, more than the limit of {policy.max_downstream_datasets}"
            )
        if policy.fail_on_criticality:
            hit = [i for i in items if criticality_at_least(i.get("criticality"), policy.fail_on_criticality)]
            violations += [
                f"{node}: consumer {i['id']} is {i['criticality']} (owners: {', '.join(i['owners']) or 'none'})"
                for i in hit
            ]
        if policy.sla_due_within_hours is not None:
            horizon = now + timedelta(hours=policy.sla_due_within_hours)
            for item in items:
                due = next_due(_sla(item), _parse(item.get("lastRunAt")), now)
                if due is not None and due <= horizon:
                    violations.append(f"{node}: consumer {item['id']} has an SLA due at {due:%Y-%m-%d %H:%M} UTC")
        if policy.blocked_owners:
            blocked = {owner.lower() for owner in policy.blocked_owners}
            for item in items:
                owners = [o for o in item.get("owners") or [] if o.lower() in blocked]
                if owners:
                    violations.append(f"{node}: consumer {item['id']} is owned by {', '.join(owners)}")
    return GateDecision(passed=not violations, violations=violations, report=impact_report(impacts, violations))


def impact_report(impacts: list[dict[str, Any]], violations: list[str]) -> str:
    lines = []
    for impact in impacts:
        summary = impact["summary"]
        lines.append(
            f"Impact of {impact['nodeId']}: {summary['total']} downstream "
            f"({summary['datasets']} datasets, {summary['jobs']} jobs), {summary['critical']} critical, "
            f"{summary['slaBound']} with an SLA"
        )
        for item in impact["items"][:50]:
            details = [f"distance {item['distance']}"]
            if item.get("criticality"):
                details.append(item["criticality"])
            if item.get("sla"):
                details.append("SLA")
            if item.get("owners"):
                details.append("owners " + ", ".join(item["owners"]))
            if item.get("lastRunState"):
                details.append(f"last run {item['lastRunState']}")
            lines.append(f"  - {item['id']} ({'; '.join(details)})")
        if len(impact["items"]) > 50:
            lines.append(f"  ... and {len(impact['items']) - 50} more")
    if violations:
        lines.append("Blocked by policy:")
        lines += [f"  * {v}" for v in violations]
    else:
        lines.append("Within policy.")
    return "\n".join(lines)


@dataclass(frozen=True)
class HealthPolicy:
    max_age: timedelta | None = None  # the last successful write must be this recent
    max_dq_error_rate: float | None = None  # e.g. 0.01 for 1 %


def evaluate_health(statuses: list[dict[str, Any]], policy: HealthPolicy, now: datetime) -> GateDecision:
    """`statuses` are responses of GET /api/v1/datasets/{id}/status."""
    reasons = []
    for status in statuses:
        node, last = status["nodeId"], status.get("lastWrite")
        if last is None:
            reasons.append(f"{node}: never written (no run has reported it as an output)")
            continue
        producer = f"{last['job']} (run {last['runId']})"
        if last["state"] != "COMPLETED":
            reasons.append(f"{node}: last written by {producer}, which is {last['state']}")
            continue
        ended = _parse(last.get("endedAt"))
        if policy.max_age is not None and (ended is None or now - ended > policy.max_age):
            age = "unknown age" if ended is None else f"{(now - ended).total_seconds() / 60:.0f} min old"
            reasons.append(f"{node}: last successful write by {producer} is {age}, older than {policy.max_age}")
        rate = status.get("dqErrorRate")
        if policy.max_dq_error_rate is not None and rate is not None and rate > policy.max_dq_error_rate:
            reasons.append(
                f"{node}: DQ error rate {rate:.2%} in the run of {producer}, above {policy.max_dq_error_rate:.2%}"
            )
        if policy.max_dq_error_rate is not None and status.get("failedAssertions"):
            reasons.append(f"{node}: {status['failedAssertions']} failed data-quality assertions")
    return GateDecision(
        passed=not reasons, violations=reasons, report="\n".join(reasons) or "All upstream datasets healthy."
    )


def _sla(item: dict[str, Any]) -> dict[str, Any] | None:
    sla = item.get("sla")
    return sla if isinstance(sla, dict) and any(sla.values()) else None


def _parse(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
