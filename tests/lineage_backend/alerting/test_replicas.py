"""Several real `flowlytics serve` processes on one database: every message is sent exactly once, and a server
killed while sending leaves its claimed message to be sent, once, after the lease runs out."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from lineage_backend.db import Database
from tests.conftest import ADMIN_KEY, INGEST_KEY, READ_KEY, _truncate, free_port, wait_for_http
from tests.lineage_backend.alerting.receivers import http_receiver, wait_until
from tests.lineage_backend.alerting.scenario import dag_run_events

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
INGEST = {"Authorization": f"Bearer {INGEST_KEY}"}
READ = {"Authorization": f"Bearer {READ_KEY}"}


@contextmanager
def server(db_url: str, *, workers: int = 1, **env: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lineage_backend.cli",
            "serve",
            "--db-url",
            db_url,
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env={
            **os.environ,
            "FLOWLYTICS_INGEST_API_KEYS": INGEST_KEY,
            "FLOWLYTICS_READ_API_KEYS": READ_KEY,
            "FLOWLYTICS_ADMIN_API_KEYS": ADMIN_KEY,
            "FLOWLYTICS_ALERT_GROUP_WAIT_SECONDS": "0.2",
            "FLOWLYTICS_ALERT_MAX_AGE_HOURS": "0",  # the test events are from 2024
            **env,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/health", timeout=60)
        yield f"http://127.0.0.1:{port}", process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _post(url: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    response = httpx.post(url + path, json=body, headers=headers, timeout=30)
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


@pytest.mark.postgres
@pytest.mark.slow
def test_two_replicas_with_two_workers_each_send_every_message_once(postgres_url: str, _pg_database: Database) -> None:
    _truncate(_pg_database)
    with (
        http_receiver() as receiver,
        server(postgres_url, workers=2) as (a, _),
        server(postgres_url, workers=2) as (
            b,
            _,
        ),
    ):
        channels = [
            _post(
                a,
                "/api/v1/alerts/channels",
                {"name": f"hook{i}", "type": "webhook", "url": f"{receiver.url}/{i}"},
                ADMIN,
            )["id"]
            for i in range(8)
        ]
        _post(
            b,
            "/api/v1/alerts/rules",
            {"name": "failures", "condition": {"type": "run_failed"}, "channelIds": channels},
            ADMIN,
        )
        dags = 12
        for i in range(dags):  # alternate replicas; each request lands on one of its two workers
            _post(a if i % 2 else b, "/api/v1/lineage/batch", dag_run_events(f"dag{i}", failed_tasks=2)[1], INGEST)
        expected = dags * len(channels)
        wait_until(lambda: len(receiver.requests) >= expected, timeout=90, what=f"{expected} messages")
        # Four loops polling the same outbox: wait past a few of their ticks for any duplicate.
        import time

        time.sleep(2.0)
        deliveries = Counter(r.headers["x-flowlytics-delivery"] for r in receiver.requests)
        assert len(receiver.requests) == expected
        assert all(count == 1 for count in deliveries.values())
        pairs = Counter((r.path, r.json()["incidentId"]) for r in receiver.requests)
        assert len(pairs) == expected
        incidents = httpx.get(a + "/api/v1/incidents?limit=1000", headers=READ).json()
        assert incidents["totalCount"] == dags
        assert all(i["occurrences"] == 3 for i in incidents["items"])  # two tasks and the DAG run


@pytest.mark.slow
def test_a_server_killed_while_sending_leaves_the_message_to_be_sent_once_after_restart(
    tmp_path: Any,
) -> None:
    db_url = f"sqlite:///{tmp_path / 'alerts.db'}"
    lease = {"FLOWLYTICS_ALERT_LEASE_SECONDS": "3"}
    with http_receiver(script=[("hang", 30)]) as receiver:
        with server(db_url, **lease) as (url, process):
            channel = _post(
                url, "/api/v1/alerts/channels", {"name": "hook", "type": "webhook", "url": receiver.url}, ADMIN
            )["id"]
            _post(
                url,
                "/api/v1/alerts/rules",
                {"name": "failures", "condition": {"type": "run_failed"}, "channelIds": [channel]},
                ADMIN,
            )
            _post(url, "/api/v1/lineage/batch", dag_run_events("sales", failed_tasks=1)[1], INGEST)
            wait_until(lambda: receiver.attempts == 1, what="the server to be sending")
            process.send_signal(signal.SIGKILL)  # claimed, mid-send: nothing recorded
            process.wait(timeout=10)
        assert receiver.requests == []
        with server(db_url, **lease) as (url, _):
            wait_until(lambda: receiver.requests, timeout=60, what="the message after the restart")
            import time

            time.sleep(1.5)
            assert len(receiver.requests) == 1 and receiver.attempts == 2
            timeline = httpx.get(url + "/api/v1/incidents/1/timeline", headers=READ).json()["items"]
            assert [e["kind"] for e in timeline].count("delivered") == 1
