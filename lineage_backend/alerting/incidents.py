"""Incidents: one open per rule and subject; repeats are occurrences; recovery resolves; messages go to the
outbox. Helpers take a keyword-only session and never commit."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lineage_backend.auth import READ, Principal
from lineage_backend.graph.details import job_key
from lineage_backend.graph.index import GraphIndex
from lineage_backend.graph.traversal import traverse
from lineage_backend.store.models import (
    AlertOutbox,
    AlertRule,
    AlertSilence,
    Incident,
    IncidentEvent,
    IncidentOccurrence,
    OwnerRoute,
)
from lineage_backend.store.sql import insert_for

log = logging.getLogger(__name__)
SYSTEM = Principal(name="flowlytics-alerts", scopes=frozenset({READ}))
IMPACT_ITEMS = 50
UPSTREAM_DEPTH = 20


@dataclass(frozen=True)
class Finding:
    """What a rule found about a subject in one evaluation."""

    subject: str  # node id the incident is about (a DAG, job or dataset)
    title: str
    severity: str
    occurrence_key: str
    at: datetime
    dag_id: str | None = None
    run_uuid: str | None = None
    job_node_id: str | None = None  # the job that failed / was anomalous (a task under a DAG subject)
    job_id: int | None = None
    owners: tuple[str, ...] = ()
    link: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class AlertContext:
    index: GraphIndex | None
    group_wait: timedelta = timedelta(seconds=2)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def open_key(rule_id: int, subject: str) -> str:
    return f"{rule_id}|{subject}"


def timeline(
    session: Session,
    incident_id: int,
    at: datetime,
    kind: str,
    message: str,
    *,
    actor: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        IncidentEvent(incident_id=incident_id, at=at, kind=kind, actor=actor, message=message, details=details or {})
    )


def raise_finding(rule: AlertRule, finding: Finding, *, session: Session, context: AlertContext) -> Incident:
    """Open an incident for the finding, or add an occurrence to the one already open."""
    key = open_key(rule.id, finding.subject)
    incident = session.execute(select(Incident).where(Incident.open_key == key)).scalar_one_or_none()
    if incident is None:
        try:
            with session.begin_nested():
                incident = _open(rule, finding, key, session=session, context=context)
            return incident
        except IntegrityError:  # another worker opened it in the meantime
            incident = session.execute(select(Incident).where(Incident.open_key == key)).scalar_one()
    _occur(incident, finding, session=session)
    return incident


def _occurrence(incident_id: int, finding: Finding, *, session: Session) -> bool:
    statement = insert_for(session, IncidentOccurrence.__table__).on_conflict_do_nothing(
        index_elements=["incident_id", "occurrence_key"]
    )
    result = session.execute(
        statement,
        {
            "incident_id": incident_id,
            "occurrence_key": finding.occurrence_key,
            "run_uuid": finding.run_uuid,
            "job_node_id": finding.job_node_id,
            "at": finding.at,
            "details": {**finding.details, "jobId": finding.job_id, "title": finding.title},
        },
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _occur(incident: Incident, finding: Finding, *, session: Session) -> None:
    if not _occurrence(incident.id, finding, session=session):
        return  # the same run evaluated twice
    now = utcnow()
    incident.occurrences += 1
    incident.last_seen_at = now
    timeline(
        session,
        incident.id,
        now,
        "occurrence",
        finding.title,
        details={"runId": finding.run_uuid, "jobNodeId": finding.job_node_id},
    )


def _open(rule: AlertRule, finding: Finding, key: str, *, session: Session, context: AlertContext) -> Incident:
    # Incident and timeline times are when Flowlytics noticed; occurrences keep the events' own times.
    now = utcnow()
    impact = _impact(finding, session=session, context=context)
    incident = Incident(
        rule_id=rule.id,
        subject=finding.subject,
        open_key=key,
        dag_id=finding.dag_id,
        title=finding.title,
        state="OPEN",
        severity=finding.severity,
        opened_at=now,
        last_seen_at=now,
        occurrences=1,
        impact=impact,
        link=finding.link,
    )
    parent = _upstream_incident(finding, session=session, context=context)
    if parent is not None:
        incident.parent_incident_id = parent.id
    session.add(incident)
    session.flush()
    _occurrence(incident.id, finding, session=session)
    timeline(
        session,
        incident.id,
        now,
        "opened",
        f"Opened by rule {rule.name!r}: {finding.title}",
        details={"runId": finding.run_uuid, "impact": impact.get("summary", {})},
    )
    if parent is not None:
        timeline(
            session,
            incident.id,
            now,
            "grouped",
            f"Grouped under incident #{parent.id} upstream ({parent.subject}): no message of its own",
        )
        timeline(session, parent.id, now, "downstream", f"Downstream incident #{incident.id}: {finding.title}")
        return incident
    silence = silenced(rule, finding.subject, now, session=session)
    if silence:
        timeline(session, incident.id, now, "silenced", f"Not sent: {silence}")
        return incident
    enqueue(
        incident,
        rule,
        "opened",
        owners=_owners_to_notify(finding, impact),
        session=session,
        due=now + context.group_wait,
    )
    return incident


def _impact(finding: Finding, *, session: Session, context: AlertContext) -> dict[str, Any]:
    node = finding.job_node_id or finding.subject
    if context.index is None:
        return {"summary": {}, "items": []}
    from lineage_backend.services.graph import impact

    try:
        with session.begin_nested():
            document = impact(
                session=session,
                index=context.index,
                principal=SYSTEM,
                node_id=node,
                depth=None,
                direction="downstream",
                limit=IMPACT_ITEMS,
                now=finding.at,
            )
        answer = orjson.loads(orjson.dumps(document))
        return {"nodeId": answer.get("nodeId"), "summary": answer.get("summary", {}), "items": answer.get("items", [])}
    except Exception as error:  # no impact is better than no incident
        log.warning("impact of %s unavailable for an incident: %s", node, error)
        return {"summary": {}, "items": []}


def _upstream_incident(finding: Finding, *, session: Session, context: AlertContext) -> Incident | None:
    """An open incident on something upstream of the finding's job (lineage), to group this one under."""
    if context.index is None or finding.job_id is None:
        return None
    candidates = session.execute(
        select(Incident, IncidentOccurrence.details)
        .join(IncidentOccurrence, IncidentOccurrence.incident_id == Incident.id)
        .where(
            Incident.open_key.is_not(None), Incident.subject != finding.subject, Incident.parent_incident_id.is_(None)
        )
    ).all()
    by_key: dict[int, Incident] = {}
    for incident, details in candidates:
        job_id = (details or {}).get("jobId")
        if isinstance(job_id, int) and job_id != finding.job_id:
            by_key.setdefault(job_key(job_id), incident)
    if not by_key:
        return None
    with context.index.current(session) as current:
        start = job_key(finding.job_id)
        if start not in current.graph.upstream:
            return None
        walk = traverse(current.graph, [start], "upstream", max_depth=UPSTREAM_DEPTH)
    upstream = [(walk.distances[k], incident.id, incident) for k, incident in by_key.items() if k in walk.distances]
    return min(upstream, key=lambda item: (item[0], item[1]))[2] if upstream else None


def _owners_to_notify(finding: Finding, impact: dict[str, Any]) -> set[str]:
    owners = set(finding.owners)
    for item in impact.get("items", []):
        owners.update(item.get("owners") or [])
    return owners


def silenced(rule: AlertRule, subject: str, now: datetime, *, session: Session) -> str | None:
    if rule.muted_until is not None and rule.muted_until > now:
        return f"rule muted until {rule.muted_until.isoformat()}"
    found = (
        session.execute(
            select(AlertSilence).where(
                or_(AlertSilence.rule_id.is_(None), AlertSilence.rule_id == rule.id),
                or_(AlertSilence.subject.is_(None), AlertSilence.subject == subject),
                or_(AlertSilence.until.is_(None), AlertSilence.until > now),
                or_(AlertSilence.rule_id.is_not(None), AlertSilence.subject.is_not(None)),
            )
        )
        .scalars()
        .first()
    )
    if found is None:
        return None
    what = "snoozed until " + found.until.isoformat() if found.until else "muted"
    return f"{what} (silence #{found.id}{': ' + found.reason if found.reason else ''})"


OUTBOX_QUEUED = "flowlytics_outbox_queued"  # session.info key: this transaction queued messages


def note_queued(session: Session) -> None:
    """Mark the transaction as having queued messages: the alert loop then looks at the outbox at its next pass
    instead of waiting for its poll (engine.OUTBOX_POLL_SECONDS)."""
    session.info[OUTBOX_QUEUED] = True


def enqueue(
    incident: Incident, rule: AlertRule, kind: str, *, owners: set[str], session: Session, due: datetime
) -> list[int]:
    channel_ids = set(rule.channel_ids or [])
    if rule.route_to_owners and owners:
        channel_ids.update(
            session.execute(select(OwnerRoute.channel_id).where(OwnerRoute.owner.in_(sorted(owners)))).scalars()
        )
    if not channel_ids:
        return []
    statement = insert_for(session, AlertOutbox.__table__).on_conflict_do_nothing(index_elements=["dedup_key"])
    session.execute(
        statement,
        [
            {
                "dedup_key": f"{incident.id}|{kind}|{channel_id}",
                "incident_id": incident.id,
                "channel_id": channel_id,
                "kind": kind,
                "created_at": due,
                "next_attempt_at": due,
                "attempts": 0,
            }
            for channel_id in sorted(channel_ids)
        ],
    )
    note_queued(session)
    timeline(
        session,
        incident.id,
        due,
        "queued",
        f"{kind} message queued for {len(channel_ids)} channel(s)",
        details={"channelIds": sorted(channel_ids)},
    )
    return sorted(channel_ids)


def resolve(incident: Incident, *, session: Session, at: datetime, actor: str, reason: str) -> None:
    """Close the incident; send one resolved message wherever the opened one was queued."""
    if incident.state == "RESOLVED":
        return
    incident.state = "RESOLVED"
    incident.resolved_at = at
    incident.resolved_by = actor
    incident.open_key = None
    timeline(session, incident.id, at, "resolved", reason, actor=actor)
    opened_channels = (
        session.execute(
            select(AlertOutbox.channel_id).where(AlertOutbox.incident_id == incident.id, AlertOutbox.kind == "opened")
        )
        .scalars()
        .all()
    )
    if opened_channels:
        statement = insert_for(session, AlertOutbox.__table__).on_conflict_do_nothing(index_elements=["dedup_key"])
        session.execute(
            statement,
            [
                {
                    "dedup_key": f"{incident.id}|resolved|{channel_id}",
                    "incident_id": incident.id,
                    "channel_id": channel_id,
                    "kind": "resolved",
                    "created_at": at,
                    "next_attempt_at": at,
                    "attempts": 0,
                }
                for channel_id in sorted(set(opened_channels))
            ],
        )
        note_queued(session)
    # Incidents grouped under this one were waiting on it: they close with it.
    for child in session.execute(
        select(Incident).where(Incident.parent_incident_id == incident.id, Incident.open_key.is_not(None))
    ).scalars():
        child.state = "RESOLVED"
        child.resolved_at = at
        child.resolved_by = actor
        child.open_key = None
        timeline(session, child.id, at, "resolved", f"Resolved with incident #{incident.id} upstream", actor=actor)


def clear(rule: AlertRule, subject: str, *, session: Session, at: datetime, why: str) -> Incident | None:
    """The condition no longer holds for the subject as of event time `at`: resolve its open incident, unless
    that incident saw an occurrence after `at` (events arrive in any order)."""
    from sqlalchemy import func

    incident = session.execute(
        select(Incident).where(Incident.open_key == open_key(rule.id, subject))
    ).scalar_one_or_none()
    if incident is None:
        return None
    latest = session.execute(
        select(func.max(IncidentOccurrence.at)).where(IncidentOccurrence.incident_id == incident.id)
    ).scalar()
    if latest is None or latest <= at:
        resolve(incident, session=session, at=utcnow(), actor="flowlytics", reason=f"Recovered: {why}")
    return incident
