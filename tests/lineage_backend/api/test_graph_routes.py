"""Graph, impact, search and node metadata through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from lineage_backend.api.schemas import GraphResponse, ImpactResponse
from lineage_backend.app import create_app
from lineage_backend.auth import READ as READ_SCOPE
from lineage_backend.auth import Principal, api_key_principal_name
from lineage_backend.db import Database
from lineage_backend.graph.index import GraphIndex
from tests.conftest import ADMIN_KEY, INGEST, READ, make_settings
from tests.lineage_backend.events import dataset, output_stats, parent_facet, run_event

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
PG = "postgres://db:5432"
TASK = {"jobType": {"jobType": "TASK", "integration": "AIRFLOW", "processingType": "BATCH"}}
DAG = {"jobType": {"jobType": "DAG", "integration": "AIRFLOW", "processingType": "BATCH"}}


def ds(name: str, namespace: str = PG) -> str:
    return f"dataset:{namespace}:{name}"


def task_events(
    dag: str,
    task: str,
    dag_run: str,
    *,
    seconds: float,
    inputs: list[dict[str, Any]],
    outputs: list[dict[str, Any]],
    outcome: str = "COMPLETE",
    **extra: Any,
) -> list[dict[str, Any]]:
    run_id = str(uuid.uuid4())
    facets = {"parent": parent_facet(dag_run, dag), **extra.pop("run_facets", {})}
    return [
        run_event("START", run_id=run_id, job=f"{dag}.{task}", seconds=seconds, run_facets=facets, job_facets=TASK),
        run_event(
            outcome,
            run_id=run_id,
            job=f"{dag}.{task}",
            seconds=seconds + 5,
            inputs=inputs,
            outputs=outputs,
            run_facets=facets,
            job_facets={**TASK, **extra.pop("job_facets", {})},
        ),
    ]


def seed(client: TestClient) -> None:
    """raw → etl.extract → staging → etl.load → warehouse.orders → reports.build → reports.daily
                                                         └→ spark app.write (later) → s3 export
    warehouse.orders is also known as hive warehouse.orders_alias, which ml.train reads."""
    etl_run, reports_run, spark_app = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    orders = dataset(
        PG,
        "warehouse.orders",
        symlinks={
            "identifiers": [{"namespace": "hive://metastore", "name": "warehouse.orders_alias", "type": "TABLE"}]
        },
        ownership={"owners": [{"name": "team:warehouse"}]},
    )
    events = [
        run_event("START", run_id=etl_run, job="etl", job_facets=DAG),
        run_event("START", run_id=reports_run, job="reports", seconds=50, job_facets=DAG),
    ]
    events += task_events(
        "etl",
        "extract",
        etl_run,
        seconds=1,
        inputs=[dataset("file", "/raw/orders.csv")],
        outputs=[{**dataset(PG, "staging.orders"), "outputFacets": output_stats(100)}],
    )
    events += task_events(
        "etl",
        "load",
        etl_run,
        seconds=10,
        inputs=[dataset(PG, "staging.orders")],
        outputs=[{**orders, "outputFacets": output_stats(95)}],
        job_facets={"ownership": {"owners": [{"name": "team:etl"}]}},
    )
    events += task_events(
        "reports",
        "build",
        reports_run,
        seconds=60,
        inputs=[dataset(PG, "warehouse.orders")],
        outputs=[{**dataset(PG, "reports.daily"), "outputFacets": output_stats(7)}],
        job_facets={"ownership": {"owners": [{"name": "team:bi"}]}},
    )
    events.append(
        run_event(
            "COMPLETE",
            job="ml.train",
            namespace="ml",
            seconds=70,
            inputs=[dataset("hive://metastore", "warehouse.orders_alias")],
            outputs=[dataset("s3://models", "/churn")],
        )
    )
    spark_child = str(uuid.uuid4())
    events.append(
        run_event(
            "COMPLETE",
            run_id=spark_child,
            job="app.write",
            namespace="spark",
            seconds=3600,
            inputs=[dataset(PG, "warehouse.orders")],
            outputs=[dataset("s3://exports", "/orders")],
            run_facets={"parent": parent_facet(spark_app, "app", namespace="spark")},
        )
    )
    response = client.post("/api/v1/lineage/batch", json=events, headers=INGEST)
    assert response.json()["status"] == "success", response.json()


def ids(body: dict[str, Any]) -> set[str]:
    return {node["id"] for node in body["nodes"]}


def conforming(body: dict[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    """Graph and impact answers are written as JSON without passing through their models: they must
    read back through the model to exactly the same JSON (no missing, extra or mistyped field)."""
    assert model.model_validate(body).model_dump(mode="json", by_alias=True) == body
    return body


def graph(client: TestClient, headers: dict[str, str] = READ, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/graph", params=params, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return conforming(response.json(), GraphResponse)


def test_graph_and_impact_answers_match_their_response_models(client: TestClient) -> None:
    seed(client)
    for node, change in (
        (ds("reports.daily"), {"criticality": "critical", "owners": ["team:finance"], "tags": ["pii"]}),
        (ds("/orders", "s3://exports"), {"sla": {"latestArrival": "06:00", "maxAgeMinutes": 90}}),
    ):
        edit = client.patch("/api/v1/nodes/" + quote(node, safe="") + "/metadata", json=change, headers=ADMIN)
        assert edit.status_code == 200, edit.text
    client.patch(
        "/api/v1/edges/metadata",
        params={"source": ds("staging.orders"), "target": "job:airflow:etl.load"},
        json={"annotations": [{"text": "dedup"}]},
        headers=ADMIN,
    )
    bodies = [
        graph(client, nodeId=ds("staging.orders"), depth=6),
        graph(client, nodeId=ds("staging.orders"), depth=6, collapse="false"),
        graph(client, nodeId=ds("staging.orders"), depth=6, expand="job:airflow:etl"),
        graph(client, dagId="etl", level="column"),
    ]
    for params in ({}, {"direction": "upstream"}, {"depth": 2}):
        response = client.get("/api/v1/impact", params={"nodeId": ds("reports.daily"), **params}, headers=READ)
        assert response.status_code == 200, response.text
        bodies.append(conforming(response.json(), ImpactResponse))
    downstream = client.get("/api/v1/impact", params={"nodeId": ds("staging.orders")}, headers=READ).json()
    bodies.append(conforming(downstream, ImpactResponse))
    text = str(bodies)
    for seen in ("latestArrival", "team:finance", "dedup", "COMPLETED", "rowsWritten", "isGroup"):
        assert seen in text, seen  # the round trip covered these fields with values in them
    run_times = [n["latestRun"]["endedAt"] for n in bodies[1]["nodes"] if n["latestRun"]]
    assert run_times and all(t is None or t.endswith("Z") for t in run_times)


def test_downstream_graph_groups_tasks_under_their_dag(client: TestClient) -> None:
    seed(client)
    body = graph(client, nodeId=ds("/raw/orders.csv", "file"), direction="downstream", depth=20)
    assert body["rootIds"] == [ds("/raw/orders.csv", "file")]
    etl = next(n for n in body["nodes"] if n["id"] == "job:airflow:etl")
    assert etl["isGroup"] and etl["childCount"] == 2 and etl["latestRun"]["state"] == "RUNNING"
    assert {"job:airflow:reports", "job:spark:app", "job:ml:ml.train", ds("/orders", "s3://exports")} <= ids(body)
    assert "job:airflow:etl.load" not in ids(body)
    edges = {(e["source"], e["target"]) for e in body["edges"]}
    assert ("job:airflow:etl", ds("staging.orders")) in edges and (ds("staging.orders"), "job:airflow:etl") in edges
    daily = next(n for n in body["nodes"] if n["id"] == ds("reports.daily"))
    assert daily["rowsWritten"] == 7 and daily["latestRun"]["state"] == "COMPLETED"


def test_expanding_a_group_shows_its_tasks(client: TestClient) -> None:
    seed(client)
    body = graph(client, nodeId=ds("staging.orders"), depth=1, expand=["job:airflow:etl"])
    nodes = {n["id"]: n for n in body["nodes"]}
    assert nodes["job:airflow:etl.extract"]["parentId"] == "job:airflow:etl"
    assert nodes["job:airflow:etl"]["isGroup"] and nodes["job:airflow:etl"]["expanded"]
    flat = graph(client, nodeId=ds("staging.orders"), depth=1, collapse="false")
    assert ids(flat) == {ds("staging.orders"), "job:airflow:etl.extract", "job:airflow:etl.load"}


def test_depth_and_direction_bounds(client: TestClient) -> None:
    seed(client)
    near = graph(client, nodeId=ds("staging.orders"), direction="downstream", depth=2, collapse="false")
    assert ids(near) == {ds("staging.orders"), "job:airflow:etl.load", ds("warehouse.orders")}
    up = graph(client, nodeId=ds("reports.daily"), direction="upstream", depth=50, collapse="false")
    assert ds("/raw/orders.csv", "file") in ids(up) and ds("/orders", "s3://exports") not in ids(up)
    capped = graph(client, nodeId=ds("/raw/orders.csv", "file"), direction="downstream", depth=50, maxNodes=3)
    assert capped["truncated"] and len(capped["nodes"]) <= 3


def test_symlinked_names_are_one_node(client: TestClient) -> None:
    seed(client)
    body = graph(client, nodeId=ds("warehouse.orders"), direction="downstream", depth=1, collapse="false")
    orders = next(n for n in body["nodes"] if n["id"] == ds("warehouse.orders"))
    assert orders["aliases"] == [ds("warehouse.orders_alias", "hive://metastore")]
    assert "job:ml:ml.train" in ids(body)
    via_alias = graph(client, nodeId=ds("warehouse.orders_alias", "hive://metastore"), depth=1)
    assert via_alias["rootIds"] == [ds("warehouse.orders")]


def test_as_of_shows_lineage_as_it_was(client: TestClient) -> None:
    seed(client)
    before_spark = graph(
        client, nodeId=ds("warehouse.orders"), direction="downstream", depth=5, asOf="2024-05-01T12:30:00Z"
    )
    assert "job:spark:app" not in ids(before_spark) and "job:spark:app.write" not in ids(before_spark)
    assert "job:airflow:reports" in ids(before_spark)


def test_dag_graph_starts_from_all_its_jobs(client: TestClient) -> None:
    seed(client)
    body = graph(client, dagId="etl", depth=1)
    assert body["rootIds"] == ["job:airflow:etl"]
    assert {ds("/raw/orders.csv", "file"), ds("staging.orders"), ds("warehouse.orders")} <= ids(body)


def test_column_level_graph(client: TestClient) -> None:
    lineage = {
        "fields": {
            "total": {
                "inputFields": [
                    {
                        "namespace": PG,
                        "name": "warehouse.orders",
                        "field": "amount",
                        "transformations": [{"type": "DIRECT", "subtype": "AGGREGATION"}],
                    }
                ]
            }
        },
        "dataset": [
            {
                "namespace": PG,
                "name": "warehouse.orders",
                "field": "status",
                "transformations": [{"type": "INDIRECT", "subtype": "FILTER"}],
            }
        ],
    }
    out = dataset(
        PG, "reports.revenue", columnLineage=lineage, schema={"fields": [{"name": "total", "type": "DECIMAL"}]}
    )
    client.post(
        "/api/v1/lineage",
        json=run_event("COMPLETE", job="rev", inputs=[dataset(PG, "warehouse.orders")], outputs=[out]),
        headers=INGEST,
    )
    body = graph(client, nodeId=ds("reports.revenue"), level="column", direction="upstream", depth=3)
    assert body["level"] == "column"
    revenue = next(n for n in body["nodes"] if n["id"] == ds("reports.revenue"))
    assert revenue["fields"] == [{"name": "total", "type": "DECIMAL"}]
    found = {
        (e["sourceField"], e["targetField"], e["transformationType"], e["transformationSubtype"]) for e in body["edges"]
    }
    assert found == {("amount", "total", "DIRECT", "AGGREGATION"), ("status", None, "INDIRECT", "FILTER")}


def test_hidden_dags_are_left_out_of_graphs_and_search(database: Database) -> None:
    class EtlOnly:
        async def authenticate(self, request: Any) -> Principal | None:
            return Principal(name="bob", scopes=frozenset({READ_SCOPE}), readable_dag_ids=frozenset({"etl"}))

    with TestClient(create_app(make_settings(), database=database, authenticators=[EtlOnly()])) as client:
        seed(client)
        body = client.get(
            "/api/v1/graph", params={"nodeId": ds("staging.orders"), "direction": "downstream", "depth": 20}
        ).json()
        assert "job:airflow:etl" in ids(body) and "job:airflow:reports" not in ids(body)
        assert not any("reports.build" in e["source"] + e["target"] for e in body["edges"])
        found = client.get("/api/v1/search", params={"q": "reports"}).json()
        assert {i["id"] for i in found["items"]} == {ds("reports.daily")}
        assert client.get("/api/v1/graph", params={"dagId": "reports"}).status_code == 404
        impact = client.get("/api/v1/impact", params={"nodeId": ds("staging.orders")}).json()
        assert not any(i["id"].startswith("job:airflow:reports") for i in impact["items"])
        # Starting from a hidden job (looked up in the index, built by now) is the same 404 as an unknown job.
        for path in ("/api/v1/impact", "/api/v1/graph"):
            for job in ("job:airflow:reports.build", "job:airflow:no.such.job"):
                response = client.get(path, params={"nodeId": job})
                assert response.status_code == 404, (path, job)
                assert response.json()["detail"] == f"no job with id {job!r}; list them with GET /api/v1/jobs"


def test_impact_lists_consumers_with_owners_criticality_and_sla_first(client: TestClient) -> None:
    seed(client)
    patch = client.patch(
        "/api/v1/nodes/" + quote(ds("reports.daily"), safe="") + "/metadata",
        json={"criticality": "critical", "owners": ["team:finance"]},
        headers=ADMIN,
    )
    assert patch.status_code == 200, patch.text
    sla = client.patch(
        "/api/v1/nodes/" + quote(ds("/orders", "s3://exports"), safe="") + "/metadata",
        json={"sla": {"latestArrival": "06:00"}},
        headers=ADMIN,
    )
    assert sla.status_code == 200
    body = client.get("/api/v1/impact", params={"nodeId": ds("staging.orders")}, headers=READ).json()
    assert body["items"][0]["id"] == ds("reports.daily") and body["items"][0]["criticality"] == "critical"
    assert (
        body["items"][1]["id"] == ds("/orders", "s3://exports") and body["items"][1]["sla"]["latestArrival"] == "06:00"
    )
    assert body["summary"]["critical"] == 1 and body["summary"]["slaBound"] == 1
    assert body["summary"]["byOwner"]["team:finance"] == 1 and body["summary"]["byOwner"]["team:warehouse"] == 1
    load = next(i for i in body["items"] if i["id"] == "job:airflow:etl.load")
    assert load["distance"] == 1 and load["owners"] == ["team:etl"] and load["lastRunState"] == "COMPLETED"
    assert body["summary"]["total"] == len(body["items"]) == body["summary"]["jobs"] + body["summary"]["datasets"]
    shallow = client.get("/api/v1/impact", params={"nodeId": ds("staging.orders"), "depth": 2}, headers=READ).json()
    assert {i["id"] for i in shallow["items"]} == {"job:airflow:etl.load", ds("warehouse.orders")}


def test_backward_tracing_names_the_nearest_failed_or_dq_failing_producer(client: TestClient) -> None:
    dag_run = str(uuid.uuid4())
    bad_input = {
        **dataset("file", "/raw/b.csv"),
        "inputFacets": {
            "dataQualityAssertions": {"assertions": [{"assertion": "not_null", "success": False, "column": "id"}]}
        },
    }
    events = task_events("d", "a", dag_run, seconds=0, inputs=[bad_input], outputs=[dataset(PG, "s1")])
    events += task_events(
        "d",
        "b",
        dag_run,
        seconds=10,
        inputs=[dataset(PG, "s1")],
        outputs=[dataset(PG, "s2")],
        outcome="FAIL",
        run_facets={"errorMessage": {"message": "boom", "programmingLanguage": "py"}},
    )
    events += task_events("d", "c", dag_run, seconds=20, inputs=[dataset(PG, "s2")], outputs=[dataset(PG, "s3")])
    client.post("/api/v1/lineage/batch", json=events, headers=INGEST)
    body = client.get("/api/v1/impact", params={"nodeId": ds("s3"), "direction": "upstream"}, headers=READ).json()
    assert body["direction"] == "upstream"
    problems = {i["id"]: i["problems"] for i in body["items"] if i["problems"]}
    assert problems == {"job:airflow:d.b": ["FAILED"], "job:airflow:d.a": ["DQ_FAILED"]}
    assert body["summary"]["culprits"] == ["job:airflow:d.b"]  # d.a sits behind it
    assert body["items"][0]["id"] == "job:airflow:d.b"  # culprits lead, so that a first page shows them
    first = client.get(
        "/api/v1/impact", params={"nodeId": ds("s3"), "direction": "upstream", "limit": 1}, headers=READ
    ).json()
    assert [i["id"] for i in first["items"]] == ["job:airflow:d.b"] and first["truncated"] is True


def test_impact_limit_keeps_the_first_items_and_counts_all(client: TestClient) -> None:
    seed(client)
    params = {"nodeId": ds("staging.orders")}
    whole = conforming(client.get("/api/v1/impact", params=params, headers=READ).json(), ImpactResponse)
    page = conforming(client.get("/api/v1/impact", params={**params, "limit": 2}, headers=READ).json(), ImpactResponse)
    assert whole["truncated"] is False and len(whole["items"]) == whole["summary"]["total"] > 2
    assert page["truncated"] is True and page["items"] == whole["items"][:2]
    assert page["summary"] == whole["summary"]
    bad = client.get("/api/v1/impact", params={**params, "limit": 0}, headers=READ)
    assert bad.status_code == 422 and "limit" in bad.text


def test_search_ranks_exact_then_prefix_then_substring(client: TestClient) -> None:
    for name in ("sales", "sales_daily", "raw.sales_eu", "wholesales"):
        client.post("/api/v1/lineage", json=run_event("COMPLETE", job="j", outputs=[dataset(PG, name)]), headers=INGEST)
    body = client.get("/api/v1/search", params={"q": "Sales", "type": "dataset"}, headers=READ).json()
    assert [i["name"] for i in body["items"]] == ["sales", "sales_daily", "raw.sales_eu", "wholesales"]
    assert body["totalCount"] == 4
    by_namespace = client.get("/api/v1/search", params={"q": "db:5432"}, headers=READ).json()
    assert by_namespace["totalCount"] == 4
    assert client.get("/api/v1/search", params={"q": "sales", "type": "job"}, headers=READ).json()["totalCount"] == 0


def test_node_metadata_from_facets_edits_and_audit(client: TestClient) -> None:
    seed(client)
    path = "/api/v1/nodes/" + quote("job:airflow:etl.load", safe="") + "/metadata"
    initial = client.get(path, headers=READ).json()
    assert initial["owners"] == ["team:etl"] and initial["sources"] == {"owners": "facet"}
    edited = client.patch(
        path,
        headers=ADMIN,
        json={
            "owners": ["team:platform", "team:platform"],
            "criticality": "high",
            "tags": ["pii"],
            "sla": {"maxAgeMinutes": 90},
            "annotations": [{"text": "migrating to v2 in June"}],
        },
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert body["owners"] == ["team:platform"] and body["criticality"] == "high"
    assert body["sla"] == {"latestArrival": None, "maxAgeMinutes": 90}
    assert body["annotations"][0]["author"] == api_key_principal_name(ADMIN_KEY) and body["sources"]["owners"] == "user"
    reset = client.patch(path, headers=ADMIN, json={"owners": None}).json()
    assert reset["owners"] == ["team:etl"] and reset["criticality"] == "high"
    history = client.get(path + "/history", headers=READ).json()
    assert history["totalCount"] == 2
    latest, first = history["items"]
    assert first["before"]["owners"] is None and first["after"]["owners"] == ["team:platform"]
    assert latest["before"]["owners"] == ["team:platform"] and latest["after"]["owners"] is None
    assert latest["actor"] == api_key_principal_name(ADMIN_KEY)


def test_edge_annotations(client: TestClient) -> None:
    seed(client)
    params = {"source": ds("staging.orders"), "target": "job:airflow:etl.load"}
    response = client.patch(
        "/api/v1/edges/metadata", params=params, headers=ADMIN, json={"annotations": [{"text": "dedup happens here"}]}
    )
    assert response.status_code == 200, response.text
    assert (
        client.get("/api/v1/edges/metadata", params=params, headers=READ).json()["annotations"][0]["text"]
        == "dedup happens here"
    )
    body = graph(client, nodeId=ds("staging.orders"), depth=1, collapse="false")
    edge = next(e for e in body["edges"] if e["source"] == ds("staging.orders"))
    assert edge["annotations"][0]["text"] == "dedup happens here"
    assert client.get("/api/v1/edges/metadata/history", params=params, headers=READ).json()["totalCount"] == 1


def test_graph_answers_follow_new_runs_edits_and_annotations(client: TestClient) -> None:
    """Nodes and edges already served (their JSON is kept for the next answers) show what changed since."""
    seed(client)

    def around_staging() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        body = graph(client, nodeId=ds("staging.orders"), depth=1, collapse="false")
        load = next(n for n in body["nodes"] if n["id"] == "job:airflow:etl.load")
        staging = next(n for n in body["nodes"] if n["id"] == ds("staging.orders"))
        edge = next(e for e in body["edges"] if e["target"] == "job:airflow:etl.load")
        return load, staging, edge

    load, staging, edge = around_staging()
    assert load["latestRun"]["state"] == "COMPLETED" and load["owners"] == ["team:etl"]
    assert staging["rowsWritten"] == 100 and edge["annotations"] == []

    failed = str(uuid.uuid4())
    events = task_events(
        "etl",
        "load",
        failed,
        seconds=500,
        inputs=[dataset(PG, "staging.orders")],
        outputs=[dataset(PG, "warehouse.orders")],
        outcome="FAIL",
    )
    events += task_events(
        "etl",
        "extract",
        failed,
        seconds=400,
        inputs=[dataset("file", "/raw/orders.csv")],
        outputs=[{**dataset(PG, "staging.orders"), "outputFacets": output_stats(250)}],
    )
    assert client.post("/api/v1/lineage/batch", json=events, headers=INGEST).json()["status"] == "success"
    path = "/api/v1/nodes/" + quote("job:airflow:etl.load", safe="") + "/metadata"
    assert client.patch(path, headers=ADMIN, json={"owners": ["team:platform"]}).status_code == 200
    edge_params = {"source": ds("staging.orders"), "target": "job:airflow:etl.load"}
    annotated = client.patch(
        "/api/v1/edges/metadata", params=edge_params, headers=ADMIN, json={"annotations": [{"text": "late feed"}]}
    )
    assert annotated.status_code == 200, annotated.text

    load, staging, edge = around_staging()
    assert load["latestRun"]["state"] == "FAILED" and load["owners"] == ["team:platform"]
    assert staging["rowsWritten"] == 250
    assert [a["text"] for a in edge["annotations"]] == ["late feed"]
    assert edge["id"] == f"{ds('staging.orders')}->job:airflow:etl.load"


def test_answers_are_the_same_whether_node_json_was_written_ahead_or_on_demand(database: Database) -> None:
    """The app's index writes each node's JSON as it loads details; without that hook it is written when
    first served. Both must give the same answers, grouped, expanded, aliased, annotated or plain."""
    requests = [
        {"nodeId": ds("warehouse.orders"), "depth": 6},
        {"nodeId": ds("warehouse.orders"), "depth": 6, "collapse": "false"},
        {"nodeId": ds("staging.orders"), "depth": 4, "expand": "job:airflow:etl"},
        {"nodeId": ds("warehouse.orders_alias", "hive://metastore"), "depth": 2, "direction": "downstream"},
        {"dagId": "etl", "depth": 3},
    ]
    with TestClient(create_app(make_settings(), database=database)) as ahead:
        seed(ahead)
        edge_params = {"source": ds("staging.orders"), "target": "job:airflow:etl.load"}
        ahead.patch("/api/v1/edges/metadata", params=edge_params, headers=ADMIN, json={"annotations": [{"text": "x"}]})
        expected = [graph(ahead, **params) for params in requests]
    on_demand_app = create_app(make_settings(), database=database)
    on_demand_app.state.graph_index = GraphIndex(database)  # no prepare hook
    with TestClient(on_demand_app) as on_demand:
        for _ in range(2):  # written while answering, then kept
            assert [graph(on_demand, **params) for params in requests] == expected
    assert any(n["isGroup"] for n in expected[0]["nodes"]) and any(n["aliases"] for n in expected[1]["nodes"])
    assert any(n["parentId"] for n in expected[2]["nodes"])
    assert any(e["annotations"] for e in expected[1]["edges"])


def test_names_that_need_escaping_survive_the_spliced_json(client: TestClient) -> None:
    awkward = 'odd "quoted" \\ back\\slash \u00e9t\u00e9 <img src=x onerror=alert(1)> \u2028 tab\t'
    events = [
        run_event(
            "COMPLETE",
            job=f"load {awkward}",
            inputs=[dataset(PG, awkward)],
            outputs=[dataset(PG, "plain.out")],
        )
    ]
    assert client.post("/api/v1/lineage/batch", json=events, headers=INGEST).json()["status"] == "success"
    for _ in range(2):  # written afresh, then from the kept JSON
        body = graph(client, nodeId=ds(awkward), depth=2, collapse="false")
        assert {node["name"] for node in body["nodes"]} == {awkward, f"load {awkward}", "plain.out"}
        assert {edge["id"] for edge in body["edges"]} == {f"{e['source']}->{e['target']}" for e in body["edges"]}
        assert ds(awkward) in {edge["source"] for edge in body["edges"]}


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"criticality": "urgent"}, "criticality"),
        ({"sla": {"latestArrival": "25:00"}}, "HH:MM"),
        ({"sla": {"maxAgeMinutes": 0}}, "maxAgeMinutes"),
        ({"owners": [""]}, "owners"),
        ({"colour": "red"}, "colour"),
        ({}, "nothing to change"),
    ],
)
def test_bad_metadata_edits_are_422(client: TestClient, body: dict[str, Any], fragment: str) -> None:
    seed(client)
    path = "/api/v1/nodes/" + quote(ds("reports.daily"), safe="") + "/metadata"
    response = client.patch(path, json=body, headers=ADMIN)
    assert response.status_code == 422
    assert fragment in response.json()["detail"]
    assert client.get(path + "/history", headers=READ).json()["totalCount"] == 0


def test_editing_needs_an_editor(client: TestClient) -> None:
    seed(client)
    path = "/api/v1/nodes/" + quote(ds("reports.daily"), safe="") + "/metadata"
    assert client.patch(path, json={"tags": ["x"]}).status_code == 401
    forbidden = client.patch(path, json={"tags": ["x"]}, headers=READ)
    assert forbidden.status_code == 403 and "edit metadata" in forbidden.json()["detail"]
    assert (
        client.patch(
            "/api/v1/edges/metadata",
            params={"source": ds("reports.daily"), "target": ds("reports.daily")},
            json={"annotations": []},
            headers=INGEST,
        ).status_code
        == 403
    )


NEW_ROUTES = [
    ("get", "/api/v1/graph?nodeId=dataset:x:y"),
    ("get", "/api/v1/graph/version"),
    ("get", "/api/v1/impact?nodeId=dataset:x:y"),
    ("get", "/api/v1/search?q=x"),
    ("get", "/api/v1/nodes/dataset:x:y/metadata"),
    ("get", "/api/v1/nodes/dataset:x:y/metadata/history"),
    ("get", "/api/v1/edges/metadata?source=dataset:x:y&target=job:x:y"),
    ("get", "/api/v1/edges/metadata/history?source=dataset:x:y&target=job:x:y"),
]


@pytest.mark.parametrize(("method", "path"), NEW_ROUTES)
def test_lineage_routes_need_credentials(client: TestClient, method: str, path: str) -> None:
    assert client.request(method, path).status_code == 401
    assert client.request(method, path, headers=INGEST).status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/graph?nodeId=dataset:file:/missing",
        "/api/v1/graph?dagId=nodag",
        "/api/v1/impact?nodeId=job:airflow:missing",
        "/api/v1/nodes/dataset:x:missing/metadata",
        "/api/v1/edges/metadata?source=dataset:x:a&target=job:x:b",
    ],
)
def test_unknown_nodes_are_404(client: TestClient, path: str) -> None:
    response = client.get(path, headers=READ)
    assert response.status_code == 404
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("/api/v1/graph", "nodeId"),
        ("/api/v1/graph?nodeId=dataset:a:b&dagId=x", "exactly one"),
        ("/api/v1/graph?nodeId=dataset:a:b&direction=sideways", "direction"),
        ("/api/v1/graph?nodeId=dataset:a:b&depth=500", "depth"),
        ("/api/v1/graph?nodeId=dataset:a:b&level=row", "level"),
        ("/api/v1/graph?nodeId=table:a:b", "job:"),
        ("/api/v1/impact", "nodeId"),
        ("/api/v1/impact?nodeId=dataset:a:b&direction=both", "direction"),
        ("/api/v1/search", "q"),
        ("/api/v1/search?q=a&type=table", "type"),
        ("/api/v1/jobs?taskId=t", "dagId"),
    ],
)
def test_bad_parameters_are_422(client: TestClient, path: str, fragment: str) -> None:
    response = client.get(path, headers=READ)
    assert response.status_code == 422, response.text
    assert fragment in response.json()["detail"]


def test_version_changes_when_events_arrive(client: TestClient) -> None:
    before = client.get("/api/v1/graph/version", headers=READ).json()["version"]
    client.post("/api/v1/lineage", json=run_event("START"), headers=INGEST)
    assert client.get("/api/v1/graph/version", headers=READ).json()["version"] != before


def test_task_job_lookup_for_the_task_tab(client: TestClient) -> None:
    seed(client)
    body = client.get("/api/v1/jobs", params={"dagId": "etl", "taskId": "load"}, headers=READ).json()
    assert [j["id"] for j in body["items"]] == ["job:airflow:etl.load"]
    assert client.get("/api/v1/jobs", params={"dagId": "etl"}, headers=READ).json()["totalCount"] == 3
