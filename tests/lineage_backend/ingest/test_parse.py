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
