"""The outbox: claim due messages under a lock with a lease, send them, record the result; retry with backoff.

Exactly once: a message is claimed by one worker at a time (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has
one writer), marked delivered in the same row once the channel took it, and never claimed again after that. A
worker that dies between claiming and sending leaves the lease to expire; the message is then claimed again.
(A worker that dies after the channel took the message but before recording it would send it again on restart:
receivers can drop such a repeat by its `X-Flowlytics-Delivery` id.)
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from lineage_backend.alerting.channels import ChannelTarget, DeliveryError, Message, send
from lineage_backend.alerting.incidents import timeline
from lineage_backend.alerting.text import clip, one_line
from lineage_backend.db import Database
from lineage_backend.store.models import AlertChannel, AlertOutbox, AlertRule, Incident, IncidentOccurrence

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 12
BACKOFF_FIRST_SECONDS = 2.0
BACKOFF_MAX_SECONDS = 600.0


def backoff(attempts: int) -> timedelta:
    """2 s, 4 s, 8 s, ... up to 10 minutes between attempts."""
    return timedelta(seconds=min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2 ** max(0, attempts - 1)))


def claim(database: Database, *, worker: str, now: datetime, lease: timedelta, limit: int = 20) -> list[int]:
    def work(session: Session) -> list[int]:
        query = (
            select(AlertOutbox.id)
            .where(
                AlertOutbox.delivered_at.is_(None),
                AlertOutbox.gave_up_at.is_(None),
                AlertOutbox.next_attempt_at <= now,
                or_(AlertOutbox.claimed_until.is_(None), AlertOutbox.claimed_until < now),
            )
            .order_by(AlertOutbox.next_attempt_at, AlertOutbox.id)
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = list(session.execute(query).scalars())
        if ids:
            session.execute(
                update(AlertOutbox)
                .where(AlertOutbox.id.in_(ids))
                .values(claimed_by=worker, claimed_until=now + lease, attempts=AlertOutbox.attempts + 1)
            )
        return ids

    return database.run(work)


def incident_document(incident: Incident, rule: AlertRule | None, kind: str, *, session: Session) -> dict[str, Any]:
    """The webhook JSON of DESIGN.md: {incidentId, state, title, rule, subject, occurrences, runs, impact, url}."""
    runs = [
        {
            "runId": o.run_uuid,
            "jobNodeId": o.job_node_id,
            "at": o.at.isoformat().replace("+00:00", "Z"),
            "title": (o.details or {}).get("title"),
            "state": (o.details or {}).get("state"),
            "errorMessage": (o.details or {}).get("errorMessage"),
        }
        for o in session.execute(
            select(IncidentOccurrence)
            .where(IncidentOccurrence.incident_id == incident.id)
            .order_by(IncidentOccurrence.at, IncidentOccurrence.id)
        ).scalars()
    ]
    impact = incident.impact or {}
    return {
        "incidentId": incident.id,
        "event": kind,
        "state": incident.state,
        "severity": incident.severity,
        "title": incident.title,
        "rule": {"id": rule.id, "name": rule.name, "condition": rule.condition} if rule else None,
        "subject": incident.subject,
        "openedAt": incident.opened_at.isoformat().replace("+00:00", "Z"),
        "resolvedAt": incident.resolved_at.isoformat().replace("+00:00", "Z") if incident.resolved_at else None,
        "occurrences": incident.occurrences,
        "runs": runs,
        "impact": {"summary": impact.get("summary", {}), "items": impact.get("items", [])},
        "url": incident.link,
    }


def sla_text(sla: Any) -> str:
    """`{"latestArrival": "07:00", "maxAgeMinutes": 90}` as "latest arrival 07:00, max age 90 min"."""
    if not isinstance(sla, dict):
        return str(sla)
    parts = []
    if sla.get("latestArrival"):
        parts.append(f"latest arrival {sla['latestArrival']}")
    if sla.get("maxAgeMinutes"):
        parts.append(f"max age {sla['maxAgeMinutes']} min")
    return ", ".join(parts) or "set"


TITLE_MAX = 250  # characters of a message's title (a subject, a Slack header); the body has every name whole
ERROR_MAX = 500  # characters of a run's error message in the body


def render_text(document: dict[str, Any]) -> tuple[str, str]:
    """Title and body for chat and mail: what broke, each failed run, the blast radius, the link.

    Every name (from events, owners, rule names) is put on its line with `one_line`: a name's line break
    cannot start a line of its own in the message (a forged "Airflow:" link, a fake run) nor a header in a
    mail's subject; a direction override cannot reorder what follows it."""
    verb = "Resolved" if document["event"] == "resolved" else document["severity"].upper()
    title = clip(f"[Flowlytics] {verb}: {one_line(document['title'])}", TITLE_MAX)
    lines = [f"Incident #{document['incidentId']} ({document['state']}) on {one_line(document['subject'])}"]
    if document["rule"]:
        lines.append(f"Rule: {one_line(document['rule']['name'])}")
    runs = document["runs"]
    if runs:
        lines.append(f"Runs ({len(runs)}):")
        lines.extend(
            one_line(
                f"  - {r['jobNodeId'] or ''} {r['state'] or ''} {clip(r['errorMessage'] or '', ERROR_MAX)}"
            ).rstrip()
            for r in runs[:50]
        )
    summary = document["impact"]["summary"] or {}
    items = document["impact"]["items"] or []
    if summary:
        lines.append(
            f"Impact: {summary.get('total', 0)} downstream ({summary.get('datasets', 0)} datasets, "
            f"{summary.get('jobs', 0)} jobs), {summary.get('critical', 0)} critical, "
            f"{summary.get('slaBound', 0)} with an SLA"
        )
    for item in items[:20]:
        owners = ", ".join(item.get("owners") or []) or "no owner"
        extra = f", SLA {sla_text(item.get('sla'))}" if item.get("sla") else ""
        lines.append(
            one_line(
                f"  - {item.get('id')} (distance {item.get('distance')}, {item.get('criticality') or 'unset'}, "
                f"{owners}{extra})"
            )
        )
    if document["url"]:
        lines.append(f"Airflow: {one_line(document['url'])}")
    return title, "\n".join(lines)


def deliver_one(database: Database, outbox_id: int, *, worker: str, smtp_url: str | None) -> bool:
    """Send one claimed message; True when delivered."""

    def load(session: Session) -> tuple[ChannelTarget, Message] | None:
        row = session.get(AlertOutbox, outbox_id)
        if row is None or row.claimed_by != worker or row.delivered_at is not None:
            return None
        channel = session.get(AlertChannel, row.channel_id)
        incident = session.get(Incident, row.incident_id) if row.incident_id else None
        if channel is None or incident is None:
            return None
        rule = session.get(AlertRule, incident.rule_id)
        document = incident_document(incident, rule, row.kind, session=session)
        title, text = render_text(document)
        target = ChannelTarget(channel.id, channel.name, channel.type, channel.url, channel.addresses, channel.secret)
        return target, Message(title, text, document, delivery_id=str(row.id))

    loaded = database.read(load)
    if loaded is None:
        return False
    channel, message = loaded
    try:
        result = send(channel, message, smtp_url=smtp_url)
        error = None
    except DeliveryError as problem:
        result, error = "", str(problem)
    except Exception as problem:  # a channel library failing must not stop the loop
        result, error = "", f"{type(problem).__name__}"
        log.exception("channel %s failed unexpectedly", channel.id)

    def record(session: Session) -> None:
        row = session.get(AlertOutbox, outbox_id)
        if row is None:
            return
        now = datetime.now(timezone.utc)
        incident_id = row.incident_id
        details = {"channelId": channel.id, "channel": channel.name, "kind": row.kind, "attempt": row.attempts}
        if error is None:
            row.delivered_at, row.claimed_until, row.last_error = now, None, None
            if incident_id:
                timeline(
                    session,
                    incident_id,
                    now,
                    "delivered",
                    f"{row.kind} message delivered via {channel.name} ({channel.type}): {result}",
                    details=details,
                )
            return
        row.last_error, row.claimed_until = error, None
        if row.attempts >= MAX_ATTEMPTS:
            row.gave_up_at = now
            message_text = f"gave up on {channel.name} after {row.attempts} attempts: {error}"
        else:
            row.next_attempt_at = now + backoff(row.attempts)
            message_text = (
                f"delivery via {channel.name} failed (attempt {row.attempts}, retry at "
                f"{row.next_attempt_at.isoformat()}): {error}"
            )
        if incident_id:
            timeline(session, incident_id, now, "delivery_failed", message_text, details=details)
        log.warning("alert message %s: %s", outbox_id, message_text)

    database.run(record)
    return error is None


def deliver_due(database: Database, *, worker: str, lease: timedelta, smtp_url: str | None) -> int:
    """Claim and send what is due; returns how many were delivered."""
    delivered = 0
    for outbox_id in claim(database, worker=worker, now=datetime.now(timezone.utc), lease=lease):
        delivered += deliver_one(database, outbox_id, worker=worker, smtp_url=smtp_url)
    return delivered
