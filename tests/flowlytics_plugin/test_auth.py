"""The plugin's Airflow users: a request without an Airflow token (an emitter posting with its ingest key, a
tool with a read key) costs no auth-manager call."""

from __future__ import annotations

import asyncio

import pytest
from starlette.requests import Request

from flowlytics_plugin.auth import AirflowUserAuthenticator


def _request(headers: dict[str, str]) -> Request:
    raw = [(name.lower().encode(), value.encode()) for name, value in headers.items()]
    return Request({"type": "http", "method": "POST", "path": "/api/v1/lineage", "headers": raw})


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "}])
def test_no_airflow_token_asks_no_auth_manager(monkeypatch: pytest.MonkeyPatch, headers: dict[str, str]) -> None:
    import airflow.api_fastapi.app as airflow_app

    def no_auth_manager() -> None:
        raise AssertionError("the auth manager was asked")

    monkeypatch.setattr(airflow_app, "get_auth_manager", no_auth_manager)
    users = AirflowUserAuthenticator(dag_namespace="default", foreign_dag_visibility="all_dags_readers")
    assert asyncio.run(users.authenticate(_request(headers))) is None


def test_a_token_that_is_no_airflow_user_is_nobody(monkeypatch: pytest.MonkeyPatch) -> None:
    import airflow.api_fastapi.app as airflow_app

    class Refusing:
        async def get_user_from_token(self, token: str) -> None:
            raise ValueError(f"not a JWT: {token}")

    monkeypatch.setattr(airflow_app, "get_auth_manager", Refusing)
    users = AirflowUserAuthenticator(dag_namespace="default", foreign_dag_visibility="all_dags_readers")
    assert asyncio.run(users.authenticate(_request({"Authorization": "Bearer an-ingest-key"}))) is None


class FakeUser:
    def get_name(self) -> str:
        return "ada"


class FakeAuthManager:
    """Answers as an auth manager would for a user who may read DAGs a and b, and edit DAGs if `edits`."""

    def __init__(self, *, edits: bool) -> None:
        self.edits = edits
        self.calls: list[str] = []

    async def get_user_from_token(self, token: str) -> FakeUser:
        self.calls.append("token")
        return FakeUser()

    def is_authorized_dag(self, *, method: str, user: FakeUser) -> bool:
        self.calls.append(f"dag {method}")
        return method == "GET" or self.edits

    def get_authorized_dag_ids(self, *, user: FakeUser, method: str) -> set[str]:
        self.calls.append(f"dag ids {method}")
        return {"a", "b"}


@pytest.mark.parametrize(
    ("known", "edits", "every", "scopes"),
    [
        ({"a", "b"}, True, True, {"read", "admin"}),
        ({"a", "b", "c"}, False, False, {"read"}),  # c is not theirs: restricted to a and b
    ],
)
def test_an_airflow_user_gets_the_auth_managers_answers(
    monkeypatch: pytest.MonkeyPatch, known: set[str], edits: bool, every: bool, scopes: set[str]
) -> None:
    import airflow.api_fastapi.app as airflow_app

    from flowlytics_plugin import auth

    manager = FakeAuthManager(edits=edits)
    monkeypatch.setattr(airflow_app, "get_auth_manager", lambda: manager)
    monkeypatch.setattr(auth, "_known_dag_ids", lambda: known)
    users = AirflowUserAuthenticator(dag_namespace="default", foreign_dag_visibility="all_dags_readers")
    principal = asyncio.run(users.authenticate(_request({"Authorization": "Bearer a-jwt"})))
    assert principal is not None
    assert principal.name == "airflow:ada"
    assert principal.scopes == frozenset(scopes)
    assert principal.readable_dag_ids == (None if every else frozenset({"a", "b"}))
    assert sorted(manager.calls) == ["dag GET", "dag PUT", "dag ids GET", "token"]
