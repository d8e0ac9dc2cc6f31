"""Alert channels, rules, owner routes and silences; incidents and anomalies as the API shows them."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import orjson
from pydantic import ValidationError
from sqlalchemy import exists, func, literal, or_, select, update
from sqlalchemy.orm import Session

from lineage_backend.alerting.channels import ChannelTarget, DeliveryError, Message, masked_url, send
from lineage_backend.alerting.delivery import render_text
from lineage_backend.alerting.evaluate import NOT_EVALUATED, RUN_METRICS
from lineage_backend.alerting.incidents import resolve, timeline
from lineage_backend.alerting.text import markdown_code, markdown_lines, markdown_text
from lineage_backend.api.alert_schemas import (
    AnomalyResponse,
    ChannelCreate,
    ChannelPatch,
    ChannelResponse,
    ChannelTestResponse,
    Condition,
    IncidentImpact,
    IncidentPatch,
    IncidentResponse,
    OwnerRoutes,
    RuleCreate,
    RulePatch,
    RuleResponse,
    Scope,
    SilenceCreate,
    SilenceResponse,
    TimelineEntry,
)
from lineage_backend.auth import Principal
from lineage_backend.errors import InvalidParameterError, NotFoundError
from lineage_backend.ingest.parse import normalise_run_id
from lineage_backend.services.visibility import can_see_job, visible_jobs_clause
from lineage_backend.store.models import (
    AlertChannel,
    AlertOutbox,
    AlertRule,
    AlertSilence,
    Anomaly,
    Incident,
    IncidentEvent,
    IncidentOccurrence,
    Job,
    OwnerRoute,
)

log = logging.getLogger(__name__)

# An address apprise and SMTP take as one recipient: no separators (`,` `;` space), brackets or quotes that
# would make it several addresses or a display name, no control characters.
_ADDRESS_PART = r"[^@\s,;:<>()\[\]\"\\\x00-\x1f\x7f]+"
EMAIL = re.compile(f"^{_ADDRESS_PART}@{_ADDRESS_PART}\\.{_ADDRESS_PART}$")
# A control character, a Unicode line separator or a bidirectional control (see api/alert_schemas.py).
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Apprise URL schemes that are no notification service, refused by name for a clear answer.
NOT_CHANNEL_SCHEMES = ("javascript", "file", "data", "vbscript", "about", "blob")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _job_subject() -> Any:
    return literal("job:") + Job.namespace + literal(":") + Job.name


def _visible(principal: Principal, dag_id: Any, subject: Any) -> Any:
    """The one visibility rule (services/visibility.py), for rows that name a DAG id and a subject node id:
    the DAG is matched together with the subject job's namespace, as everywhere else."""
    jobs = visible_jobs_clause(principal)
    if jobs is None:
        return None
    return or_(dag_id.is_(None), exists(select(Job.id).where(Job.dag_id == dag_id, _job_subject() == subject, jobs)))


def _can_see(principal: Principal, dag_id: str | None, subject: str, *, session: Session) -> bool:
    if dag_id is None or principal.readable_dag_ids is None:
        return True
    namespace = session.execute(
        select(Job.namespace).where(Job.dag_id == dag_id, _job_subject() == subject).limit(1)
    ).scalar_one_or_none()
    # A subject that is no stored job cannot be placed in a namespace: shown only to who sees foreign DAGs.
    return can_see_job(principal, namespace if namespace is not None else "\0", dag_id)


# --- channels --------------------------------------------------------------------------------------------------


def channel_response(channel: AlertChannel) -> ChannelResponse:
    return ChannelResponse(
        id=channel.id,
        name=channel.name,
        type=channel.type,  # type: ignore[arg-type]
        url=masked_url(channel.type, channel.url),
        addresses=channel.addresses,
        has_secret=bool(channel.secret),
        updated_at=channel.updated_at,
        updated_by=channel.updated_by,
    )


def _check_channel(kind: str, url: str | None, addresses: list[str] | None, secret: str | None) -> None:
    if kind in ("webhook", "slack"):
        parts = urlsplit(url or "")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidParameterError(f"url: a {kind} channel needs an http(s) URL, e.g. https://hooks.example.com/x")
    if kind == "apprise":
        import apprise

        scheme = urlsplit(url or "").scheme.lower()
        if scheme in NOT_CHANNEL_SCHEMES:
            raise InvalidParameterError(
                f"url: {scheme}: is no notification service; an apprise channel takes an apprise URL "
                "(e.g. msteams://..., mailto://..., json://...)"
            )
        if not url or not apprise.Apprise().add(url):
            raise InvalidParameterError(
                "url: not an apprise URL it knows (e.g. msteams://..., pagerduty://..., discord://...); "
                "see https://github.com/caronc/apprise/wiki"
            )
    if kind == "email":
        if not addresses:
            raise InvalidParameterError("addresses: an email channel needs one or more addresses")
        bad = [a for a in addresses if not EMAIL.match(a)]
        if bad:
            raise InvalidParameterError(f"addresses: {bad} are not email addresses")
    elif addresses:
        raise InvalidParameterError(f"addresses: only email channels take addresses, not {kind}")
    if secret and kind != "webhook":
        raise InvalidParameterError("secret: only webhook channels are signed; leave it out for this type")


def _channel(channel_id: int, *, session: Session) -> AlertChannel:
    channel = session.get(AlertChannel, channel_id)
    if channel is None:
        raise NotFoundError(f"no alert channel {channel_id}; list them with GET /api/v1/alerts/channels")
    return channel


def _unique_name(model: Any, name: str, *, session: Session, other_than: int | None = None) -> None:
    found = session.execute(select(model.id).where(model.name == name)).scalar()
    if found is not None and found != other_than:
        raise InvalidParameterError(f"name: {name!r} is taken; choose another name")


def list_channels(*, session: Session) -> list[ChannelResponse]:
    return [channel_response(c) for c in session.execute(select(AlertChannel).order_by(AlertChannel.id)).scalars()]


def create_channel(body: ChannelCreate, *, session: Session, principal: Principal) -> ChannelResponse:
    _check_channel(body.type, body.url, body.addresses, body.secret)
    _unique_name(AlertChannel, body.name, session=session)
    now = _now()
    channel = AlertChannel(
        name=body.name,
        type=body.type,
        url=body.url,
        addresses=body.addresses,
        secret=body.secret or None,
        created_at=now,
        updated_at=now,
        updated_by=principal.name,
    )
    session.add(channel)
    session.flush()
    return channel_response(channel)


def patch_channel(channel_id: int, body: ChannelPatch, *, session: Session, principal: Principal) -> ChannelResponse:
    channel = _channel(channel_id, session=session)
    fields = body.model_fields_set
    if not fields:
        raise InvalidParameterError("nothing to change: send one or more of name, url, addresses, secret")
    if "name" in fields and body.name:
        _unique_name(AlertChannel, body.name, session=session, other_than=channel.id)
        channel.name = body.name
    if "url" in fields:
        channel.url = body.url
    if "addresses" in fields:
        channel.addresses = body.addresses
    if "secret" in fields:
        channel.secret = body.secret or None
    _check_channel(channel.type, channel.url, channel.addresses, channel.secret)
    channel.updated_at, channel.updated_by = _now(), principal.name
    return channel_response(channel)


def delete_channel(channel_id: int, *, session: Session) -> None:
    channel = _channel(channel_id, session=session)
    for rule in session.execute(select(AlertRule)).scalars():
        if channel_id in (rule.channel_ids or []):
            rule.channel_ids = [c for c in rule.channel_ids if c != channel_id]
    session.execute(update(AlertOutbox).where(AlertOutbox.channel_id == channel_id).values(gave_up_at=_now()))
    session.delete(channel)


def channel_target(channel_id: int, *, session: Session) -> ChannelTarget:
    c = _channel(channel_id, session=session)
    return ChannelTarget(c.id, c.name, c.type, c.url, c.addresses, c.secret)


def send_test(target: ChannelTarget, *, smtp_url: str | None) -> ChannelTestResponse:
    """Send a test message now (not through the outbox): the answer says whether the channel took it."""
    document = {
        "incidentId": 0,
        "event": "test",
        "state": "OPEN",
        "severity": "warn",
        "title": f"Test message from Flowlytics to channel {target.name!r}",
        "rule": None,
        "subject": "",
        "openedAt": _now().isoformat().replace("+00:00", "Z"),
        "resolvedAt": None,
        "occurrences": 0,
        "runs": [],
        "impact": {"summary": {}, "items": []},
        "url": None,
    }
    title, text = render_text(document)
    try:
        result = send(target, Message(title, text, document, delivery_id="test"), smtp_url=smtp_url)
    except DeliveryError as error:
        return ChannelTestResponse(channel_id=target.id, delivered=False, detail=str(error))
    return ChannelTestResponse(channel_id=target.id, delivered=True, detail=result)


# --- rules -----------------------------------------------------------------------------------------------------


def rule_response(rule: AlertRule) -> RuleResponse:
    return RuleResponse(
        id=rule.id,
        name=rule.name,
        condition=Condition.model_validate(rule.condition),
        scope=Scope.model_validate(rule.scope or {}),
        channel_ids=rule.channel_ids or [],
        route_to_owners=rule.route_to_owners,
        enabled=rule.enabled,
        muted_until=rule.muted_until,
        evaluated=(rule.condition or {}).get("type") not in NOT_EVALUATED,
        updated_at=rule.updated_at,
        updated_by=rule.updated_by,
    )


def _condition(body: Any) -> dict[str, Any]:
    condition = body.model_dump(by_alias=True, exclude_none=True)
    kind = condition["type"]
    if kind == "consecutive_failures":
        condition.setdefault("count", 3)
    if kind == "anomaly" and condition.get("metric") not in (None, *RUN_METRICS, "freshness"):
        raise InvalidParameterError(
            f"condition.metric must be one of {[*RUN_METRICS, 'freshness']}, or left out for all"
        )
    if kind in ("duration_above", "dq_error_rate_above", "cost_above") and condition.get("threshold") is None:
        raise InvalidParameterError(f"condition.threshold is required for {kind} (seconds, a 0-1 rate, or a cost)")
    if kind == "dq_error_rate_above" and condition["threshold"] > 1:
        raise InvalidParameterError("condition.threshold of dq_error_rate_above is a rate from 0 to 1, e.g. 0.05")
    return condition


def _check_channels(channel_ids: list[int], *, session: Session) -> list[int]:
    ids = list(dict.fromkeys(channel_ids))
    known = set(session.execute(select(AlertChannel.id).where(AlertChannel.id.in_(ids))).scalars()) if ids else set()
    missing = [i for i in ids if i not in known]
    if missing:
        raise InvalidParameterError(f"channelIds: no channels {missing}; create them with POST /api/v1/alerts/channels")
    return ids


def _rule(rule_id: int, *, session: Session) -> AlertRule:
    rule = session.get(AlertRule, rule_id)
    if rule is None:
        raise NotFoundError(f"no alert rule {rule_id}; list them with GET /api/v1/alerts/rules")
    return rule


def list_rules(*, session: Session) -> list[RuleResponse]:
    return [rule_response(r) for r in session.execute(select(AlertRule).order_by(AlertRule.id)).scalars()]


def create_rule(body: RuleCreate, *, session: Session, principal: Principal) -> RuleResponse:
    _unique_name(AlertRule, body.name, session=session)
    now = _now()
    rule = AlertRule(
        name=body.name,
        condition=_condition(body.condition),
        scope=body.scope.model_dump(by_alias=True),
        channel_ids=_check_channels(body.channel_ids, session=session),
        route_to_owners=body.route_to_owners,
        enabled=body.enabled,
        muted_until=body.muted_until,
        created_at=now,
        updated_at=now,
        updated_by=principal.name,
    )
    session.add(rule)
    session.flush()
    return rule_response(rule)


def patch_rule(rule_id: int, body: RulePatch, *, session: Session, principal: Principal) -> RuleResponse:
    rule = _rule(rule_id, session=session)
    fields = body.model_fields_set
    if not fields:
        raise InvalidParameterError("nothing to change: send one or more of the rule's fields")
    if "name" in fields and body.name:
        _unique_name(AlertRule, body.name, session=session, other_than=rule.id)
        rule.name = body.name
    if "condition" in fields and body.condition is not None:
        rule.condition = _condition(body.condition)
    if "scope" in fields and body.scope is not None:
        rule.scope = body.scope.model_dump(by_alias=True)
    if "channel_ids" in fields and body.channel_ids is not None:
        rule.channel_ids = _check_channels(body.channel_ids, session=session)
    if "route_to_owners" in fields and body.route_to_owners is not None:
        rule.route_to_owners = body.route_to_owners
    if "enabled" in fields and body.enabled is not None:
        rule.enabled = body.enabled
    if "muted_until" in fields:
        rule.muted_until = body.muted_until
    rule.updated_at, rule.updated_by = _now(), principal.name
    return rule_response(rule)


def delete_rule(rule_id: int, *, session: Session) -> None:
    session.delete(_rule(rule_id, session=session))


# --- owner routes and silences ---------------------------------------------------------------------------------


def get_owner_routes(*, session: Session) -> OwnerRoutes:
    rows = session.execute(select(OwnerRoute).order_by(OwnerRoute.owner)).scalars()
    return OwnerRoutes(routes={r.owner: r.channel_id for r in rows})


def put_owner_routes(body: OwnerRoutes, *, session: Session) -> OwnerRoutes:
    if any(not owner.strip() or len(owner) > 250 for owner in body.routes):
        raise InvalidParameterError("routes: every owner must be 1-250 characters")
    with_control = [owner for owner in body.routes if CONTROL.search(owner)]
    if with_control:
        raise InvalidParameterError(
            f"routes: an owner is one line, without control characters such as a line break: {with_control[:3]}"
        )
    _check_channels(list(body.routes.values()), session=session)
    session.query(OwnerRoute).delete()
    for owner, channel_id in body.routes.items():
        session.add(OwnerRoute(owner=owner.strip(), channel_id=channel_id))
    session.flush()
    return get_owner_routes(session=session)


def silence_response(s: AlertSilence) -> SilenceResponse:
    return SilenceResponse(
        id=s.id,
        rule_id=s.rule_id,
        subject=s.subject,
        until=s.until,
        reason=s.reason,
        created_at=s.created_at,
        created_by=s.created_by,
    )


def list_silences(*, session: Session) -> list[SilenceResponse]:
    return [silence_response(s) for s in session.execute(select(AlertSilence).order_by(AlertSilence.id)).scalars()]


def create_silence(body: SilenceCreate, *, session: Session, principal: Principal) -> SilenceResponse:
    if body.rule_id is None and not body.subject:
        raise InvalidParameterError(
            "give a ruleId, a subject (node id), or both: a silence of everything is a mute "
            "of every rule; disable the rules instead"
        )
    if body.rule_id is not None:
        _rule(body.rule_id, session=session)
    if body.until is not None and body.until <= _now():
        raise InvalidParameterError("until must be in the future (or left out to mute until the silence is deleted)")
    silence = AlertSilence(
        rule_id=body.rule_id,
        subject=body.subject or None,  # "" is no subject: stored as "", it matched none and silenced nothing
        until=body.until,
        reason=body.reason,
        created_at=_now(),
        created_by=principal.name,
    )
    session.add(silence)
    session.flush()
    return silence_response(silence)


def delete_silence(silence_id: int, *, session: Session) -> None:
    silence = session.get(AlertSilence, silence_id)
    if silence is None:
        raise NotFoundError(f"no silence {silence_id}; list them with GET /api/v1/alerts/silences")
    session.delete(silence)


# --- incidents -------------------------------------------------------------------------------------------------


def _runs(incident_ids: list[int], *, session: Session) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {i: [] for i in incident_ids}
    if incident_ids:
        for o in session.execute(
            select(IncidentOccurrence)
            .where(IncidentOccurrence.incident_id.in_(incident_ids))
            .order_by(IncidentOccurrence.at, IncidentOccurrence.id)
        ).scalars():
            found[o.incident_id].append(
                {
                    "runId": o.run_uuid,
                    "jobNodeId": o.job_node_id,
                    "at": o.at,
                    "title": (o.details or {}).get("title"),
                    "state": (o.details or {}).get("state"),
                }
            )
    return found


def _incident_impact(stored: dict[str, Any]) -> IncidentImpact:
    try:
        return IncidentImpact(summary=stored.get("summary") or None, items=stored.get("items") or [])
    except ValidationError as error:  # a document stored by an older version: the incident still shows
        log.warning("stored impact of an incident does not fit the current schema: %s", error)
        return IncidentImpact()


def incident_response(incident: Incident, runs: list[dict[str, Any]] | None = None) -> IncidentResponse:
    return IncidentResponse(
        id=incident.id,
        rule_id=incident.rule_id,
        title=incident.title,
        state=incident.state,  # type: ignore[arg-type]
        severity=incident.severity,
        subject=incident.subject,
        opened_at=incident.opened_at,
        last_seen_at=incident.last_seen_at,
        acknowledged_at=incident.acknowledged_at,
        acknowledged_by=incident.acknowledged_by,
        resolved_at=incident.resolved_at,
        resolved_by=incident.resolved_by,
        occurrences=incident.occurrences,
        parent_incident_id=incident.parent_incident_id,
        link=incident.link,
        impact=_incident_impact(incident.impact or {}),
        runs=runs or [],
    )


def list_incidents(
    *,
    session: Session,
    principal: Principal,
    state: str | None,
    rule_id: int | None,
    node_id: str | None,
    since: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[IncidentResponse], int]:
    query = select(Incident)
    if state:
        states = [s.strip().upper() for s in state.split(",")]
        if any(s not in ("OPEN", "ACKNOWLEDGED", "RESOLVED") for s in states):
            raise InvalidParameterError("state must be OPEN, ACKNOWLEDGED or RESOLVED (comma-separated for several)")
        query = query.where(Incident.state.in_(states))
    if rule_id is not None:
        query = query.where(Incident.rule_id == rule_id)
    if node_id:
        query = query.where(Incident.subject == node_id)
    if since is not None:
        query = query.where(Incident.last_seen_at >= since)
    clause = _visible(principal, Incident.dag_id, Incident.subject)
    if clause is not None:
        query = query.where(clause)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(Incident.opened_at.desc(), Incident.id.desc()).limit(limit).offset(offset))
    incidents = list(rows.scalars())
    runs = _runs([i.id for i in incidents], session=session)
    return [incident_response(i, runs[i.id]) for i in incidents], int(total)


def _incident(incident_id: int, *, session: Session, principal: Principal) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None or not _can_see(principal, incident.dag_id, incident.subject, session=session):
        raise NotFoundError(f"no incident {incident_id}; list them with GET /api/v1/incidents")
    return incident


def get_incident(incident_id: int, *, session: Session, principal: Principal) -> IncidentResponse:
    incident = _incident(incident_id, session=session, principal=principal)
    return incident_response(incident, _runs([incident.id], session=session)[incident.id])


def patch_incident(
    incident_id: int, body: IncidentPatch, *, session: Session, principal: Principal
) -> IncidentResponse:
    incident = _incident(incident_id, session=session, principal=principal)
    if body.state is None and not body.note:
        raise InvalidParameterError("send a state (ACKNOWLEDGED or RESOLVED), a note, or both")
    now = _now()
    if body.note:
        timeline(session, incident.id, now, "note", body.note, actor=principal.name)
    if body.state == "ACKNOWLEDGED":
        if incident.state == "RESOLVED":
            raise InvalidParameterError("the incident is resolved already; it cannot be acknowledged")
        if incident.state == "OPEN":
            incident.state, incident.acknowledged_at, incident.acknowledged_by = "ACKNOWLEDGED", now, principal.name
            timeline(
                session, incident.id, now, "acknowledged", f"Acknowledged by {principal.name}", actor=principal.name
            )
    elif body.state == "RESOLVED" and incident.state != "RESOLVED":
        resolve(incident, session=session, at=now, actor=principal.name, reason=f"Resolved by {principal.name}")
    session.flush()
    return incident_response(incident, _runs([incident.id], session=session)[incident.id])


def incident_timeline(incident_id: int, *, session: Session, principal: Principal) -> list[TimelineEntry]:
    incident = _incident(incident_id, session=session, principal=principal)
    events = session.execute(
        select(IncidentEvent)
        .where(IncidentEvent.incident_id == incident.id)
        .order_by(IncidentEvent.at, IncidentEvent.id)
    ).scalars()
    return [
        TimelineEntry(at=e.at, kind=e.kind, actor=e.actor, message=e.message, details=e.details or {}) for e in events
    ]


def export_incident(incident_id: int, fmt: str, *, session: Session, principal: Principal) -> tuple[bytes, str]:
    """A postmortem: the incident, its runs, impact and timeline, as Markdown or JSON."""
    if fmt not in ("markdown", "json"):
        raise InvalidParameterError("format must be markdown or json")
    incident = get_incident(incident_id, session=session, principal=principal)
    events = incident_timeline(incident_id, session=session, principal=principal)
    document = {
        "incident": incident.model_dump(mode="json", by_alias=True),
        "timeline": [e.model_dump(mode="json", by_alias=True) for e in events],
    }
    if fmt == "json":
        return orjson.dumps(document, option=orjson.OPT_INDENT_2), "application/json"
    return _postmortem_markdown(incident, events).encode(), "text/markdown; charset=utf-8"


def _postmortem_markdown(i: IncidentResponse, events: list[TimelineEntry]) -> str:
    """The postmortem as Markdown. Every name and message is untrusted (events, people, rule names): each goes
    through markdown_text (or markdown_code for ids), so it renders as the text it is, on its own line: no
    heading, link, image or HTML of its own. Only notes, written by people, keep their line breaks."""
    text, code = markdown_text, markdown_code
    lines = [
        f"# Postmortem: incident #{i.id}: {text(i.title)}",
        "",
        f"- State: {i.state}; severity: {text(i.severity)}",
        f"- Subject: {code(i.subject)}",
        f"- Opened: {i.opened_at.isoformat()}; last seen: {i.last_seen_at.isoformat()}",
        f"- Acknowledged: {_when_who(i.acknowledged_at, i.acknowledged_by)}",
        f"- Resolved: {_when_who(i.resolved_at, i.resolved_by)}",
        f"- Occurrences: {i.occurrences}",
    ]
    if i.link:
        lines.append(f"- Airflow: {code(i.link)}")
    lines += ["", "## Runs", ""]
    lines += [
        f"- {text(_iso(r['at']))} {code(r['jobNodeId'] or '')} {text(r['state'] or '')} (run {code(r['runId'] or '')})"
        for r in i.runs
    ] or ["- none"]
    summary = i.impact.summary
    lines += [
        "",
        "## Impact",
        "",
        f"{summary.total} downstream nodes, {summary.critical} critical, {summary.sla_bound} with an SLA."
        if summary
        else "The impact was unavailable when the incident opened.",
        "",
    ]
    lines += [
        f"- {code(item.id)} distance {item.distance}, criticality {text(item.criticality or 'unset')}, "
        f"owners {', '.join(text(owner) for owner in item.owners) or '-'}"
        for item in i.impact.items
    ]
    lines += ["", "## Timeline", ""]
    lines += [
        f"- {e.at.isoformat()} **{text(e.kind)}**{' (' + text(e.actor) + ')' if e.actor else ''}: "
        f"{markdown_lines(e.message, '  ') if e.kind == 'note' else text(e.message)}"
        for e in events
    ]
    return "\n".join(lines) + "\n"


def _iso(at: Any) -> str:
    return at.isoformat() if isinstance(at, datetime) else str(at)


def _when_who(at: datetime | None, who: str | None) -> str:
    return f"{at.isoformat()} by {markdown_text(who or '')}" if at else "-"


# --- anomalies -------------------------------------------------------------------------------------------------


def anomaly_response(a: Anomaly) -> AnomalyResponse:
    return AnomalyResponse(
        id=a.id,
        run_id=a.run_uuid,
        job_node_id=a.subject,
        metric=a.metric,
        value=a.value,
        expected_low=a.expected_low,
        expected_high=a.expected_high,
        score=a.score,
        direction=a.direction,  # type: ignore[arg-type]
        level=a.level,  # type: ignore[arg-type]
        event_time=a.event_time,
        marked_normal_by=a.marked_normal_by,
        marked_normal_at=a.marked_normal_at,
    )


def list_anomalies(
    *,
    session: Session,
    principal: Principal,
    job_node_id: str | None,
    dag_id: str | None,
    metric: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[AnomalyResponse], int]:
    query = select(Anomaly)
    if job_node_id:
        query = query.where(Anomaly.subject == job_node_id)
    if dag_id:
        query = query.where(Anomaly.dag_id == dag_id)
    if metric:
        if metric not in (*RUN_METRICS, "freshness"):
            raise InvalidParameterError(f"metric must be one of {[*RUN_METRICS, 'freshness']}")
        query = query.where(Anomaly.metric == metric)
    if since is not None:
        query = query.where(Anomaly.event_time >= since)
    if until is not None:
        query = query.where(Anomaly.event_time < until)
    clause = _visible(principal, Anomaly.dag_id, Anomaly.subject)
    if clause is not None:
        query = query.where(clause)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(Anomaly.event_time.desc(), Anomaly.id.desc()).limit(limit).offset(offset))
    return [anomaly_response(a) for a in rows.scalars()], int(total)


def run_anomalies(run_uuid: str, *, session: Session) -> list[AnomalyResponse]:
    rows = session.execute(select(Anomaly).where(Anomaly.run_uuid == run_uuid).order_by(Anomaly.id)).scalars()
    return [anomaly_response(a) for a in rows]


def mark_normal(
    *, session: Session, principal: Principal, anomaly_id: int | None = None, run_id: str | None = None
) -> list[AnomalyResponse]:
    """The flagged value was fine: it teaches the baseline from now on."""
    query = select(Anomaly)
    if anomaly_id is not None:
        query = query.where(Anomaly.id == anomaly_id)
    else:
        query = query.where(Anomaly.run_uuid == normalise_run_id(run_id or "", "runId"))
    clause = _visible(principal, Anomaly.dag_id, Anomaly.subject)
    if clause is not None:
        query = query.where(clause)
    found = list(session.execute(query).scalars())
    if not found:
        what = f"anomaly {anomaly_id}" if anomaly_id is not None else f"anomaly on run {run_id!r}"
        raise NotFoundError(f"no {what}; list them with GET /api/v1/anomalies")
    now = _now()
    for anomaly in found:
        if anomaly.marked_normal_at is None:
            anomaly.marked_normal_at, anomaly.marked_normal_by = now, principal.name
    session.flush()
    return [anomaly_response(a) for a in found]
