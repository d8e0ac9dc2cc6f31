"""The visibility rule: who sees which jobs, in Python and in SQL, the same."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lineage_backend.auth import READ, Principal
from lineage_backend.db import Database
from lineage_backend.services.visibility import (
    can_see_job,
    dag_jobs_clause,
    sees_every_job,
    visibility_key,
    visible_jobs_clause,
)
from lineage_backend.store.models import Job

HERE = "flowlytics_here"  # this Airflow's OpenLineage namespace
FOREIGN = "my_airflow"  # another Airflow deployment
SCOPES = frozenset({READ})

EVERYTHING = Principal(name="admin", scopes=SCOPES, dag_namespace=HERE)
ONE_DAG = Principal(name="ann", scopes=SCOPES, readable_dag_ids=frozenset({"lineage_demo"}), dag_namespace=HERE)
ONE_DAG_AND_FOREIGN = Principal(
    name="bo", scopes=SCOPES, readable_dag_ids=frozenset({"lineage_demo"}), dag_namespace=HERE, sees_foreign_dags=True
)
NO_DAG = Principal(name="cy", scopes=SCOPES, readable_dag_ids=frozenset(), dag_namespace=HERE)
ANY_NAMESPACE = Principal(name="di", scopes=SCOPES, readable_dag_ids=frozenset({"lineage_demo"}))

# (namespace, dag_id) of each job: this Airflow's DAGs, another deployment's (one with the same DAG id),
# a job without a DAG (Spark).
JOBS = [(HERE, "lineage_demo"), (HERE, "payroll"), (FOREIGN, "lineage_demo"), (FOREIGN, "billing"), ("spark", None)]

EXPECTED = {
    "everything": JOBS,
    "one_dag": [(HERE, "lineage_demo"), ("spark", None)],
    "one_dag_and_foreign": [(HERE, "lineage_demo"), (FOREIGN, "lineage_demo"), (FOREIGN, "billing"), ("spark", None)],
    "no_dag": [("spark", None)],
    "any_namespace": [(HERE, "lineage_demo"), (FOREIGN, "lineage_demo"), ("spark", None)],
}
PRINCIPALS = {
    "everything": EVERYTHING,
    "one_dag": ONE_DAG,
    "one_dag_and_foreign": ONE_DAG_AND_FOREIGN,
    "no_dag": NO_DAG,
    "any_namespace": ANY_NAMESPACE,
}


@pytest.mark.parametrize("who", sorted(PRINCIPALS))
def test_who_sees_which_jobs(who: str) -> None:
    principal = PRINCIPALS[who]
    assert [job for job in JOBS if can_see_job(principal, *job)] == EXPECTED[who]


def test_a_dag_id_read_here_does_not_show_the_same_dag_id_of_another_airflow() -> None:
    assert can_see_job(ONE_DAG, HERE, "lineage_demo")
    assert not can_see_job(ONE_DAG, FOREIGN, "lineage_demo")


def test_only_unrestricted_principals_see_every_job() -> None:
    assert sees_every_job(EVERYTHING) and sees_every_job(Principal(name="api-key", scopes=SCOPES))
    assert not any(sees_every_job(p) for p in (ONE_DAG, ONE_DAG_AND_FOREIGN, NO_DAG, ANY_NAMESPACE))
    assert visible_jobs_clause(EVERYTHING) is None


def test_the_cache_key_tells_apart_principals_who_see_different_jobs() -> None:
    keys = {visibility_key(p) for p in PRINCIPALS.values()}
    assert len(keys) == len(PRINCIPALS)
    assert visibility_key(ONE_DAG) == visibility_key(
        Principal(name="other", scopes=SCOPES, readable_dag_ids=frozenset({"lineage_demo"}), dag_namespace=HERE)
    )


@pytest.mark.parametrize("who", sorted(PRINCIPALS))
def test_the_sql_clause_selects_what_the_python_rule_allows(database: Database, who: str) -> None:
    now = datetime(2024, 5, 1, tzinfo=timezone.utc)

    def add_jobs(session: Session) -> None:
        for namespace, dag_id in JOBS:
            name = f"{dag_id or 'app'}.task"
            session.add(Job(namespace=namespace, name=name, dag_id=dag_id, created_at=now, updated_at=now))

    database.run(add_jobs)
    principal = PRINCIPALS[who]

    def visible(session: Session) -> list[tuple[str, str | None]]:
        query = select(Job.namespace, Job.dag_id).order_by(Job.id)
        clause = visible_jobs_clause(principal)
        if clause is not None:
            query = query.where(clause)
        return [(namespace, dag_id) for namespace, dag_id in session.execute(query)]

    assert database.read(visible) == EXPECTED[who]


def test_a_dag_id_parameter_names_this_airflows_dag_when_it_has_one(database: Database) -> None:
    now = datetime(2024, 5, 1, tzinfo=timezone.utc)

    def add_jobs(session: Session) -> None:
        for namespace, dag_id in JOBS:
            session.add(Job(namespace=namespace, name=str(dag_id), dag_id=dag_id, created_at=now, updated_at=now))

    database.run(add_jobs)
    api_key = Principal(name="api-key", scopes=SCOPES)

    def named(principal: Principal, dag_id: str) -> list[str]:
        def query(session: Session) -> list[str]:
            clause = dag_jobs_clause(principal, dag_id, session=session)
            return list(session.execute(select(Job.namespace).where(clause).order_by(Job.namespace)).scalars())

        return database.read(query)

    assert named(EVERYTHING, "lineage_demo") == named(ONE_DAG, "lineage_demo") == [HERE]
    assert named(api_key, "lineage_demo") == sorted([HERE, FOREIGN])  # no Airflow of its own: every namespace
    assert named(EVERYTHING, "billing") == named(api_key, "billing") == [FOREIGN]
    assert named(EVERYTHING, "nothing") == []
