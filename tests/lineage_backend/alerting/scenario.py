"""Events and set-up shared by the alerting tests: a DAG whose tasks write a dataset that another DAG reads."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient

from lineage_backend.app import create_app
from lineage_backend.auth import Authenticator
from lineage_backend.db import Database
from tests.conftest import ADMIN_KEY, INGEST, make_settings
from tests.lineage_backend.events import dataset, parent_facet, run_event

ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
DAG = {"jobType": {"jobType": "DAG", "integration": "AIRFLOW", "processingType": "BATCH"}}
TASK = {"jobType": {"jobType": "TASK", "integration": "AIRFLOW", "processingType": "BATCH"}}
WAREHOUSE = "postgres://warehouse:5432"


@contextmanager
def alert_client(
    database: Database, *, authenticators: tuple[Authenticator, ...] = (), **settings: Any
) -> Iterator[TestClient]:
    values: dict[str, Any] = {
        "alert_group_wait_seconds": 0.3,
        "alert_max_age_hours": 0,  # the test events are from 2024
        "airflow_url": "http://airflow.example:8080",
    }
    values.update(settings)
    app = create_app(make_settings(**values), database=database, authenticators=list(authenticators))
    with TestClient(app) as client:
        yield client


def dag_run_events(
    dag: str,
    *,
    failed_tasks: int = 0,
    ok_tasks: int = 1,
    start: float = 0,
    state: str | None = None,
    duration: float = 60,
    output: str | None = None,
    input_: str | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """A DAG run: START, its tasks (failed ones first), then the DAG's own terminal event."""
    dag_run = str(uuid.uuid4())
    events = [run_event("START", run_id=dag_run, job=dag, seconds=start, job_facets=DAG)]
    tasks = [("FAIL", i) for i in range(failed_tasks)] + [("COMPLETE", failed_tasks + i) for i in range(ok_tasks)]
    for kind, i in tasks:
        task_run = str(uuid.uuid4())
        facets: dict[str, Any] = {"parent": parent_facet(dag_run, dag)}
        if kind == "FAIL":
            facets["errorMessage"] = {
                "_producer": "tests",
                "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json",
                "message": f"task t{i} broke: order {i} missing",
                "programmingLanguage": "python",
            }
        outputs = [dataset(WAREHOUSE, output)] if output else []
        inputs = [dataset(WAREHOUSE, input_)] if input_ else []
        events.append(
            run_event(
                "START",
                run_id=task_run,
                job=f"{dag}.t{i}",
                seconds=start + 1,
                job_facets=TASK,
                run_facets=facets,
                inputs=inputs,
                outputs=outputs,
            )
        )
        events.append(
            run_event(
                kind,
                run_id=task_run,
                job=f"{dag}.t{i}",
                seconds=start + duration,
                job_facets=TASK,
                run_facets=facets,
                inputs=inputs,
                outputs=outputs,
            )
        )
    final = state or ("FAIL" if failed_tasks else "COMPLETE")
    events.append(run_event(final, run_id=dag_run, job=dag, seconds=start + duration + 1, job_facets=DAG))
    return dag_run, events


def ingest(client: TestClient, events: list[dict[str, Any]]) -> None:
    response = client.post("/api/v1/lineage/batch", json=events, headers=INGEST)
    assert response.status_code == 200, response.text
    assert response.json()["summary"]["failed"] == 0


def webhook(client: TestClient, url: str, secret: str | None = None, name: str = "hook") -> int:
    body: dict[str, Any] = {"name": name, "type": "webhook", "url": url}
    if secret:
        body["secret"] = secret
    response = client.post("/api/v1/alerts/channels", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def rule(
    client: TestClient, condition: dict[str, Any], channel_ids: list[int], name: str = "failures", **extra: Any
) -> int:
    response = client.post(
        "/api/v1/alerts/rules",
        json={"name": name, "condition": condition, "channelIds": channel_ids, **extra},
        headers=ADMIN,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])
