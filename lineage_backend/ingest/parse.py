"""Validate and normalise one OpenLineage event, without touching the database.

Accepts what real producers send (see the corpus README: naive or nanosecond times, non-UUID run ids,
missing schemaURL or eventType, the old `parentRun` key) and rejects what is not an event, naming the
field and the problem.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import orjson

from lineage_backend.errors import InvalidEventError

RUN_EVENT_TYPES = ("START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER")
TERMINAL_EVENT_TYPES = frozenset({"COMPLETE", "ABORT", "FAIL"})

# Deeper documents are refused: JSON writers (orjson, used for hashes and answers) stop at 254 levels,
# and answers wrap facets in a few levels more. Real events nest a dozen levels at most.
MAX_NESTING = 128
MAX_NAME_BYTES = 1000
MAX_COUNT = 2**63 - 1  # counts are stored as 64-bit signed integers

_FRACTION = re.compile(r"(\.\d{6})\d+")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class DatasetRef:
    namespace: str
    name: str
    facets: dict[str, Any] = field(default_factory=dict)
    io_facets: dict[str, Any] = field(default_factory=dict)  # inputFacets / outputFacets


@dataclass(frozen=True)
class ParentRef:
    run_uuid: str
    job_namespace: str
    job_name: str


@dataclass(frozen=True)
class ParsedEvent:
    kind: str  # RunEvent | DatasetEvent | JobEvent
    event_type: str | None
    event_time: datetime
    producer: str
    payload: bytes
    event_hash: str
    run_uuid: str | None = None
    job_namespace: str | None = None
    job_name: str | None = None
    run_facets: dict[str, Any] = field(default_factory=dict)
    job_facets: dict[str, Any] = field(default_factory=dict)
    inputs: tuple[DatasetRef, ...] = ()
    outputs: tuple[DatasetRef, ...] = ()
    dataset: DatasetRef | None = None
    parent: ParentRef | None = None
    root: ParentRef | None = None


def parse_time(value: Any, where: str) -> datetime:
    """ISO-8601 to aware UTC. A missing offset means UTC; digits past microseconds are dropped."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidEventError(f"{where}: expected an ISO-8601 date-time string, got {_show(value)}")
    text = _FRACTION.sub(r"\1", value.strip())
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidEventError(
            f"{where}: {_show(value)} is not an ISO-8601 date-time (expected e.g. 2024-05-01T12:00:00Z)"
        ) from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 is in year 0 in UTC
        raise InvalidEventError(
            f"{where}: {_show(value)} falls outside the years 1 to 9999 once converted to UTC"
        ) from None


def normalise_run_id(value: Any, where: str) -> str:
    """A UUID as is; anything else mapped to a stable name-based UUID, as Marquez does."""
    if not isinstance(value, str) or not value:
        raise InvalidEventError(f"{where}: required, a run id string (a UUID), got {_show(value)}")
    if _UUID.match(value):
        return str(uuid.UUID(value))
    # Java's UUID.nameUUIDFromBytes: MD5 of the bytes, version 3. Same id as Marquez derives.
    digest = bytearray(hashlib.md5(value.encode(), usedforsecurity=False).digest())
    digest[6] = (digest[6] & 0x0F) | 0x30
    digest[8] = (digest[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(digest)))


def event_hash(event: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(event, option=orjson.OPT_SORT_KEYS)).hexdigest()


def parse_event(event: Any, where: str = "event", *, payload: bytes | None = None) -> ParsedEvent:
    """`payload`: the event's JSON as received (kept as the raw event); written out from `event` if None."""
    if not isinstance(event, dict):
        raise InvalidEventError(f"{where}: an OpenLineage event must be a JSON object, got {_kind(event)}")
    _check_nesting(event, where)
    producer = _producer(event, where)
    event_time = parse_time(event.get("eventTime"), f"{where}.eventTime")
    if payload is None:
        payload = orjson.dumps(event)
    if b"\\u0000" in payload:  # orjson writes NUL as \u0000; the walk tells a real NUL from the text "\\u0000"
        _check_no_nul(event, where)
    digest = event_hash(event)

    if "run" in event:
        return _parse_run_event(event, where, producer, event_time, payload, digest)
    if "dataset" in event:
        dataset = _dataset(event["dataset"], f"{where}.dataset", io_key=None)
        return ParsedEvent(
            kind="DatasetEvent",
            event_type=None,
            event_time=event_time,
            producer=producer,
            payload=payload,
            event_hash=digest,
            dataset=dataset,
        )
    if "job" in event:
        ns, name, job_facets = _job(event["job"], f"{where}.job")
        return ParsedEvent(
            kind="JobEvent",
            event_type=None,
            event_time=event_time,
            producer=producer,
            payload=payload,
            event_hash=digest,
            job_namespace=ns,
            job_name=name,
            job_facets=job_facets,
            inputs=_datasets(event.get("inputs"), f"{where}.inputs", "inputFacets"),
            outputs=_datasets(event.get("outputs"), f"{where}.outputs", "outputFacets"),
        )
    raise InvalidEventError(
        f"{where}: not an OpenLineage event: a RunEvent needs 'run' and 'job', a DatasetEvent 'dataset', "
        "a JobEvent 'job'"
    )


def _check_nesting(event: dict[str, Any], where: str) -> None:
    # In C rather than a Python walk (a quarter of the parse time): orjson writes at most 254 levels,
    # so the event wrapped in (254 - MAX_NESTING) arrays fails to write exactly when it is too deep.
    probe: Any = event
    for _ in range(254 - MAX_NESTING):
        probe = [probe]
    try:
        orjson.dumps(probe)
    except orjson.JSONEncodeError as error:
        if "recursion" not in str(error).lower():
            return  # not a nesting problem; the checks that follow name it
        raise InvalidEventError(
            f"{_deepest_path(event, where)}: nested more than {MAX_NESTING} levels deep (objects and arrays); "
            "send that facet flatter"
        ) from None


def _check_no_nul(value: Any, where: str) -> None:
    """PostgreSQL can store no NUL character in text or JSON: refuse it on every database alike."""
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidEventError(f"{where}: contains the NUL character (\\u0000), which cannot be stored; remove it")
    elif isinstance(value, dict):
        for key, child in value.items():
            _check_no_nul(key, f"{where} (a key)")
            _check_no_nul(child, f"{where}.{key}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            _check_no_nul(child, f"{where}[{index}]")


def _deepest_path(document: Any, where: str) -> str:
    """The JSON path of the first value at the nesting limit (for the error message only)."""
    path = where
    for _ in range(MAX_NESTING - 1):
        children = list(document.items()) if isinstance(document, dict) else list(enumerate(document))
        nested = [(key, child) for key, child in children if isinstance(child, (dict, list)) and _depth(child) > 0]
        if not nested:
            break
        key, document = max(nested, key=lambda pair: _depth(pair[1]))
        path += f"[{key}]" if isinstance(key, int) else f".{key}"
        if len(path) > 200:
            return path[:200] + "..."
    return path


def _depth(value: Any) -> int:
    depth, level = 0, [value]
    while level:
        level = [
            child
            for node in level
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, (dict, list))
        ]
        depth += 1
    return depth


def _parse_run_event(
    event: dict[str, Any], where: str, producer: str, event_time: datetime, payload: bytes, digest: str
) -> ParsedEvent:
    run = event["run"]
    if not isinstance(run, dict):
        raise InvalidEventError(f"{where}.run: expected an object with a 'runId', got {_kind(run)}")
    run_uuid = normalise_run_id(run.get("runId"), f"{where}.run.runId")
    if "job" not in event:
        raise InvalidEventError(f"{where}.job: required in a RunEvent (an object with namespace and name)")
    job_ns, job_name, job_facets = _job(event["job"], f"{where}.job")

    raw_type = event.get("eventType")
    if raw_type is None:
        event_type = "RUNNING"  # the spec makes it optional; Marquez reads a missing type as RUNNING
    elif isinstance(raw_type, str) and raw_type.upper() in RUN_EVENT_TYPES:
        event_type = raw_type.upper()
    else:
        raise InvalidEventError(f"{where}.eventType: {_show(raw_type)} is not one of {', '.join(RUN_EVENT_TYPES)}")

    run_facets = _facets(run.get("facets"), f"{where}.run.facets")
    if "parent" not in run_facets and isinstance(run_facets.get("parentRun"), dict):
        run_facets["parent"] = run_facets.pop("parentRun")  # pre-1.0 producers
    parent, root = _parent(run_facets.get("parent"), f"{where}.run.facets.parent")
    _check_run_facets(run_facets, f"{where}.run.facets")

    return ParsedEvent(
        kind="RunEvent",
        event_type=event_type,
        event_time=event_time,
        producer=producer,
        payload=payload,
        event_hash=digest,
        run_uuid=run_uuid,
        job_namespace=job_ns,
        job_name=job_name,
        run_facets=run_facets,
        job_facets=job_facets,
        inputs=_datasets(event.get("inputs"), f"{where}.inputs", "inputFacets"),
        outputs=_datasets(event.get("outputs"), f"{where}.outputs", "outputFacets"),
        parent=parent,
        root=root,
    )


def _producer(event: dict[str, Any], where: str) -> str:
    producer = event.get("producer")
    if not isinstance(producer, str) or not producer:
        raise InvalidEventError(
            f"{where}.producer: required, the URI of the code that emitted the event "
            "(e.g. https://github.com/OpenLineage/OpenLineage/tree/1.20.0/client/python)"
        )
    parts = urlsplit(producer)
    if not parts.scheme or not (parts.netloc or parts.path):
        raise InvalidEventError(
            f"{where}.producer: {_show(producer)} is not a URI; send the emitter's URI, "
            "e.g. https://github.com/OpenLineage/OpenLineage/tree/1.20.0/client/python"
        )
    return producer


def _job(job: Any, where: str) -> tuple[str, str, dict[str, Any]]:
    if not isinstance(job, dict):
        raise InvalidEventError(f"{where}: expected an object with namespace and name, got {_kind(job)}")
    ns = _required_str(job, "namespace", where)
    name = _required_str(job, "name", where)
    facets = _facets(job.get("facets"), f"{where}.facets")
    _check_ownership(facets.get("ownership"), f"{where}.facets.ownership")
    return ns, name, facets


def _datasets(items: Any, where: str, io_key: str) -> tuple[DatasetRef, ...]:
    if items is None:
        return ()
    if not isinstance(items, list):
        raise InvalidEventError(f"{where}: expected a list of datasets, got {_kind(items)}")
    refs = [_dataset(item, f"{where}[{i}]", io_key) for i, item in enumerate(items)]
    return tuple(refs)


def _dataset(item: Any, where: str, io_key: str | None) -> DatasetRef:
    if not isinstance(item, dict):
        raise InvalidEventError(f"{where}: expected a dataset object with namespace and name, got {_kind(item)}")
    ns = _required_str(item, "namespace", where)
    name = _required_str(item, "name", where)
    facets = _facets(item.get("facets"), f"{where}.facets")
    _check_ownership(facets.get("ownership"), f"{where}.facets.ownership")
    _check_symlinks(facets.get("symlinks"), f"{where}.facets.symlinks")
    io_facets = _facets(item.get(io_key), f"{where}.{io_key}") if io_key else {}
    _check_statistics(io_facets.get("inputStatistics"), f"{where}.{io_key}.inputStatistics")
    _check_statistics(io_facets.get("outputStatistics"), f"{where}.{io_key}.outputStatistics")
    _check_dq_metrics(io_facets.get("dataQualityMetrics"), f"{where}.{io_key}.dataQualityMetrics")
    _check_dq_metrics(facets.get("dataQualityMetrics"), f"{where}.facets.dataQualityMetrics")
    _check_column_lineage(facets.get("columnLineage"), f"{where}.facets.columnLineage")
    return DatasetRef(namespace=ns, name=name, facets=facets, io_facets=io_facets)


def _parent(facet: Any, where: str) -> tuple[ParentRef | None, ParentRef | None]:
    if facet is None:
        return None, None
    if not isinstance(facet, dict):
        raise InvalidEventError(f"{where}: expected an object with run and job, got {_kind(facet)}")
    parent = _run_ref(facet, where)
    root = None
    if facet.get("root") is not None:
        root = _run_ref(facet["root"], f"{where}.root")
    return parent, root


def _run_ref(facet: Any, where: str) -> ParentRef:
    if not isinstance(facet, dict):
        raise InvalidEventError(f"{where}: expected an object with run and job, got {_kind(facet)}")
    run = facet.get("run")
    job = facet.get("job")
    if not isinstance(run, dict):
        raise InvalidEventError(f"{where}.run: required, an object with the parent's runId")
    if not isinstance(job, dict):
        raise InvalidEventError(f"{where}.job: required, an object with the parent job's namespace and name")
    return ParentRef(
        run_uuid=normalise_run_id(run.get("runId"), f"{where}.run.runId"),
        job_namespace=_required_str(job, "namespace", f"{where}.job"),
        job_name=_required_str(job, "name", f"{where}.job"),
    )


def _check_run_facets(facets: dict[str, Any], where: str) -> None:
    error = facets.get("errorMessage")
    if error is not None and not isinstance(error.get("message"), str):
        raise InvalidEventError(f"{where}.errorMessage.message: required, the error text as a string")
    nominal = facets.get("nominalTime")
    if nominal is not None:
        parse_time(nominal.get("nominalStartTime"), f"{where}.nominalTime.nominalStartTime")
        if nominal.get("nominalEndTime") is not None:
            parse_time(nominal.get("nominalEndTime"), f"{where}.nominalTime.nominalEndTime")
    stats = facets.get("flowlytics_stats")
    if stats is not None:
        for key in ("rowsInserted", "rowsUpdated", "rowsInvalid", "dqFailedRows"):
            _check_count(stats.get(key), f"{where}.flowlytics_stats.{key}")


def _check_ownership(facet: Any, where: str) -> None:
    if facet is None:
        return
    owners = facet.get("owners")
    if owners is None:
        return
    if not isinstance(owners, list):
        raise InvalidEventError(f"{where}.owners: expected a list of {{name, type}} objects")
    for i, owner in enumerate(owners):
        if not isinstance(owner, dict) or not isinstance(owner.get("name"), str):
            raise InvalidEventError(
                f"{where}.owners[{i}].name: required, the owner's name as a string "
                '(e.g. {"name": "team:data-platform", "type": "MAINTAINER"})'
            )


def _check_symlinks(facet: Any, where: str) -> None:
    if facet is None:
        return
    identifiers = facet.get("identifiers")
    if not isinstance(identifiers, list):
        raise InvalidEventError(f"{where}.identifiers: required, a list of {{namespace, name, type}}")
    for i, ident in enumerate(identifiers):
        if not isinstance(ident, dict):
            raise InvalidEventError(f"{where}.identifiers[{i}]: expected an object")
        _required_str(ident, "namespace", f"{where}.identifiers[{i}]")
        _required_str(ident, "name", f"{where}.identifiers[{i}]")


def _check_column_lineage(facet: Any, where: str) -> None:
    if facet is None:
        return
    fields = facet.get("fields", {})
    if not isinstance(fields, dict):
        raise InvalidEventError(f"{where}.fields: expected an object keyed by output column name")
    for column, spec in fields.items():
        _check_name_length(column, f"{where}.fields")
        if not isinstance(spec, dict):
            raise InvalidEventError(f"{where}.fields.{column}: expected an object with inputFields")
        _optional(spec, "transformationDescription", str, f"{where}.fields.{column}", "a string")
        _check_input_fields(spec.get("inputFields", []), f"{where}.fields.{column}.inputFields")
    _check_input_fields(facet.get("dataset", []), f"{where}.dataset")


def _check_input_fields(items: Any, where: str) -> None:
    if not isinstance(items, list):
        raise InvalidEventError(f"{where}: expected a list of {{namespace, name, field}}")
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise InvalidEventError(f"{where}[{i}]: expected an object with namespace, name and field")
        _required_str(item, "namespace", f"{where}[{i}]")
        _required_str(item, "name", f"{where}[{i}]")
        if not isinstance(item.get("field", ""), str):
            raise InvalidEventError(f"{where}[{i}].field: expected the input column name as a string")
        _check_name_length(item.get("field", ""), f"{where}[{i}].field")
        transformations = item.get("transformations", [])
        if not isinstance(transformations, list) or not all(isinstance(t, dict) for t in transformations):
            raise InvalidEventError(f"{where}[{i}].transformations: expected a list of {{type, subtype}}")
        for j, transformation in enumerate(transformations):
            _optional(transformation, "description", str, f"{where}[{i}].transformations[{j}]", "a string")
            _optional(transformation, "masking", bool, f"{where}[{i}].transformations[{j}]", "true or false")


def _optional(obj: dict[str, Any], key: str, kind: type, where: str, expected: str) -> None:
    value = obj.get(key)
    if value is not None and not isinstance(value, kind):
        raise InvalidEventError(f"{where}.{key}: expected {expected} (or no value), got {_show(value)}")


def _check_statistics(facet: Any, where: str) -> None:
    if facet is None:
        return
    for key in ("rowCount", "size", "fileCount"):
        _check_count(facet.get(key), f"{where}.{key}")


def _check_dq_metrics(facet: Any, where: str) -> None:
    if facet is None:
        return
    # The spec requires columnMetrics; real producers send rowCount alone. A facet with neither
    # carries no metrics at all and is a producer bug.
    if "columnMetrics" not in facet and "rowCount" not in facet:
        raise InvalidEventError(f"{where}: needs 'rowCount' or 'columnMetrics' (the spec requires columnMetrics)")
    for key in ("rowCount", "bytes", "fileCount"):
        _check_count(facet.get(key), f"{where}.{key}")
    if "columnMetrics" in facet and not isinstance(facet["columnMetrics"], dict):
        raise InvalidEventError(f"{where}.columnMetrics: expected an object keyed by column name")


def _check_count(value: Any, where: str) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise InvalidEventError(f"{where}: expected a non-negative integer up to {MAX_COUNT}, got {_show(value)}")


# Fields of facets that Flowlytics reads and shows, with the JSON type they must have when present
# (run, job and dataset facets alike). Everything else in a facet is kept as sent, whatever its shape.
_FACET_FIELDS: dict[str, tuple[tuple[str, type, str], ...]] = {
    "documentation": (("description", str, "a string"),),
    "sql": (("query", str, "a string"),),
    "errorMessage": (("stackTrace", str, "a string"), ("programmingLanguage", str, "a string")),
    "tags": (("tags", list, "a list of {key, value}"),),
    "schema": (("fields", list, "a list of {name, type}"),),
    "dataQualityAssertions": (("assertions", list, "a list of {assertion, success, column}"),),
    "airflow": (("taskInstance", dict, "an object"), ("dag", dict, "an object"), ("tasks", dict, "an object")),
    "airflowDagRun": (("dagRun", dict, "an object"), ("dag", dict, "an object")),
    "airflowState": (("tasksState", dict, "an object keyed by task id"),),
}
_LIST_ITEM_FIELDS: dict[tuple[str, str], tuple[tuple[str, type, str], ...]] = {
    ("schema", "fields"): (("name", str, "a string"), ("type", str, "a string")),
    ("dataQualityAssertions", "assertions"): (("column", str, "a string"), ("severity", str, "a string")),
}


def _facets(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidEventError(f"{where}: expected an object keyed by facet name, got {_kind(value)}")
    for key, facet in value.items():
        if not isinstance(facet, dict):
            raise InvalidEventError(f"{where}.{key}: a facet must be a JSON object, got {_kind(facet)}")
        for name, kind, expected in _FACET_FIELDS.get(key, ()):
            _optional(facet, name, kind, f"{where}.{key}", expected)
            item_fields = _LIST_ITEM_FIELDS.get((key, name))
            for i, item in enumerate(facet.get(name) or [] if item_fields else []):
                if isinstance(item, dict):
                    for item_name, item_kind, item_expected in item_fields or ():
                        _optional(item, item_name, item_kind, f"{where}.{key}.{name}[{i}]", item_expected)
    return dict(value)


def _required_str(obj: dict[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidEventError(f"{where}.{key}: required, a non-empty string, got {_show(value)}")
    _check_name_length(value, f"{where}.{key}")
    return value


def _check_name_length(value: str, where: str) -> None:
    # Namespaces, names and column names are stored in 1000-character columns, and a namespace and
    # name together must fit a PostgreSQL index entry (2704 bytes): so 1000 bytes each.
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > MAX_NAME_BYTES:
        raise InvalidEventError(
            f"{where}: at most {MAX_NAME_BYTES} bytes (UTF-8), got {size} bytes starting {_show(value[:40])}"
        )


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__
    )


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    text = orjson.dumps(value).decode()
    return text if len(text) <= 80 else text[:77] + "..."
