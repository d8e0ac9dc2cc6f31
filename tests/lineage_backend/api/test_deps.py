"""Who is asked who the caller is: the API keys first, a host's authenticators (the plugin's Airflow users,
whose auth manager reads the metadata database) only when no key matched. Inside Airflow's API server that
keeps the auth manager off every ingest post that carries its key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from lineage_backend.app import create_app
from lineage_backend.auth import Principal
from lineage_backend.db import Database
from tests.conftest import INGEST, READ, make_settings
from tests.lineage_backend.events import run_event


class CountingHost:
    """A host's authenticator that recognises nobody and counts how often it was asked."""

    def __init__(self) -> None:
        self.asked = 0

    async def authenticate(self, request: Request) -> Principal | None:
        self.asked += 1
        return None


@pytest.fixture
def host_and_client(sqlite_database: Database) -> Iterator[tuple[CountingHost, TestClient]]:
    host = CountingHost()
    settings = make_settings(alerts_enabled=False)
    with TestClient(create_app(settings, database=sqlite_database, authenticators=[host])) as client:
        yield host, client


def test_an_ingest_key_is_accepted_without_asking_the_host(host_and_client: tuple[CountingHost, TestClient]) -> None:
    host, client = host_and_client
    single = client.post("/api/v1/lineage", json=run_event("START"), headers=INGEST)
    batch = client.post("/api/v1/lineage/batch", json=[run_event("START")], headers=INGEST)
    assert (single.status_code, batch.status_code) == (201, 200)
    assert host.asked == 0


def test_a_read_key_is_accepted_without_asking_the_host(host_and_client: tuple[CountingHost, TestClient]) -> None:
    host, client = host_and_client
    assert client.get("/api/v1/runs", headers=READ).status_code == 200
    assert host.asked == 0


def test_without_a_key_the_host_is_asked_and_nobody_gets_in(host_and_client: tuple[CountingHost, TestClient]) -> None:
    host, client = host_and_client
    unknown = client.post("/api/v1/lineage", json=run_event("START"), headers={"Authorization": "Bearer nope"})
    anonymous = client.get("/api/v1/runs")
    assert (unknown.status_code, anonymous.status_code) == (401, 401)
    assert host.asked == 2
