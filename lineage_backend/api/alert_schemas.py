"""Request and response models of anomalies, alert channels and rules, and incidents (camelCase on the wire)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from lineage_backend.api.schemas import AnomalyMark, ApiModel, CollectionResponse, ImpactItem, ImpactSummary

# An id of one of Flowlytics' rows, as a 64-bit column holds it (a larger number is a 422, not a database error).
RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]
ChannelType = Literal["webhook", "slack", "email", "apprise"]
ConditionType = Literal[
    "run_failed", "consecutive_failures", "anomaly", "sla_missed", "duration_above", "dq_error_rate_above", "cost_above"
]
Criticality = Literal["low", "medium", "high", "critical"]
IncidentState = Literal["OPEN", "ACKNOWLEDGED", "RESOLVED"]

# --- what admins and readers type: names, URLs, scope entries, reasons and notes -------------------------------
#
# Control characters (line breaks included), the Unicode line separators and the bidirectional controls make
# no sense in a name, a URL or a one-line reason: they would break the lines of a message or reorder what a
# reader sees. Scope entries and silence subjects match names from events, which may hold such characters
# (ingest keeps names as sent), so only NUL is refused there: PostgreSQL cannot store it.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NOTE_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # a note keeps tabs and line breaks
_SPACE = re.compile(r"\s")


def _refuse(pattern: re.Pattern[str], value: str, what: str) -> None:
    found = pattern.search(value)
    if found:
        raise ValueError(f"{what}: U+{ord(found.group()):04X} at character {found.start() + 1}")


def _label(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    _refuse(_CONTROL, value, "must be one line, without control characters (line breaks, tabs, direction overrides)")
    return value


def _url(value: str | None) -> str | None:
    if value:
        _refuse(_CONTROL, value, "must not contain control characters")
        _refuse(_SPACE, value, "must not contain spaces (percent-encode them as %20)")
    return value


def _secret(value: str | None) -> str | None:
    if value:
        _refuse(_CONTROL, value, "must not contain control characters")
    return value


def _no_nul(value: str | None) -> str | None:
    if value and "\x00" in value:
        raise ValueError("must not contain the NUL character (U+0000); no stored name holds it")
    return value


def _match_text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return _no_nul(value) or value


def _one_line(value: str | None) -> str | None:
    if value:
        _refuse(_CONTROL, value, "must be one line, without control characters")
    return value


def _note(value: str | None) -> str | None:
    if value:
        _refuse(_NOTE_CONTROL, value, "must not contain control characters other than tabs and line breaks")
    return value


# A rule's or channel's name: trimmed, 1-200 characters, one line.
Label = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_label)]
ChannelUrl = Annotated[str | None, Field(max_length=4000), AfterValidator(_url)]
Secret = Annotated[str | None, Field(max_length=1000), AfterValidator(_secret)]
EmailAddress = Annotated[str, Field(min_length=3, max_length=254)]
# A DAG id, namespace, node id, owner or env a rule matches, as events and metadata spell it.
ScopeEntry = Annotated[str, Field(min_length=1, max_length=2100), AfterValidator(_match_text)]
ScopeList = Annotated[list[ScopeEntry], Field(max_length=1000)]


class AnomalyResponse(ApiModel):
    id: int
    run_id: str | None
    job_node_id: str
    metric: str
    value: float
    expected_low: float | None
    expected_high: float | None
    score: float | None
    direction: Literal["HIGH", "LOW"]
    level: Literal["warn", "error"]
    event_time: datetime
    marked_normal_by: str | None = None
    marked_normal_at: datetime | None = None


class AnomalyCollectionResponse(CollectionResponse[AnomalyResponse]):
    pass


class AlertAccessResponse(ApiModel):
    """What the caller may do on the Alerts page (the API checks each request anyway)."""

    user: str
    can_edit: bool  # channels, rules and owner routes: admin keys, Airflow users who may edit DAGs
    can_silence: bool  # snooze, mute and acknowledge: every reader


class BaselineBand(ApiModel):
    """The expected range: median +- the detector's thresholds, back-transformed from its log scale."""

    median: float
    expected_low: float
    expected_high: float
    seasonal: bool


class BaselinePoint(ApiModel):
    """One completed run: its value, and the band it was judged against (None while the job was learning)."""

    run_id: str
    at: datetime
    value: float
    status: Literal["learning", "normal", "anomaly"]
    band: BaselineBand | None
    # The stored anomaly of this run and metric, if one was recorded (marked normal or not).
    anomaly: AnomalyMark | None = None


class BaselineResponse(ApiModel):
    job_node_id: str
    metric: str
    sensitivity: float
    window: int
    min_history: int
    # Completed runs with this metric before the next run, counted up to min_history, and whether that is too few.
    history_runs: int
    learning: bool
    # The band the job's next run will be judged against (None while learning).
    current: BaselineBand | None
    points: list[BaselinePoint]


class ChannelCreate(ApiModel):
    name: Label
    type: ChannelType
    url: ChannelUrl = None
    addresses: Annotated[list[EmailAddress], Field(max_length=100)] | None = None
    secret: Secret = None


class ChannelPatch(ApiModel):
    name: Label | None = None
    url: ChannelUrl = None
    addresses: Annotated[list[EmailAddress], Field(max_length=100)] | None = None
    secret: Secret = None


class ChannelResponse(ApiModel):
    id: int
    name: str
    type: ChannelType
    # Webhook URLs are shown; Slack and apprise URLs hold their tokens, so only their scheme and host are.
    url: str | None
    addresses: list[str] | None
    has_secret: bool
    updated_at: datetime
    updated_by: str


class ChannelCollectionResponse(CollectionResponse[ChannelResponse]):
    pass


class ChannelTestResponse(ApiModel):
    channel_id: int
    delivered: bool
    detail: str


class Condition(ApiModel):
    type: ConditionType
    count: int | None = Field(default=None, ge=2, le=100)  # consecutive_failures
    metric: str | None = None  # anomaly: one metric, or every metric when absent
    min_level: Literal["warn", "error"] | None = None  # anomaly
    threshold: float | None = Field(default=None, ge=0)  # duration_above (s), dq_error_rate_above (0..1), cost_above


class Scope(ApiModel):
    dag_ids: list[str] = []
    namespaces: list[str] = []
    node_ids: list[str] = []
    owners: list[str] = []
    min_criticality: Criticality | None = None
    env: list[str] = []


class ScopeInput(Scope):
    """A scope as a rule is created or changed: each entry checked (a stored rule is shown as stored)."""

    dag_ids: ScopeList = []
    namespaces: ScopeList = []
    node_ids: ScopeList = []
    owners: ScopeList = []
    env: ScopeList = []


class RuleCreate(ApiModel):
    name: Label
    condition: Condition
    scope: ScopeInput = ScopeInput()
    channel_ids: list[RowId] = []
    route_to_owners: bool = False
    enabled: bool = True
    muted_until: datetime | None = None


class RulePatch(ApiModel):
    name: Label | None = None
    condition: Condition | None = None
    scope: ScopeInput | None = None
    channel_ids: list[RowId] | None = None
    route_to_owners: bool | None = None
    enabled: bool | None = None
    muted_until: datetime | None = None


class RuleResponse(ApiModel):
    id: int
    name: str
    condition: Condition
    scope: Scope
    channel_ids: list[int]
    route_to_owners: bool
    enabled: bool
    muted_until: datetime | None
    evaluated: bool  # False for cost_above until run analytics has cost
    updated_at: datetime
    updated_by: str


class RuleCollectionResponse(CollectionResponse[RuleResponse]):
    pass


class OwnerRoutes(ApiModel):
    routes: dict[str, RowId]  # owner -> channel id


class SilenceCreate(ApiModel):
    rule_id: RowId | None = None
    subject: Annotated[str | None, Field(max_length=2100), AfterValidator(_no_nul)] = None  # a node id
    until: datetime | None = None  # None: muted until deleted
    reason: Annotated[str | None, Field(max_length=1000), AfterValidator(_one_line)] = None


class SilenceResponse(ApiModel):
    id: int
    rule_id: int | None
    subject: str | None
    until: datetime | None
    reason: str | None
    created_at: datetime
    created_by: str


class SilenceCollectionResponse(CollectionResponse[SilenceResponse]):
    pass


class IncidentImpact(ApiModel):
    """What was downstream when the incident opened, from the impact API; no summary when it was unavailable."""

    summary: ImpactSummary | None = None
    items: list[ImpactItem] = []


class IncidentResponse(ApiModel):
    id: int
    rule_id: int
    title: str
    state: IncidentState
    severity: str
    subject: str
    opened_at: datetime
    last_seen_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    occurrences: int
    parent_incident_id: int | None
    link: str | None
    impact: IncidentImpact
    runs: list[dict[str, Any]] = []


class IncidentCollectionResponse(CollectionResponse[IncidentResponse]):
    pass


class IncidentPatch(ApiModel):
    state: Literal["ACKNOWLEDGED", "RESOLVED"] | None = None
    note: Annotated[str | None, Field(max_length=10_000), AfterValidator(_note)] = None


class TimelineEntry(ApiModel):
    at: datetime
    kind: str
    actor: str | None
    message: str
    details: dict[str, Any]


class TimelineResponse(CollectionResponse[TimelineEntry]):
    incident_id: int
