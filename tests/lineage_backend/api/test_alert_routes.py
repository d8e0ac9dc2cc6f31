"""401/403/404/422 on every anomaly, alert and incident route, and clear details for bad bodies."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from lineage_backend.db import Database
from tests.conftest import INGEST, READ
from tests.lineage_backend.alerting.scenario import ADMIN, alert_client

UUID = "6a3c4f1e-2b7d-4c8e-9f00-112233445566"
# (method, path, body, least scope: "read" or "admin")
ROUTES: list[tuple[str, str, Any, str]] = [
    ("GET", "/api/v1/anomalies", None, "read"),
    # Marking normal changes what the detector learns for everyone: editors only, as the UI offers it.
    ("POST", "/api/v1/anomalies/1/mark-normal", None, "admin"),
    ("POST", f"/api/v1/runs/{UUID}/mark-normal", None, "admin"),
    ("GET", "/api/v1/alerts/access", None, "read"),
    ("GET", "/api/v1/alerts/channels", None, "read"),
    ("POST", "/api/v1/alerts/channels", {"name": "x", "type": "webhook", "url": "http://127.0.0.1:9/x"}, "admin"),
    ("PATCH", "/api/v1/alerts/channels/1", {"name": "y"}, "admin"),
    ("DELETE", "/api/v1/alerts/channels/1", None, "admin"),
    ("POST", "/api/v1/alerts/channels/1/test", None, "admin"),
    ("GET", "/api/v1/alerts/owner-routes", None, "read"),
    ("PUT", "/api/v1/alerts/owner-routes", {"routes": {}}, "admin"),
    ("GET", "/api/v1/alerts/rules", None, "read"),
    ("POST", "/api/v1/alerts/rules", {"name": "r", "condition": {"type": "run_failed"}}, "admin"),
    ("PATCH", "/api/v1/alerts/rules/1", {"enabled": False}, "admin"),
    ("DELETE", "/api/v1/alerts/rules/1", None, "admin"),
    ("GET", "/api/v1/alerts/silences", None, "read"),
    ("POST", "/api/v1/alerts/silences", {"subject": "job:airflow:x"}, "read"),
    ("DELETE", "/api/v1/alerts/silences/1", None, "read"),
    ("GET", "/api/v1/incidents", None, "read"),
    ("GET", "/api/v1/incidents/1", None, "read"),
    ("PATCH", "/api/v1/incidents/1", {"state": "ACKNOWLEDGED"}, "read"),
    ("GET", "/api/v1/incidents/1/timeline", None, "read"),
    ("GET", "/api/v1/incidents/1/export", None, "read"),
]


@pytest.fixture
def client(sqlite_database: Database) -> Any:
    with alert_client(sqlite_database, alerts_enabled=False) as test_client:
        yield test_client


def _call(client: TestClient, method: str, path: str, body: Any, headers: dict[str, str] | None) -> Any:
    return client.request(method, path, json=body, headers=headers or {})


@pytest.mark.parametrize(("method", "path", "body", "scope"), ROUTES)
def test_auth(client: TestClient, method: str, path: str, body: Any, scope: str) -> None:
    response = _call(client, method, path, body, None)
    assert response.status_code == 401 and "Authorization: Bearer" in response.json()["detail"]
    assert _call(client, method, path, body, INGEST).status_code == 403
    if scope == "admin":
        forbidden = _call(client, method, path, body, READ)
        assert forbidden.status_code == 403 and "admin" in forbidden.json()["detail"]


@pytest.mark.parametrize(("method", "path", "body", "scope"), [r for r in ROUTES if "/1" in r[1] or UUID in r[1]])
def test_not_found(client: TestClient, method: str, path: str, body: Any, scope: str) -> None:
    response = _call(client, method, path, body, ADMIN)
    assert response.status_code == 404, response.text
    assert "list them with GET" in response.json()["detail"]


BAD_BODIES = [
    ("POST", "/api/v1/alerts/channels", {"name": "x", "type": "carrier-pigeon"}, "type"),
    ("POST", "/api/v1/alerts/channels", {"name": "x", "type": "webhook", "url": "ftp://nope"}, "http(s) URL"),
    ("POST", "/api/v1/alerts/channels", {"name": "x", "type": "email"}, "addresses"),
    ("POST", "/api/v1/alerts/channels", {"name": "x", "type": "email", "addresses": ["nobody"]}, "not email"),
    ("POST", "/api/v1/alerts/channels", {"name": "x", "type": "apprise", "url": "nosuch://x"}, "apprise URL"),
    (
        "POST",
        "/api/v1/alerts/channels",
        {"name": "x", "type": "slack", "url": "https://h.example/x", "secret": "s"},
        "only webhook",
    ),
    ("POST", "/api/v1/alerts/rules", {"name": "r", "condition": {"type": "explode"}}, "condition.type"),
    ("POST", "/api/v1/alerts/rules", {"name": "r", "condition": {"type": "duration_above"}}, "threshold"),
    (
        "POST",
        "/api/v1/alerts/rules",
        {"name": "r", "condition": {"type": "dq_error_rate_above", "threshold": 5}},
        "rate from 0 to 1",
    ),
    ("POST", "/api/v1/alerts/rules", {"name": "r", "condition": {"type": "anomaly", "metric": "cpu"}}, "metric"),
    (
        "POST",
        "/api/v1/alerts/rules",
        {"name": "r", "condition": {"type": "run_failed"}, "channelIds": [42]},
        "no channels [42]",
    ),
    (
        "POST",
        "/api/v1/alerts/rules",
        {"name": "r", "condition": {"type": "run_failed"}, "scope": {"minCriticality": "extreme"}},
        "minCriticality",
    ),
    ("PUT", "/api/v1/alerts/owner-routes", {"routes": {"team": 42}}, "no channels [42]"),
    ("POST", "/api/v1/alerts/silences", {}, "ruleId"),
    ("POST", "/api/v1/alerts/silences", {"subject": "job:a:b", "until": "2000-01-01T00:00:00Z"}, "future"),
    ("GET", "/api/v1/incidents?state=BROKEN", None, "state must be"),
    ("GET", "/api/v1/incidents/1/export?format=pdf", None, "format"),
    ("GET", "/api/v1/anomalies?metric=cpu", None, "metric"),
    ("GET", "/api/v1/anomalies?limit=0", None, "limit"),
    # Ids past what a 64-bit column holds were an SQLite OverflowError (a 500), found by the API fuzzer.
    ("GET", f"/api/v1/incidents/{2**63}/export", None, "incident_id"),
    ("PATCH", f"/api/v1/alerts/rules/{2**63}", {"enabled": False}, "rule_id"),
    (
        "POST",
        "/api/v1/alerts/rules",
        {"name": "r", "condition": {"type": "run_failed"}, "channelIds": [2**63]},
        "channelIds",
    ),
    ("DELETE", f"/api/v1/alerts/silences/{2**63}", None, "silence_id"),
    # Names people type: not blank, not too long, one line (a line break or a direction override in a name
    # would break or reorder the lines of every message that names it).
    *[
        (method, path, {**base, "name": name}, says)
        for method, path, base in [
            ("POST", "/api/v1/alerts/channels", {"type": "webhook", "url": "http://127.0.0.1:9/x"}),
            ("PATCH", "/api/v1/alerts/channels/1", {}),
            ("POST", "/api/v1/alerts/rules", {"condition": {"type": "run_failed"}}),
            ("PATCH", "/api/v1/alerts/rules/1", {}),
        ]
        for name, says in [
            ("", "at least 1 character"),
            ("   ", "must not be blank"),
            ("x" * 201, "at most 200 characters"),
            (
                "on\ncall",
                "one line, without control characters (line breaks, tabs, direction overrides): U+000A at character 3",
            ),
            ("on\rBcc: x", "control characters"),
            ("tab\there", "control characters"),
            ("nul\x00", "control characters"),
            ("rtl\u202eexe.fdp", "direction overrides): U+202E at character 4"),
            ("line\u2028sep", "control characters"),
        ]
    ],
    # Channel URLs: http(s) for webhooks and Slack, an apprise service otherwise; never javascript:, file:, ...
    *[
        ("POST", "/api/v1/alerts/channels", {"name": "x", "type": kind, "url": url}, says)
        for kind in ("webhook", "slack")
        for url, says in [
            ("javascript:alert(1)", "http(s) URL"),
            ("JaVaScRiPt://h.example/%0aalert(1)", "http(s) URL"),
            ("file:///etc/passwd", "http(s) URL"),
            ("data:text/html,<script>alert(1)</script>", "http(s) URL"),
            ("http://h.example/x\r\nX-Injected: 1", "control characters"),
            (" http://h.example/x", "must not contain spaces"),
        ]
    ],
    *[
        ("POST", "/api/v1/alerts/channels", {"name": "x", "type": "apprise", "url": url}, says)
        for url, says in [
            ("javascript:alert(1)", "javascript: is no notification service"),
            ("file:///etc/passwd", "file: is no notification service"),
            ("data:text/plain,x", "data: is no notification service"),
            ("json://h.example/x\nmsteams://y", "control characters"),
            ("json://h.example/a b", "must not contain spaces"),
        ]
    ],
    ("PATCH", "/api/v1/alerts/channels/1", {"url": "javascript:alert(1)\n"}, "control characters"),
    ("POST", "/api/v1/alerts/channels", {"name": "x", "type": "email", "addresses": ["a,b@c.example"]}, "not email"),
    (
        "POST",
        "/api/v1/alerts/channels",
        {"name": "x", "type": "email", "addresses": ["a@b.example\r\nBcc: evil@evil.example"]},
        "not email",
    ),
    (
        "POST",
        "/api/v1/alerts/channels",
        {"name": "x", "type": "email", "addresses": ["Eve <e@v.example>"]},
        "not email",
    ),
    ("POST", "/api/v1/alerts/channels", {"name": "x", "type": "email", "addresses": ["a@b.c"] * 101}, "at most 100"),
    (
        "POST",
        "/api/v1/alerts/channels",
        {"name": "x", "type": "webhook", "url": "http://h.example/x", "secret": "s\ne"},
        "secret: Value error, must not contain control characters",
    ),
    # Scope entries match names from events (which may hold line breaks), but are never blank, nor NUL.
    *[
        ("POST", "/api/v1/alerts/rules", {"name": "r", "condition": {"type": "run_failed"}, "scope": scope}, says)
        for scope, says in [
            ({"dagIds": [""]}, "scope.dagIds.0"),
            ({"namespaces": ["  "]}, "must not be blank"),
            ({"owners": ["team\x00"]}, "NUL"),
            ({"nodeIds": ["x" * 2101]}, "at most 2100"),
            ({"env": ["prod"] * 1001}, "at most 1000"),
        ]
    ],
    ("PUT", "/api/v1/alerts/owner-routes", {"routes": {"": 1}}, "1-250 characters"),
    ("PUT", "/api/v1/alerts/owner-routes", {"routes": {"team\nfinance": 1}}, "without control characters"),
    ("PUT", "/api/v1/alerts/owner-routes", {"routes": {"team\u202e": 1}}, "without control characters"),
    ("POST", "/api/v1/alerts/silences", {"subject": "job:a:b", "reason": "a\nb"}, "reason: Value error, must be one"),
    ("POST", "/api/v1/alerts/silences", {"subject": "job:a:b", "reason": "r" * 1001}, "at most 1000"),
    ("POST", "/api/v1/alerts/silences", {"subject": "job:a:\x00"}, "NUL"),
    ("PATCH", "/api/v1/incidents/1", {"note": "bell\x07"}, "other than tabs and line breaks"),
]


@pytest.mark.parametrize(("method", "path", "body", "says"), BAD_BODIES)
def test_bad_input_is_422_with_a_clear_detail(client: TestClient, method: str, path: str, body: Any, says: str) -> None:
    response = _call(client, method, path, body, ADMIN)
    assert response.status_code == 422, response.text
    assert says in response.json()["detail"]


def test_crud_round_trip_and_names_are_unique(client: TestClient) -> None:
    channel = client.post(
        "/api/v1/alerts/channels", json={"name": "ops", "type": "webhook", "url": "http://127.0.0.1:9/x"}, headers=ADMIN
    ).json()
    again = client.post(
        "/api/v1/alerts/channels", json={"name": "ops", "type": "webhook", "url": "http://127.0.0.1:9/y"}, headers=ADMIN
    )
    assert again.status_code == 422 and "taken" in again.json()["detail"]
    created = client.post(
        "/api/v1/alerts/rules",
        json={
            "name": "owners",
            "condition": {"type": "consecutive_failures"},
            "scope": {"owners": ["data-eng"]},
            "channelIds": [channel["id"]],
            "routeToOwners": True,
        },
        headers=ADMIN,
    )
    assert created.status_code == 201
    rule = created.json()
    assert rule["condition"] == {
        "type": "consecutive_failures",
        "count": 3,
        "metric": None,
        "minLevel": None,
        "threshold": None,
    }
    assert rule["evaluated"] is True and rule["scope"]["owners"] == ["data-eng"] and rule["scope"]["dagIds"] == []
    cost = client.post(
        "/api/v1/alerts/rules",
        json={"name": "cost", "condition": {"type": "cost_above", "threshold": 10}},
        headers=ADMIN,
    ).json()
    assert cost["evaluated"] is False  # accepted; evaluated once run analytics has cost
    routes = client.put("/api/v1/alerts/owner-routes", json={"routes": {"data-eng": channel["id"]}}, headers=ADMIN)
    assert routes.json() == {"routes": {"data-eng": channel["id"]}}
    patched = client.patch(f"/api/v1/alerts/rules/{rule['id']}", json={"enabled": False}, headers=ADMIN).json()
    assert patched["enabled"] is False and patched["name"] == "owners"
    assert client.delete(f"/api/v1/alerts/channels/{channel['id']}", headers=ADMIN).status_code == 204
    assert client.get("/api/v1/alerts/rules", headers=READ).json()["items"][0]["channelIds"] == []
    assert client.get("/api/v1/alerts/owner-routes", headers=READ).json() == {"routes": {}}
    assert client.delete(f"/api/v1/alerts/rules/{rule['id']}", headers=ADMIN).status_code == 204
    assert client.get("/api/v1/alerts/rules", headers=READ).json()["totalCount"] == 1


def test_names_are_trimmed_and_what_is_valid_is_kept(client: TestClient) -> None:
    """The other side of the 422s above: a hostile but printable name is kept exactly (it is text), a name is
    trimmed, scope entries and notes keep what events and people wrote, an empty silence subject is none."""
    hostile = "<img src=x onerror=alert(1)> =cmd|' /C calc'!A0 <!channel> [x](javascript:alert(1)) *b* `c`"
    channel = client.post(
        "/api/v1/alerts/channels",
        json={"name": f"  {hostile}  ", "type": "email", "addresses": ["o'brien@example.com"]},
        headers=ADMIN,
    )
    assert channel.status_code == 201, channel.text
    assert channel.json()["name"] == hostile
    rule = client.post(
        "/api/v1/alerts/rules",
        json={"name": hostile, "condition": {"type": "run_failed"}, "scope": {"dagIds": ["dag\nwith a break"]}},
        headers=ADMIN,
    )
    assert rule.status_code == 201, rule.text
    assert rule.json()["name"] == hostile and rule.json()["scope"]["dagIds"] == ["dag\nwith a break"]
    silence = client.post(
        "/api/v1/alerts/silences", json={"ruleId": rule.json()["id"], "subject": "", "reason": hostile}, headers=READ
    )
    assert silence.status_code == 201, silence.text
    assert silence.json()["subject"] is None and silence.json()["reason"] == hostile


def test_access_says_who_may_edit(client: TestClient) -> None:
    reader = client.get("/api/v1/alerts/access", headers=READ)
    admin = client.get("/api/v1/alerts/access", headers=ADMIN)
    assert reader.status_code == 200 and admin.status_code == 200
    assert reader.json()["canEdit"] is False and reader.json()["canSilence"] is True
    assert admin.json()["canEdit"] is True and admin.json()["canSilence"] is True
    assert reader.json()["user"] != admin.json()["user"]
    # What the page hides the API refuses: a reader cannot create a channel, nor change the owner map.
    refused = client.post(
        "/api/v1/alerts/channels", json={"name": "x", "type": "webhook", "url": "http://127.0.0.1:9/x"}, headers=READ
    )
    assert refused.status_code == 403
    assert client.put("/api/v1/alerts/owner-routes", json={"routes": {}}, headers=READ).status_code == 403
