"""Read endpoints: namespaces, jobs, datasets, runs, health — content, paging and 401/403/404/422."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ADMIN_KEY, INGEST, READ
from tests.lineage_backend.events import dataset, output_stats, parent_facet, run_event

PG_NS = "postgres://db.example:5432"


@pytest.fixture
def seeded(client: TestClient) -> dict[str, str]:
    dag_run, load_run, failed_run = (str(uuid.uuid4()) for _ in range(3))
    orders = {**dataset(PG_NS, "shop.public.orders"), "outputFacets": output_stats(120, 4096)}
    events = [
        run_event(
            "START",
            run_id=dag_run,
            job="shop_etl",
            seconds=0,
            job_facets={"jobType": {"jobType": "DAG", "integration": "AIRFLOW", "processingType": "BATCH"}},
        ),
        run_event(
            "START",
            run_id=load_run,
            job="shop_etl.load",
            seconds=1,
            run_facets={"parent": parent_facet(dag_run, "shop_etl")},
        ),
        run_event(
            "COMPLETE",
            run_id=load_run,
            job="shop_etl.load",
            seconds=61,
            inputs=[dataset("file", "/data/orders.csv")],
            outputs=[orders],
            run_facets={"parent": parent_facet(dag_run, "shop_etl")},
            job_facets={"ownership": {"owners": [{"name": "team:shop"}]}},
        ),
        run_event(
            "START",
            run_id=failed_run,
            job="shop_etl.report",
            seconds=70,
            run_facets={"parent": parent_facet(dag_run, "shop_etl")},
        ),
        run_event(
            "FAIL",
            run_id=failed_run,
            job="shop_etl.report",
            seconds=75,
            run_facets={
                "parent": parent_facet(dag_run, "shop_etl"),
                "errorMessage": {"message": "division by zero", "programmingLanguage": "python"},
            },
        ),
        run_event("FAIL", run_id=dag_run, job="shop_etl", seconds=80),
    ]
    response = client.post("/api/v1/lineage/batch", json=events, headers=INGEST)
    assert response.json()["status"] == "success"
    return {"dag": dag_run, "load": load_run, "failed": failed_run}


def test_runs_newest_first_with_states_parents_and_statistics(client: TestClient, seeded: dict[str, str]) -> None:
    body = client.get("/api/v1/runs", headers=READ).json()
    assert body["totalCount"] == 3
    assert [item["runId"] for item in body["items"]] == [seeded["failed"], seeded["load"], seeded["dag"]]
    load = body["items"][1]
    assert load["state"] == "COMPLETED"
    assert load["durationSeconds"] == 60.0
    assert load["parentRunId"] == seeded["dag"] and load["rootRunId"] == seeded["dag"]
    assert load["outputs"] == [
        {"namespace": PG_NS, "name": "shop.public.orders", "rowCount": 120, "bytes": 4096, "fileCount": None}
    ]
    assert load["inputs"][0]["name"] == "/data/orders.csv"
    assert body["items"][0]["errorMessage"] == "division by zero"
    assert body["items"][2]["state"] == "FAILED"


def test_runs_filters_and_paging(client: TestClient, seeded: dict[str, str]) -> None:
    failed = client.get("/api/v1/runs?state=failed", headers=READ).json()
    assert {item["runId"] for item in failed["items"]} == {seeded["failed"], seeded["dag"]}
    page = client.get("/api/v1/runs?limit=1&offset=1", headers=READ).json()
    assert page["totalCount"] == 3 and [i["runId"] for i in page["items"]] == [seeded["load"]]
    by_job = client.get("/api/v1/runs", params={"jobNodeId": "job:airflow:shop_etl.load"}, headers=READ).json()
    assert [i["runId"] for i in by_job["items"]] == [seeded["load"]]
    since = client.get("/api/v1/runs", params={"since": "2024-05-01T12:01:00Z"}, headers=READ).json()
    assert [i["runId"] for i in since["items"]] == [seeded["failed"]]


def test_one_run_has_facets(client: TestClient, seeded: dict[str, str]) -> None:
    run = client.get(f"/api/v1/runs/{seeded['failed']}", headers=READ).json()
    assert run["facets"]["errorMessage"]["message"] == "division by zero"
    assert run["state"] == "FAILED" and run["eventCount"] == 2


def test_jobs_datasets_namespaces(client: TestClient, seeded: dict[str, str]) -> None:
    jobs = client.get("/api/v1/jobs?namespace=airflow&q=shop_etl.", headers=READ).json()
    assert [j["id"] for j in jobs["items"]] == ["job:airflow:shop_etl.load", "job:airflow:shop_etl.report"]
    assert jobs["items"][1]["latestRun"]["state"] == "FAILED"
    job = client.get("/api/v1/jobs/" + quote("job:airflow:shop_etl.load", safe=""), headers=READ).json()
    assert job["outputs"] == [f"dataset:{PG_NS}:shop.public.orders"]
    assert job["metadata"]["owners"] == ["team:shop"]
    assert job["latestRuns"][0]["runId"] == seeded["load"]
    dag = client.get("/api/v1/jobs/job:airflow:shop_etl", headers=READ).json()
    assert dag["dagId"] == "shop_etl" and dag["integration"] == "AIRFLOW"

    # The namespace holds ':' and '/', sent URL-encoded: the whole id reaches the route.
    node = f"dataset:{PG_NS}:shop.public.orders"
    ds = client.get("/api/v1/datasets/" + quote(node, safe=""), headers=READ).json()
    assert ds["id"] == node and ds["producers"] == ["job:airflow:shop_etl.load"]
    assert ds["latestRuns"][0]["outputs"][0]["rowCount"] == 120
    listed = client.get("/api/v1/datasets?q=orders", headers=READ).json()
    assert listed["totalCount"] == 2
    namespaces = {n["name"]: n for n in client.get("/api/v1/namespaces", headers=READ).json()["items"]}
    assert namespaces["airflow"]["jobCount"] == 3 and namespaces[PG_NS]["datasetCount"] == 1


def test_like_wildcards_in_q_are_literal(client: TestClient, seeded: dict[str, str]) -> None:
    assert client.get("/api/v1/jobs?q=%25", headers=READ).json()["totalCount"] == 0


ROUTES = [
    "/api/v1/runs",
    "/api/v1/runs/00000000-0000-0000-0000-000000000000",
    "/api/v1/jobs",
    "/api/v1/jobs/job:airflow:none",
    "/api/v1/datasets",
    "/api/v1/datasets/dataset:x:none",
    "/api/v1/namespaces",
]


@pytest.mark.parametrize("path", ROUTES)
def test_every_read_route_needs_credentials(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert "read key" in response.json()["detail"]
    assert client.get(path, headers=INGEST).status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/runs/4f3c2b1a-0000-4000-8000-000000000000",
        "/api/v1/jobs/job:airflow:missing",
        "/api/v1/datasets/dataset:file:/missing",
        "/api/v1/runs?jobNodeId=job:airflow:missing",
    ],
)
def test_unknown_nodes_are_404(client: TestClient, path: str) -> None:
    response = client.get(path, headers=READ)
    assert response.status_code == 404
    assert "GET /api/v1/" in response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("/api/v1/runs?limit=0", "limit"),
        ("/api/v1/runs?limit=5000", "limit"),
        ("/api/v1/runs?offset=-1", "offset"),
        ("/api/v1/runs?state=DONE", "state"),
        ("/api/v1/runs?since=yesterday", "since"),
        ("/api/v1/jobs/dataset:x:y", "job:<namespace>:<name>"),
        ("/api/v1/datasets/dataset:nameless", "no name part"),
        ("/api/v1/jobs?limit=abc", "limit"),
    ],
)
def test_bad_parameters_are_422_with_a_readable_detail(client: TestClient, path: str, fragment: str) -> None:
    response = client.get(path, headers=READ)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, str) and fragment in detail


def test_health_needs_no_auth(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_a_caller_without_a_key_gets_401_before_the_body_is_checked(client: TestClient) -> None:
    """Regression (fuzzing): FastAPI parsed a PATCH body before the auth check, so an anonymous caller got
    422 "JSON decode error" (or 400) instead of 401."""
    path = "/api/v1/nodes/" + quote("job:n:j", safe="") + "/metadata"
    for body in (b"{bad", b'{"criticality": "none"}'):
        headers = {"Content-Type": "application/json"}
        assert client.patch(path, content=body, headers=headers).status_code == 401
        assert client.patch(path, content=body, headers={**headers, **READ}).status_code == 403
    admin = {"Content-Type": "application/json", "Authorization": f"Bearer {ADMIN_KEY}"}
    detail = client.patch(path, content=b"{bad", headers=admin).json()["detail"]
    assert detail.startswith("the body is not valid JSON (")


def test_unknown_paths_and_methods_name_the_problem(client: TestClient) -> None:
    """Regression (fuzzing): Starlette's bare "Not Found" and "Method Not Allowed" did not say what to do."""
    missing = client.get("/api/v1/nowhere", headers=READ)
    assert missing.status_code == 404
    assert (
        missing.json()["detail"]
        == "no such path: GET /api/v1/nowhere; the paths are listed at /docs (URL-encode node ids in a path)"
    )
    wrong = client.delete("/api/v1/runs", headers=READ)
    assert (
        wrong.status_code == 405 and wrong.json()["detail"] == "DELETE /api/v1/runs is not allowed; this path takes GET"
    )


def test_an_offset_past_the_limit_is_422_not_a_database_overflow(client: TestClient) -> None:
    """Regression (fuzzing): offset=2^63 overflowed SQLite's integer (500)."""
    response = client.get(f"/api/v1/runs?offset={2**63}", headers=READ)
    assert response.status_code == 422 and "offset" in response.json()["detail"]
