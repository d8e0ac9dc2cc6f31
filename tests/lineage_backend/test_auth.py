"""Principals of Airflow users: who may read every DAG sees everything; others their own DAGs."""

from __future__ import annotations

import pytest

from lineage_backend.auth import READ, dag_reader, parse_foreign_dag_visibility

SCOPES = frozenset({READ})


def test_a_user_who_may_read_every_dag_is_not_restricted() -> None:
    principal = dag_reader(
        "airflow:admin",
        SCOPES,
        reads_every_dag=True,
        readable_dag_ids=frozenset({"lineage_demo"}),
        dag_namespace="here",
        foreign_dag_visibility="all_dags_readers",
    )
    assert principal.readable_dag_ids is None  # deleted DAGs and other deployments' DAGs included
    assert principal.dag_namespace == "here"


@pytest.mark.parametrize(("setting", "foreign"), [("all_dags_readers", False), ("everyone", True)])
def test_a_restricted_user_reads_their_dags_of_this_airflow(setting: str, foreign: bool) -> None:
    principal = dag_reader(
        "airflow:ann",
        SCOPES,
        reads_every_dag=False,
        readable_dag_ids=frozenset({"lineage_demo"}),
        dag_namespace="here",
        foreign_dag_visibility=parse_foreign_dag_visibility(setting),
    )
    assert principal.readable_dag_ids == {"lineage_demo"}
    assert principal.dag_namespace == "here"
    assert principal.sees_foreign_dags is foreign


@pytest.mark.parametrize(
    ("text", "parsed"), [("", "all_dags_readers"), (None, "all_dags_readers"), (" Everyone ", "everyone")]
)
def test_foreign_dag_visibility_values(text: str | None, parsed: str) -> None:
    assert parse_foreign_dag_visibility(text) == parsed


def test_an_unknown_foreign_dag_visibility_names_the_choices() -> None:
    with pytest.raises(ValueError, match="all_dags_readers, everyone"):
        parse_foreign_dag_visibility("admins")
