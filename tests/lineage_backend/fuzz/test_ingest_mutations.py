"""Property: real events from ../shared/corpus/openlineage, damaged, never cause a 500 anywhere.

Each example takes one real event, applies one to three mutations (`mutations.py`) and posts it:
- refused (4xx): the answer names the problem, and not a row is added to any flowlytics_* table;
- accepted (201): the raw event is stored exactly once, every read view of what it touched answers
  without a server error, and replaying it (single and batch endpoints) changes nothing at all.
The parser is also run on its own over the same damage: it either parses or raises InvalidEventError.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from lineage_backend.app import create_app
from lineage_backend.db import Database
from lineage_backend.errors import InvalidEventError
from lineage_backend.ingest.parse import ParsedEvent, parse_event
from lineage_backend.store.models import RawEvent, Run, metadata
from tests.conftest import INGEST, READ, make_settings
from tests.lineage_backend.fuzz.mutations import mutated_events
from tests.lineage_backend.snapshot import snapshot

FUZZ = settings(
    max_examples=100,
    derandomize=True,  # the same examples on every run: CI is reproducible
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
GENERIC_DETAILS = {"", "Not Found", "Bad Request", "Unprocessable Entity", "Internal Server Error", "invalid request"}


@pytest.fixture(scope="module")
def corpus_events(corpus_dir: Path) -> list[dict[str, Any]]:
    """Every event of the corpus' `events` category (real producers), small enough to mutate quickly."""
    events: list[dict[str, Any]] = []
    for entry in json.loads((corpus_dir / "index.json").read_text()):
        if entry["category"] != "events":
            continue
        text = (corpus_dir / entry["file"]).read_text()
        if entry["format"] == "ndjson":
            loaded = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            document = json.loads(text)
            loaded = document if isinstance(document, list) else [document]
        events.extend(e for e in loaded if isinstance(e, dict) and len(json.dumps(e)) < 200_000)
    assert len(events) > 50, "the corpus should hold well over 50 real events"
    return events


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    """Ingest's own idempotence: without the alert loop, whose rows (evaluations, anomalies) arrive later, from
    another thread (tests/lineage_backend/alerting/ covers them)."""
    with TestClient(create_app(make_settings(alerts_enabled=False), database=database)) as test_client:
        yield test_client


def table_counts(database: Database) -> dict[str, int]:
    def count(session: Any) -> dict[str, int]:
        return {
            table.name: session.execute(select(func.count()).select_from(table)).scalar_one()
            for table in metadata.sorted_tables
        }

    return database.read(count)


def assert_names_the_problem(response: Any) -> str:
    assert response.headers["content-type"].startswith("application/json"), response.text[:200]
    detail = response.json().get("detail")
    assert isinstance(detail, str) and detail.strip() not in GENERIC_DETAILS, response.text[:300]
    assert len(detail) > 15, detail
    return detail


def _parsed_or_none(event: dict[str, Any]) -> ParsedEvent | None:
    try:
        return parse_event(orjson.loads(orjson.dumps(event)))
    except InvalidEventError:
        return None
    except orjson.JSONEncodeError:
        return None  # not JSON at all (e.g. nested too deep for a JSON writer): the body below says so


def read_back(client: TestClient, database: Database, parsed: ParsedEvent) -> None:
    """Every view of what the event touched answers; none with a server error."""
    urls: list[str] = []
    nodes: list[str] = []
    if parsed.job_namespace and parsed.job_name:
        nodes.append(f"job:{parsed.job_namespace}:{parsed.job_name}")
        urls.append("/api/v1/jobs/" + quote(nodes[-1], safe=""))
    for ref in (*parsed.inputs, *parsed.outputs, *([parsed.dataset] if parsed.dataset else [])):
        nodes.append(f"dataset:{ref.namespace}:{ref.name}")
        urls.append("/api/v1/datasets/" + quote(nodes[-1], safe=""))
        urls.append("/api/v1/datasets/" + quote(nodes[-1], safe="") + "/status")
    for node in nodes[:2]:
        encoded = quote(node, safe="")
        urls += [
            f"/api/v1/graph?nodeId={encoded}",
            f"/api/v1/graph?nodeId={encoded}&level=column",
            f"/api/v1/impact?nodeId={encoded}&direction=upstream",
            f"/api/v1/nodes/{encoded}/metadata",
        ]
    if parsed.run_uuid:
        urls.append(f"/api/v1/runs/{parsed.run_uuid}")
        run_uuid = parsed.run_uuid
        batch = database.read(
            lambda session: session.execute(select(Run.batch_run_uuid).where(Run.run_uuid == run_uuid)).scalar()
        )
        for suffix in ("", "/processes", "/processes.csv", "/dq"):
            urls.append(f"/api/v1/batches/{batch}{suffix}")
        if parsed.job_namespace:
            urls.append("/api/v1/runs?jobNodeId=" + quote(f"job:{parsed.job_namespace}:{parsed.job_name}", safe=""))
    urls += [
        "/api/v1/runs?limit=3",
        "/api/v1/batches?since=1970-01-01T00:00:00Z&limit=3",
        "/api/v1/search?q=" + quote((parsed.job_name or "a")[:100], safe=""),
    ]
    for url in urls:
        response = client.get(url, headers=READ)
        assert response.status_code < 500, (url, response.status_code, response.text[:500])
        if response.status_code >= 400:
            assert_names_the_problem(response)
    for url in urls[:3]:  # the node and run views of an accepted event exist
        assert client.get(url, headers=READ).status_code == 200, url


@pytest.mark.filterwarnings("ignore:Generating overly large repr")
@FUZZ
@given(data=st.data())
def test_a_mutated_real_event_is_refused_cleanly_or_stored_once(
    data: st.DataObject, corpus_events: list[dict[str, Any]], client: TestClient, database: Database
) -> None:
    damaged = data.draw(mutated_events(corpus_events), label="event").event
    before = table_counts(database)
    body = json.dumps(damaged).encode()  # json, not orjson: it writes any depth, as a careless producer would
    response = client.post("/api/v1/lineage", content=body, headers={**INGEST, "Content-Type": "application/json"})
    assert response.status_code < 500, response.text[:500]

    event(f"answered {response.status_code}")
    if response.status_code != 201:
        assert 400 <= response.status_code < 500
        assert_names_the_problem(response)
        assert table_counts(database) == before, "a refused event must store nothing"
        return

    parsed = _parsed_or_none(damaged)
    assert parsed is not None, "an accepted event parses"
    digest = parsed.event_hash
    stored = database.read(
        lambda session: session.execute(
            select(func.count()).select_from(RawEvent).where(RawEvent.event_hash == digest)
        ).scalar_one()
    )
    assert stored == 1
    read_back(client, database, parsed)

    after = table_counts(database)
    state = database.read(snapshot)
    replay = client.post("/api/v1/lineage", content=body, headers={**INGEST, "Content-Type": "application/json"})
    assert replay.status_code == 201, replay.text[:300]
    batch = client.post(
        "/api/v1/lineage/batch", content=b"[" + body + b"]", headers={**INGEST, "Content-Type": "application/json"}
    )
    assert batch.status_code == 200 and batch.json()["status"] == "success", batch.text[:300]
    assert table_counts(database) == after, "a replay must add nothing"
    assert database.read(snapshot) == state, "a replay must change nothing"


@pytest.mark.filterwarnings("ignore:Generating overly large repr")
@settings(FUZZ, max_examples=200)
@given(data=st.data())
def test_the_parser_parses_or_names_the_problem(data: st.DataObject, corpus_events: list[dict[str, Any]]) -> None:
    event = data.draw(mutated_events(corpus_events), label="event").event
    try:
        document = orjson.loads(json.dumps(event))
    except orjson.JSONDecodeError:
        return  # not JSON a server can read: the API answers 400 (covered above)
    try:
        parsed = parse_event(document)
    except InvalidEventError as error:
        assert error.detail.startswith("event"), error.detail  # names the JSON path of the problem
        return
    assert parsed.kind in ("RunEvent", "DatasetEvent", "JobEvent")
    assert parsed.event_time.tzinfo is not None
    assert orjson.loads(parsed.payload) == document
