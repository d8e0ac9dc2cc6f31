"""Workflow-draft routes: draft, catalog, saved drafts per user; 401/403/404/422 and body limits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from starlette.requests import Request

from lineage_backend.app import create_app
from lineage_backend.auth import READ, Principal
from lineage_backend.db import Database
from lineage_backend.workflows.parse import MAX_TEXT_CHARS
from tests.conftest import INGEST, make_settings
from tests.conftest import READ as READ_HEADERS
from tests.lineage_backend.events import dataset, run_event
from tests.lineage_backend.workflows.helpers import CORPUS

EXAMPLE = (
    "When an order file lands, check it, if more than 1 % rows are invalid notify data-ops otherwise load it "
    "into the warehouse"
)


class HeaderUser:
    """Test users by header, as the Airflow plugin's users are: each has their own saved drafts."""

    async def authenticate(self, request: Request) -> Principal | None:
        name = request.headers.get("x-test-user")
        return Principal(name=name, scopes=frozenset({READ})) if name else None


def order_file_asset() -> list[object]:
    from lineage_backend.workflows.catalog import CatalogEvent

    return [CatalogEvent(id="asset:order_file", kind="asset", name="order_file", uri="file://landing/orders.csv")]


@pytest.fixture
def api(database: Database, tmp_path: Path) -> Iterator[TestClient]:
    operations = tmp_path / "operations.yaml"
    corpus = yaml.safe_load((CORPUS / "catalog.yaml").read_text())
    operations.write_text(yaml.safe_dump({"operations": corpus["operations"]}))
    settings = make_settings(workflow_operations=str(operations))
    app = create_app(settings, database=database, authenticators=[HeaderUser()])
    app.state.workflow_assets = order_file_asset
    with TestClient(app) as client:
        yield client


ALICE = {"X-Test-User": "alice"}
BOB = {"X-Test-User": "bob"}


def test_draft_of_the_issues_example(api: TestClient) -> None:
    response = api.post("/api/v1/workflows/drafts", json={"text": EXAMPLE}, headers=READ_HEADERS)
    assert response.status_code == 200
    body = response.json()
    assert body["issues"] == []
    assert body["paraphrase"].startswith("1. When order file is updated.\n2. Then check it.\n3. If more than 1 %")
    assert body["mermaid"].startswith("flowchart TD\n")
    assert "@task.branch" in body["dagCode"] and "schedule=[ORDER_FILE]" in body["dagCode"]
    assert body["model"]["trigger"]["eventId"] == "asset:order_file"
    assert [node["kind"] for node in body["model"]["nodes"]] == ["trigger", "task", "decision", "notify", "task"]
    assert len(body["testEvents"]) == 2


@pytest.mark.parametrize("separator", ["\x1c", "\x85", "\u2028"])
def test_a_line_separator_lark_does_not_count_is_an_issue_not_a_500(api: TestClient, separator: str) -> None:
    """Found by the API fuzzer: str.splitlines() splits where lark does not, and the message's lookup broke."""
    response = api.post("/api/v1/workflows/drafts", json={"text": f"When x{separator}y"}, headers=READ_HEADERS)
    assert response.status_code == 200, response.text
    [issue] = [i for i in response.json()["issues"] if "not part of the controlled English" in i["message"]]
    assert repr(separator) in issue["message"] and issue["line"] == 1


def test_draft_issues_have_severity_code_message_line_and_column(api: TestClient) -> None:
    text = "When an order fil lands\nchek it"
    body = api.post("/api/v1/workflows/drafts", json={"text": text}, headers=READ_HEADERS).json()
    by_code = {issue["code"]: issue for issue in body["issues"]}
    assert by_code["WF002"]["line"] == 1 and "did you mean 'order file'" in by_code["WF002"]["message"]
    assert (by_code["WF003"]["line"], by_code["WF003"]["column"]) == (2, 1)
    assert by_code["WF003"]["severity"] == "error" and "did you mean 'check'" in by_code["WF003"]["message"]
    assert body["dagCode"] is None


def test_datasets_flowlytics_has_seen_are_events(api: TestClient) -> None:
    event = run_event("COMPLETE", outputs=[dataset("postgres://db:5432", "shop.public.orders")])
    assert api.post("/api/v1/lineage", json=event, headers=INGEST).status_code == 201
    catalog = api.get("/api/v1/workflows/catalog", headers=READ_HEADERS).json()
    ids = {event["id"] for event in catalog["events"]}
    assert {"asset:order_file", "dataset:postgres://db:5432:shop.public.orders"} <= ids
    operations = {operation["id"]: operation for operation in catalog["operations"]}
    assert operations["wait_for_health"]["target"] == "flowlytics_plugin.gates.UpstreamHealthSensor"
    assert operations["impact_gate"]["target"] == "flowlytics_plugin.gates.ImpactGateOperator"
    assert operations["check"]["builtin"] is False and operations["run_sql"]["builtin"] is True
    body = api.post(
        "/api/v1/workflows/drafts", json={"text": "When orders is updated, run sql on it"}, headers=READ_HEADERS
    ).json()
    assert body["issues"] == [] and body["model"]["trigger"]["eventId"].startswith("dataset:postgres")


def test_saved_drafts_are_per_user(api: TestClient) -> None:
    created = api.post("/api/v1/workflows/saved", json={"name": "orders", "text": EXAMPLE}, headers=ALICE)
    assert created.status_code == 201
    draft_id = created.json()["id"]
    assert created.json()["draft"]["dagCode"] is not None
    listed = api.get("/api/v1/workflows/saved", headers=ALICE).json()
    assert listed["totalCount"] == 1 and listed["items"][0]["name"] == "orders"
    opened = api.get(f"/api/v1/workflows/saved/{draft_id}", headers=ALICE).json()
    assert opened["text"] == EXAMPLE and opened["draft"]["mermaid"].startswith("flowchart TD")
    # Bob sees none of it and cannot touch it.
    assert api.get("/api/v1/workflows/saved", headers=BOB).json() == {"items": [], "totalCount": 0}
    assert api.get(f"/api/v1/workflows/saved/{draft_id}", headers=BOB).status_code == 404
    assert api.delete(f"/api/v1/workflows/saved/{draft_id}", headers=BOB).status_code == 404
    assert api.patch(f"/api/v1/workflows/saved/{draft_id}", json={"name": "x"}, headers=BOB).status_code == 404
    edited = api.patch(f"/api/v1/workflows/saved/{draft_id}", json={"text": "check it"}, headers=ALICE).json()
    assert edited["text"] == "check it" and edited["name"] == "orders"
    assert [issue["code"] for issue in edited["draft"]["issues"]][:1] == ["WF001"]
    assert api.delete(f"/api/v1/workflows/saved/{draft_id}", headers=ALICE).status_code == 204
    assert api.get(f"/api/v1/workflows/saved/{draft_id}", headers=ALICE).status_code == 404


def test_two_api_keys_do_not_see_each_others_drafts(database: Database) -> None:
    first_key, second_key = "first-read-key-0123", "second-read-key-4567"
    settings = make_settings(read_api_keys=(first_key, second_key))
    first = {"Authorization": f"Bearer {first_key}"}
    second = {"Authorization": f"Bearer {second_key}"}
    with TestClient(create_app(settings, database=database)) as client:
        created = client.post("/api/v1/workflows/saved", json={"name": "mine", "text": "check it"}, headers=first)
        assert created.status_code == 201, created.text
        draft_id = created.json()["id"]
        assert client.get("/api/v1/workflows/saved", headers=first).json()["totalCount"] == 1
        assert client.get("/api/v1/workflows/saved", headers=second).json() == {"items": [], "totalCount": 0}
        assert client.get(f"/api/v1/workflows/saved/{draft_id}", headers=second).status_code == 404
        assert client.delete(f"/api/v1/workflows/saved/{draft_id}", headers=second).status_code == 404
        assert client.get(f"/api/v1/workflows/saved/{draft_id}", headers=first).status_code == 200


def test_api_key_principal_names_are_stable_distinct_and_not_the_key() -> None:
    from lineage_backend.auth import api_key_principal_name

    first, second = api_key_principal_name("first-read-key-0123"), api_key_principal_name("second-read-key-4567")
    assert first == api_key_principal_name("first-read-key-0123")
    assert first != second
    assert re.fullmatch(r"api-key:[0-9a-f]{12}", first) and "first-read-key" not in first


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/workflows/drafts", {"text": "x"}),
        ("get", "/api/v1/workflows/catalog", None),
        ("get", "/api/v1/workflows/saved", None),
        ("post", "/api/v1/workflows/saved", {"name": "a", "text": "x"}),
        ("get", "/api/v1/workflows/saved/1", None),
        ("delete", "/api/v1/workflows/saved/1", None),
    ],
)
def test_authentication_and_scope(api: TestClient, method: str, path: str, body: object) -> None:
    kwargs = {"json": body} if body is not None else {}
    anonymous = api.request(method, path, **kwargs)
    assert anonymous.status_code == 401 and "Not authenticated" in anonymous.json()["detail"]
    ingest_only = api.request(method, path, headers=INGEST, **kwargs)
    assert ingest_only.status_code == 403 and "may not read" in ingest_only.json()["detail"]


def test_bad_bodies_are_422_with_a_detail(api: TestClient) -> None:
    too_long = api.post("/api/v1/workflows/drafts", json={"text": "x" * (MAX_TEXT_CHARS + 1)}, headers=ALICE)
    assert too_long.status_code == 422 and "text" in too_long.json()["detail"]
    assert api.post("/api/v1/workflows/drafts", json={}, headers=ALICE).status_code == 422
    bad_dag_id = api.post("/api/v1/workflows/drafts", json={"text": EXAMPLE, "dagId": "a b"}, headers=ALICE)
    assert bad_dag_id.status_code == 422 and "dagId" in bad_dag_id.json()["detail"]
    no_name = api.post("/api/v1/workflows/saved", json={"name": "", "text": EXAMPLE}, headers=ALICE)
    assert no_name.status_code == 422 and "name" in no_name.json()["detail"]
    assert api.get("/api/v1/workflows/saved/0", headers=ALICE).status_code == 422
    assert api.get("/api/v1/workflows/saved/abc", headers=ALICE).status_code == 422
    assert api.get("/api/v1/workflows/saved/999", headers=ALICE).status_code == 404


def test_a_dag_id_can_be_chosen(api: TestClient) -> None:
    body = api.post("/api/v1/workflows/drafts", json={"text": EXAMPLE, "dagId": "orders_v2"}, headers=ALICE).json()
    assert "dag_id='orders_v2'" in body["dagCode"]


def test_a_broken_operations_file_is_a_clear_503(database: Database, tmp_path: Path) -> None:
    broken = tmp_path / "ops.yaml"
    broken.write_text("operations:\n  - {id: Bad Id, name: x, target: 'm:f'}\n")
    app = create_app(make_settings(workflow_operations=str(broken)), database=database)
    with TestClient(app) as client:
        response = client.get("/api/v1/workflows/catalog", headers=READ_HEADERS)
    assert response.status_code == 503
    assert "workflow_operations" in response.json()["detail"] and "operation #1" in response.json()["detail"]


def test_rewrite_is_off_unless_a_model_is_configured(api: TestClient) -> None:
    response = api.post("/api/v1/workflows/rewrite", json={"text": "when orders come in, load them"}, headers=ALICE)
    assert response.status_code == 404 and "off by default" in response.json()["detail"]
    assert api.post("/api/v1/workflows/rewrite", json={"text": "x"}).status_code == 401
    assert api.post("/api/v1/workflows/rewrite", json={"text": "x"}, headers=INGEST).status_code == 403
    assert api.post("/api/v1/workflows/rewrite", json={"text": ""}, headers=ALICE).status_code == 422


def test_rewrite_with_a_model_shows_the_controlled_english_and_its_draft(api: TestClient) -> None:
    pytest.importorskip("pydantic_ai")
    from pydantic_ai.messages import ModelResponse, ToolCallPart
    from pydantic_ai.models.function import FunctionModel

    answers = iter(["When order file lands, then chek it &", "When order file lands, then check it"])

    def reply(messages: object, info: object) -> ModelResponse:
        tool = info.output_tools[0].name  # type: ignore[attr-defined]
        return ModelResponse(parts=[ToolCallPart(tool, {"controlled_text": next(answers), "questions": []})])

    api.app.state.workflow_model = FunctionModel(reply)  # type: ignore[attr-defined]
    body = api.post("/api/v1/workflows/rewrite", json={"text": "orders: check"}, headers=ALICE).json()
    assert body["accepted"] is True and body["attempts"] == 2
    assert body["controlledText"] == "When order file lands, then check it"
    assert body["draft"]["issues"] == [] and body["draft"]["dagCode"] is not None
