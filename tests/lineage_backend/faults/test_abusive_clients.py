"""Clients that misbehave over real sockets: one that hangs up mid-body, a truncated gzip body, a 100 MB
body streamed slowly. Each gets a clear 4xx (the one that hung up: nothing stored, nothing logged as a
server error), and meanwhile the server keeps answering a `/health` probe and a well-behaved emitter."""

from __future__ import annotations

import gzip
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lineage_backend.db import Database
from tests.conftest import INGEST, INGEST_KEY
from tests.lineage_backend.events import run_event
from tests.lineage_backend.faults.harness import (
    REQUEST_GUARD_SECONDS,
    HealthProber,
    HttpxEmitter,
    ServerProcess,
    canonical,
    event_stream,
    figures,
    running_server,
    stored_documents,
)

pytestmark = pytest.mark.slow

MB = 1000 * 1000
HANG_UPS = 20


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    with running_server(f"sqlite:///{tmp_path / 'served.db'}", tmp_path) as served:
        yield served


def hang_up_mid_body(server: ServerProcess, *, chunked: bool) -> None:
    """Send the headers and part of a valid event, then close the socket."""
    event = json.dumps(run_event("START")).encode()
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(event) + 10_000}"
    head = (
        f"POST /api/v1/lineage HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {INGEST_KEY}\r\n"
        f"Content-Type: application/json\r\n{framing}\r\n\r\n"
    ).encode()
    part = event[: len(event) // 2]
    with socket.create_connection(("127.0.0.1", server.port), timeout=REQUEST_GUARD_SECONDS) as sock:
        sock.sendall(head + (b"%x\r\n%s\r\n" % (len(part), part) if chunked else part))
        time.sleep(0.05)  # let the server start reading the body


def slow_body(total: int, chunk: int = 256 * 1024, pause: float = 0.01) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        piece = min(chunk, total - sent)
        yield b"x" * piece
        sent += piece
        time.sleep(pause)


def post(server: ServerProcess, content: object, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/v1/lineage",
        content=content,  # type: ignore[arg-type]
        headers={**INGEST, "Content-Type": "application/json", **headers},
        timeout=REQUEST_GUARD_SECONDS * 2,
    )


def detail(response: httpx.Response) -> str:
    try:
        return str(response.json()["detail"])
    except ValueError:
        return response.text  # e.g. the empty body of a 201


def test_abusive_clients_get_clear_refusals_and_others_are_served(server: ServerProcess) -> None:
    probes: dict[str, tuple[int, int]] = {}
    answers: dict[str, tuple[int, str]] = {}
    emitter = HttpxEmitter(server.url, event_stream(60, dag="well_behaved"))
    emitter.start()

    with HealthProber(server.url) as prober:
        for _ in range(HANG_UPS // 2):
            hang_up_mid_body(server, chunked=False)
            hang_up_mid_body(server, chunked=True)
        time.sleep(0.5)  # the server notices the last hang-ups
    probes["hang-ups"] = (prober.ok, prober.failed)

    event = json.dumps(run_event("START")).encode()
    compressed = gzip.compress(event)
    with HealthProber(server.url) as prober:
        for name, data in (
            ("gzip cut in the middle", compressed[: len(compressed) // 2]),
            # Regression: the whole JSON but no CRC and size, so nothing checked it, was stored (201).
            ("gzip without its trailer", compressed[:-8]),
        ):
            response = post(server, data, {"Content-Encoding": "gzip"})
            answers[name] = (response.status_code, detail(response))
    probes["truncated gzip"] = (prober.ok, prober.failed)

    with HealthProber(server.url) as prober:
        length = post(server, slow_body(100 * MB), {"Content-Length": str(100 * MB)})
        chunked = post(server, slow_body(100 * MB), {})
    probes["100 MB slowly"] = (prober.ok, prober.failed)
    answers["100 MB slowly, Content-Length"] = (length.status_code, detail(length))
    answers["100 MB slowly, chunked"] = (chunked.status_code, detail(chunked))

    emitter.join(timeout=REQUEST_GUARD_SECONDS * 4)
    assert not emitter.is_alive()
    database = Database.from_url(server.db_url)
    try:
        stored = stored_documents(database)
    finally:
        database.engine.dispose()
    figures(
        "abusive-clients",
        hang_ups=HANG_UPS,
        probes_ok_failed=probes,
        answers={name: status for name, (status, _) in answers.items()},
        well_behaved_acknowledged=len(emitter.acknowledged),
        stored=sum(stored.values()),
    )

    assert server.server_errors() == []  # regression: a hang-up mid-body was logged as a 500
    for phase, (ok, failed) in probes.items():
        assert failed == 0, phase
        assert ok >= 1, phase  # at least one probe was answered while the abuse went on
    for name in ("gzip cut in the middle", "gzip without its trailer"):
        status, text = answers[name]
        assert status == 400 and "truncated gzip" in text, (name, text)
    for name in ("100 MB slowly, Content-Length", "100 MB slowly, chunked"):
        status, text = answers[name]
        assert status == 413 and "the limit is 8 MiB (max_body_bytes)" in text, (name, text)
    # The well-behaved emitter was served throughout; of the rest, nothing was stored.
    assert emitter.unexpected == [] and emitter.unavailable == []
    assert len(emitter.acknowledged) == len(emitter.events)
    assert stored == {canonical(event): 1 for event in emitter.events}
