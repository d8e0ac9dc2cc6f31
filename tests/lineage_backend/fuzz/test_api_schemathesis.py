"""Fuzzing every route of the API from its own OpenAPI document (schemathesis), with each kind of caller.

The app runs in-process (ASGI) on SQLite holding real events (the corpus' Airflow scenario plus a batch
with a failed task), so that generated requests also hit ids that exist. For every operation and each
of: no key, an ingest key, a read key, an admin key:
- never a 5xx;
- every 4xx is JSON with a `detail` that names the problem (not a bare "Not Found");
- a caller without a key gets 401, a key of the wrong kind 403, on every route that needs one;
- the right key gets answers that match the OpenAPI response schemas.
Bounded and reproducible: derandomized examples, a fixed number per operation.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance
from sqlalchemy import select

from lineage_backend.app import create_app
from lineage_backend.auth import ADMIN, INGEST, READ
from lineage_backend.db import Database
from lineage_backend.store.models import Dataset, Job, Run
from tests.conftest import ADMIN_KEY, CORPUS, INGEST_KEY, READ_KEY, make_settings
from tests.lineage_backend.events import dataset, output_stats, parent_facet, run_event

# Examples per operation for each kind of caller: fewer where most routes refuse at once.
EXAMPLES = {"none": 6, INGEST: 8, READ: 15, ADMIN: 12}
KEYS: dict[str, str | None] = {"none": None, INGEST: INGEST_KEY, READ: READ_KEY, ADMIN: ADMIN_KEY}
# The kinds of key each scope accepts (an admin key reads too).
ACCEPTED = {INGEST: {INGEST}, READ: {READ, ADMIN}, ADMIN: {ADMIN}}
GENERIC_DETAILS = {
    "",
    "Not Found",
    "Method Not Allowed",
    "Bad Request",
    "Unprocessable Entity",
    "Internal Server Error",
    "invalid request",
}
PUBLIC_ROUTES = {("GET", "/health")}
DOC_ROUTES = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


def required_scope(route: APIRoute) -> str | None:
    """The scope that the route's auth dependency demands (see api/deps.require), None for none."""
    scopes = {getattr(dep.call, "required_scope", None) for dep in route.dependant.dependencies} - {None}
    assert len(scopes) <= 1, (route.path, scopes)
    return next(iter(scopes), None)


def _seed_events() -> list[dict[str, Any]]:
    dag_run, load_run, failed_run = (str(uuid.uuid5(uuid.NAMESPACE_URL, name)) for name in ("dag", "load", "fail"))
    orders = {**dataset("postgres://db:5432", "shop.public.orders"), "outputFacets": output_stats(120, 4096)}
    airflow_dag = {"jobType": {"jobType": "DAG", "integration": "AIRFLOW", "processingType": "BATCH"}}
    events = [
        run_event("START", run_id=dag_run, job="shop_etl", seconds=0, job_facets=airflow_dag),
        run_event(
            "COMPLETE",
            run_id=load_run,
            job="shop_etl.load",
            seconds=60,
            inputs=[dataset("file", "/data/orders.csv")],
            outputs=[orders],
            run_facets={"parent": parent_facet(dag_run, "shop_etl")},
            job_facets={"ownership": {"owners": [{"name": "team:shop"}]}},
        ),
        run_event(
            "FAIL",
            run_id=failed_run,
            job="shop_etl.report",
            seconds=75,
            inputs=[dataset("postgres://db:5432", "shop.public.orders")],
            run_facets={
                "parent": parent_facet(dag_run, "shop_etl"),
                "errorMessage": {"message": "division by zero", "programmingLanguage": "python"},
            },
        ),
        run_event("FAIL", run_id=dag_run, job="shop_etl", seconds=80, job_facets=airflow_dag),
    ]
    scenario = CORPUS / "compatibility-tests/consumer/scenarios/airflow/events"
    if scenario.is_dir():
        events += [json.loads(path.read_text()) for path in sorted(scenario.glob("*.json"))]
    return events


@pytest.fixture(scope="module")
def seeded_app(tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path) -> Iterator[FastAPI]:
    path = tmp_path_factory.mktemp("schemathesis") / "flowlytics.db"
    shutil.copy(_sqlite_template, path)
    database = Database.from_url(f"sqlite:///{path}")
    app = create_app(make_settings(), database=database)
    with TestClient(app) as client:
        answer = client.post(
            "/api/v1/lineage/batch", json=_seed_events(), headers={"Authorization": f"Bearer {INGEST_KEY}"}
        )
        assert answer.status_code == 200 and answer.json()["status"] == "success", answer.text
    yield app
    database.engine.dispose()


@pytest.fixture(scope="module")
def real_ids(seeded_app: FastAPI) -> dict[str, list[str]]:
    """Ids that exist, for requests to hit stored rows as well as missing ones."""
    database: Database = seeded_app.state.database

    def load(session: Any) -> dict[str, list[str]]:
        jobs = [f"job:{ns}:{name}" for ns, name in session.execute(select(Job.namespace, Job.name))]
        datasets = [f"dataset:{ns}:{name}" for ns, name in session.execute(select(Dataset.namespace, Dataset.name))]
        runs = list(session.execute(select(Run.run_uuid).where(Run.state.is_not(None))).scalars())
        batches = list(session.execute(select(Run.batch_run_uuid).distinct()).scalars())
        return {"nodes": sorted(jobs + datasets), "runs": sorted(runs), "batches": sorted(b for b in batches if b)}

    return database.read(load)


@pytest.fixture(scope="module")
def client(seeded_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(seeded_app) as test_client:
        yield test_client


# The OpenAPI document does not depend on the data: read it from an app on an empty in-memory database
# at import (schemathesis makes one test per operation from it); requests go to `seeded_app`.
schema = schemathesis.openapi.from_dict(create_app(make_settings(), database=Database.from_url("sqlite://")).openapi())

# Parameters that name stored things, and which of the real ids fit them.
ID_PARAMETERS = {
    "node_id": "nodes",
    "nodeId": "nodes",
    "jobNodeId": "nodes",
    "source": "nodes",
    "target": "nodes",
    "run_id": "runs",
    "batch_id": "batches",
}


def _use_real_ids(case: Any, ids: dict[str, list[str]], pick: st.DataObject) -> None:
    for container in (case.path_parameters, case.query):
        for name in list(container or {}):
            if name in ID_PARAMETERS and pick.draw(st.booleans(), label=f"real {name}"):
                container[name] = pick.draw(st.sampled_from(ids[ID_PARAMETERS[name]]), label=name)


def assert_names_the_problem(response: Any) -> None:
    assert response.headers.get("content-type", "").startswith("application/json"), response.text[:300]
    detail = response.json().get("detail")
    assert isinstance(detail, str) and detail.strip() not in GENERIC_DETAILS, response.text[:300]
    assert len(detail) > 15, detail


def _route_scope(app: FastAPI, method: str, path: str) -> str | None:
    for route in app.routes:
        if isinstance(route, APIRoute) and method in route.methods and route.path_format == path:
            return required_scope(route)
    raise AssertionError(f"{method} {path} is in the OpenAPI document but not among app.routes")


def fuzz_every_route(key_kind: str) -> Any:
    """The fuzz test for one kind of caller (one test per kind, each over every operation)."""

    @schema.parametrize()
    @schema.given(pick=st.data())
    @settings(
        max_examples=EXAMPLES[key_kind],
        derandomize=True,  # the same requests on every run: CI is reproducible
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def test(
        case: Any, pick: st.DataObject, seeded_app: FastAPI, client: TestClient, real_ids: dict[str, list[str]]
    ) -> None:
        _use_real_ids(case, real_ids, pick)
        headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        if KEYS[key_kind] is not None:
            headers["Authorization"] = f"Bearer {KEYS[key_kind]}"
        case.headers = headers
        response = client.request(**case.as_transport_kwargs(base_url="http://testserver"))

        assert response.status_code < 500, (case.method, case.formatted_path, case.query, response.text[:500])
        if response.status_code >= 400:
            assert_names_the_problem(response)
        scope = _route_scope(seeded_app, case.method.upper(), case.operation.path)
        if scope is None:
            return
        if key_kind == "none":
            assert response.status_code == 401, (case.formatted_path, response.text[:300])
            assert response.headers.get("www-authenticate") == "Bearer"
        elif key_kind not in ACCEPTED[scope]:
            assert response.status_code == 403, (case.formatted_path, response.text[:300])
        elif response.status_code < 300:
            case.validate_response(response, checks=[response_schema_conformance, content_type_conformance])

    test.__name__ = f"test_every_route_{key_kind}"
    return test


test_every_route_without_a_key = fuzz_every_route("none")
test_every_route_with_an_ingest_key = fuzz_every_route(INGEST)
test_every_route_with_a_read_key = fuzz_every_route(READ)
test_every_route_with_an_admin_key = fuzz_every_route(ADMIN)


def test_the_fuzzed_operations_are_every_route_and_each_needs_a_key(seeded_app: FastAPI) -> None:
    """Every route of the app is in its OpenAPI document (so the fuzzing above covers it), and every one
    but /health requires a key: a new route cannot be forgotten."""
    documented = {
        (method.upper(), path)
        for path, operations in seeded_app.openapi()["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }
    routes = set()
    for route in seeded_app.routes:
        if isinstance(route, APIRoute):
            for method in route.methods - {"HEAD"}:
                routes.add((method, route.path_format))
                if (method, route.path_format) not in PUBLIC_ROUTES:
                    assert required_scope(route) in (INGEST, READ, ADMIN), f"{method} {route.path} needs no key"
        else:
            assert getattr(route, "path", None) in DOC_ROUTES, f"unexpected non-API route {route!r}"
    assert routes == documented
    assert len(routes) >= 27


@pytest.mark.parametrize("key_kind", list(KEYS))
def test_every_route_refuses_callers_without_the_right_key(
    seeded_app: FastAPI, real_ids: dict[str, list[str]], key_kind: str
) -> None:
    """Straight from app.routes (not the OpenAPI document): 401 without a key, 403 with a wrong one."""
    values = {"node_id": quote(real_ids["nodes"][0], safe=""), "run_id": real_ids["runs"][0]}
    values["batch_id"] = real_ids["batches"][0]
    # The scope is checked before anything is looked up, so ids that may not exist do here.
    values.update({name: "1" for name in ("anomaly_id", "channel_id", "draft_id", "incident_id", "rule_id")})
    values.update({"silence_id": "1", "dag_id": "any_dag"})
    with TestClient(seeded_app) as client:
        checked = 0
        for route in seeded_app.routes:
            if not isinstance(route, APIRoute) or (scope := required_scope(route)) is None:
                continue
            path = route.path_format
            for name, value in values.items():
                path = path.replace("{" + name + "}", value)
            assert "{" not in path, f"give test_every_route_refuses_callers_without_the_right_key a {path} value"
            key = KEYS[key_kind]
            headers = {"Authorization": f"Bearer {key}"} if key else {}
            for method in route.methods - {"HEAD"}:
                response = client.request(method, path, headers=headers, json={})
                checked += 1
                if key is None:
                    assert response.status_code == 401, (method, path)
                elif key_kind not in ACCEPTED[scope]:
                    assert response.status_code == 403, (method, path)
                else:
                    assert response.status_code not in (401, 403), (method, path, response.text)
                if response.status_code >= 400:
                    assert_names_the_problem(response)
        assert checked >= 26
