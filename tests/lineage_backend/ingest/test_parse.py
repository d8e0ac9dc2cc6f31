from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest

from lineage_backend.errors import InvalidEventError
from lineage_backend.ingest.parse import normalise_run_id, parse_event, parse_time
from tests.lineage_backend.events import parent_facet, run_event


def test_time_without_offset_is_utc_and_nanoseconds_are_truncated() -> None:
    assert parse_time("2024-05-01T12:00:00.123456789", "t") == datetime(2024, 5, 1, 12, 0, 0, 123456, timezone.utc)
    assert parse_time("2024-05-01T14:00:00+02:00", "t") == datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    assert parse_time("2024-05-01", "t") == datetime(2024, 5, 1, tzinfo=timezone.utc)


def test_bad_time_names_the_field() -> None:
    with pytest.raises(InvalidEventError, match=r"event\.eventTime: \"yesterday\" is not an ISO-8601"):
        parse_event({**run_event("START"), "eventTime": "yesterday"})


def test_non_uuid_run_id_maps_to_a_stable_name_based_uuid() -> None:
    derived = normalise_run_id("run_id", "r")
    assert derived == normalise_run_id("run_id", "r")
    assert uuid.UUID(derived).version == 3  # Java's UUID.nameUUIDFromBytes, as Marquez derives it
    # What java.util.UUID.nameUUIDFromBytes("run_id".getBytes()) prints (checked with javac 17).
    assert derived == "0acf093b-3c88-3560-8dc6-22a33921d360"
    assert normalise_run_id("AB6E2F43-6C7D-4A7B-8E55-1F54B8F7A0C1", "r") == "ab6e2f43-6c7d-4a7b-8e55-1f54b8f7a0c1"


def test_missing_event_type_is_running_and_old_parent_key_is_read() -> None:
    parent_id = str(uuid.uuid4())
    event = run_event(None, run_facets={"parentRun": parent_facet(parent_id, "dag")})
    parsed = parse_event(event)
    assert parsed.event_type == "RUNNING"
    assert parsed.parent is not None and parsed.parent.run_uuid == parent_id
    assert "parent" in parsed.run_facets


def test_event_type_is_case_insensitive_and_validated() -> None:
    assert parse_event(run_event("complete")).event_type == "COMPLETE"
    with pytest.raises(InvalidEventError, match="eventType"):
        parse_event(run_event("DONE"))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda e: e.pop("producer"), r"event\.producer: required"),
        (lambda e: e.update(producer="not a uri"), r"is not a URI"),
        (lambda e: e["run"].pop("runId"), r"event\.run\.runId: required"),
        (lambda e: e["job"].pop("name"), r"event\.job\.name: required"),
        (lambda e: e.update(inputs={"a": 1}), r"event\.inputs: expected a list"),
        (lambda e: e.update(outputs=[{"namespace": "x"}]), r"event\.outputs\[0\]\.name: required"),
        (lambda e: e["run"].update(facets={"x": 3}), r"event\.run\.facets\.x: a facet must be a JSON object"),
        (
            lambda e: e.update(
                outputs=[{"namespace": "n", "name": "t", "outputFacets": {"outputStatistics": {"rowCount": -1}}}]
            ),
            r"outputStatistics\.rowCount: expected a non-negative integer",
        ),
        (
            lambda e: e["run"].update(facets={"parent": {"run": {}, "job": {"namespace": "n", "name": "j"}}}),
            r"parent\.run\.runId: required",
        ),
    ],
)
def test_invalid_events_are_rejected_with_the_field(mutate, message) -> None:  # type: ignore[no-untyped-def]
    event = run_event("START")
    mutate(event)
    with pytest.raises(InvalidEventError, match=message):
        parse_event(event)


def test_not_an_event() -> None:
    with pytest.raises(InvalidEventError, match="must be a JSON object"):
        parse_event([1, 2])
    with pytest.raises(InvalidEventError, match="not an OpenLineage event"):
        parse_event({"eventTime": "2024-01-01T00:00:00Z", "producer": "https://x"})


def test_dataset_and_job_events() -> None:
    dataset_event = parse_event(
        {"eventTime": "2024-01-01T00:00:00Z", "producer": "https://p", "dataset": {"namespace": "n", "name": "d"}}
    )
    assert dataset_event.kind == "DatasetEvent" and dataset_event.dataset is not None
    job_event = parse_event(
        {
            "eventTime": "2024-01-01T00:00:00Z",
            "producer": "https://p",
            "job": {"namespace": "n", "name": "j"},
            "inputs": [{"namespace": "n", "name": "a"}],
            "outputs": [{"namespace": "n", "name": "b"}],
        }
    )
    assert job_event.kind == "JobEvent" and [d.name for d in job_event.inputs] == ["a"]


def test_same_content_same_hash_whatever_the_key_order() -> None:
    event = run_event("START", run_id=str(uuid.uuid4()))
    reordered = dict(reversed(list(event.items())))
    assert parse_event(event).event_hash == parse_event(reordered).event_hash


# Regressions found by tests/lineage_backend/fuzz: each of these was a 500 (or a PostgreSQL-only 500).


def _nested(depth: int) -> dict[str, object]:
    value: dict[str, object] = {}
    for _ in range(depth):
        value = {"n": value}
    return value


def test_nesting_past_the_limit_is_refused_with_its_path() -> None:
    parse_event(run_event("START", run_facets={"custom": _nested(100)}))  # deep, but storable
    with pytest.raises(InvalidEventError, match=r"event\.run\.facets\.custom\.n\.n.*nested more than 128 levels"):
        parse_event(run_event("START", run_facets={"custom": _nested(300)}))
    with pytest.raises(InvalidEventError, match=r"event\.eventTime.*nested more than"):
        parse_event({**run_event("START"), "eventTime": _nested(300)})


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_a_time_outside_years_1_to_9999_in_utc_is_refused(value: str) -> None:
    with pytest.raises(InvalidEventError, match=r"event\.eventTime: .* falls outside the years 1 to 9999"):
        parse_event({**run_event("START"), "eventTime": value})


def test_early_years_keep_a_sortable_time_key() -> None:
    from lineage_backend.ingest.projection import time_key

    early, late = parse_time("0300-01-01T00:00:00Z", "t"), parse_time("2024-01-01T00:00:00Z", "t")
    assert time_key(early) == "0300-01-01T00:00:00.000000" < time_key(late) == "2024-01-01T00:00:00.000000"


def test_nul_characters_are_refused_but_the_text_backslash_u0000_is_not() -> None:
    with pytest.raises(InvalidEventError, match=r"event\.outputs\[0\]\.name: contains the NUL character"):
        parse_event(run_event("START", outputs=[{"namespace": "n", "name": "a\x00b"}]))
    with pytest.raises(InvalidEventError, match=r"event\.run\.facets\.x \(a key\): contains the NUL"):
        parse_event(run_event("START", run_facets={"x": {"\x00": 1}}))
    parse_event(run_event("START", run_facets={"sql": {"query": "select '\\u0000'"}}))


def test_names_over_1000_bytes_are_refused() -> None:
    parse_event(run_event("START", outputs=[{"namespace": "n", "name": "x" * 1000}]))
    with pytest.raises(InvalidEventError, match=r"event\.outputs\[0\]\.name: at most 1000 bytes \(UTF-8\), got 1002"):
        parse_event(run_event("START", outputs=[{"namespace": "n", "name": "é" * 501}]))
    with pytest.raises(InvalidEventError, match=r"event\.job\.namespace: at most 1000 bytes"):
        parse_event(run_event("START", namespace="n" * 1001))


def test_counts_beyond_64_bits_are_refused() -> None:
    stats = {"outputStatistics": {"rowCount": 2**63}}
    with pytest.raises(InvalidEventError, match=r"rowCount: expected a non-negative integer up to 9223372036854775807"):
        parse_event(run_event("START", outputs=[{"namespace": "n", "name": "t", "outputFacets": stats}]))


@pytest.mark.parametrize(
    ("facets", "message"),
    [
        ({"documentation": {"description": 5}}, r"documentation\.description: expected a string"),
        ({"sql": {"query": ["select 1"]}}, r"sql\.query: expected a string"),
        ({"tags": {"tags": 7}}, r"tags\.tags: expected a list"),
        ({"airflow": {"tasks": ["a"]}}, r"airflow\.tasks: expected an object"),
    ],
)
def test_wrongly_typed_fields_of_facets_that_are_shown_are_refused(facets: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidEventError, match=r"event\.job\.facets\." + message):
        parse_event(run_event("START", job_facets=facets))


@pytest.mark.parametrize(
    ("facets", "message"),
    [
        ({"errorMessage": {"message": "x", "stackTrace": 1}}, r"errorMessage\.stackTrace: expected a string"),
        ({"airflow": {"taskInstance": "ti"}}, r"airflow\.taskInstance: expected an object"),
        ({"airflowState": {"tasksState": []}}, r"airflowState\.tasksState: expected an object"),
    ],
)
def test_wrongly_typed_fields_of_run_facets_are_refused(facets: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidEventError, match=r"event\.run\.facets\." + message):
        parse_event(run_event("START", run_facets=facets))


def test_wrongly_typed_schema_fields_and_column_lineage_transformations_are_refused() -> None:
    schema = {"schema": {"fields": [{"name": "id", "type": ["int"]}]}}
    with pytest.raises(InvalidEventError, match=r"facets\.schema\.fields\[0\]\.type: expected a string"):
        parse_event(run_event("START", outputs=[{"namespace": "n", "name": "t", "facets": schema}]))
    for key, value, expected in (("masking", -1, "true or false"), ("description", [], "a string")):
        lineage = {
            "columnLineage": {
                "fields": {
                    "a": {
                        "inputFields": [
                            {"namespace": "n", "name": "s", "field": "a", "transformations": [{key: value}]}
                        ]
                    }
                }
            }
        }
        with pytest.raises(InvalidEventError, match=rf"transformations\[0\]\.{key}: expected {expected}"):
            parse_event(run_event("START", outputs=[{"namespace": "n", "name": "t", "facets": lineage}]))
