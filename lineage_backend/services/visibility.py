"""Who sees which jobs: the one rule, as a Python check (`can_see_job`) and as SQL (`visible_jobs_clause`).

- Jobs that are not Airflow DAGs or tasks (no `dag_id`: Spark, dbt, ...) are visible to every reader.
- A principal without `readable_dag_ids` (API keys; Airflow users who may read every DAG) sees every
  job, including other Airflow deployments' DAGs and DAGs deleted from this Airflow.
- A restricted principal sees the DAG jobs of its own Airflow's namespace (`dag_namespace`) whose DAG it
  may read; a DAG id is matched together with the namespace, so reading `lineage_demo` here does not show
  another deployment's `lineage_demo`. DAG jobs of other namespaces only with `sees_foreign_dags`.
  Without a `dag_namespace`, the DAG ids apply in every namespace.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from lineage_backend.auth import Principal
from lineage_backend.store.models import Job


def sees_every_job(principal: Principal) -> bool:
    return principal.readable_dag_ids is None


def can_see_job(principal: Principal, namespace: str, dag_id: str | None) -> bool:
    readable = principal.readable_dag_ids
    if dag_id is None or readable is None:
        return True
    if principal.dag_namespace is None or namespace == principal.dag_namespace:
        return dag_id in readable
    return principal.sees_foreign_dags


def visible_jobs_clause(principal: Principal) -> ColumnElement[bool] | None:
    """`can_see_job` over the `Job` table, for WHERE clauses; None when nothing is hidden."""
    return visible_dags_clause(principal, namespace=Job.namespace, dag_id=Job.dag_id, no_dag=Job.dag_id.is_(None))


def visible_dags_clause(
    principal: Principal, *, namespace: Any, dag_id: Any, no_dag: ColumnElement[bool]
) -> ColumnElement[bool] | None:
    """`can_see_job` over any table that keeps a job's namespace and DAG id (the jobs, the analytics rollups
    and facts, where "no DAG" is stored as ""): `no_dag` says when a row is not an Airflow DAG's."""
    readable = principal.readable_dag_ids
    if readable is None:
        return None
    own_dags = dag_id.in_(sorted(readable))
    if principal.dag_namespace is None:
        return or_(no_dag, own_dags)
    shown = [no_dag, and_(namespace == principal.dag_namespace, own_dags)]
    if principal.sees_foreign_dags:
        shown.append(namespace != principal.dag_namespace)
    return or_(*shown)


def dag_jobs_clause(principal: Principal, dag_id: str, *, session: Session) -> ColumnElement[bool]:
    """The jobs a `dagId=` parameter names: this Airflow's DAG of that id when it has one (the DAG's tabs
    in Airflow show this Airflow's DAG, not another deployment's of the same id), else that DAG id in every
    namespace. Visibility still applies on top (`visible_jobs_clause`)."""
    named = Job.dag_id == dag_id
    own = own_namespace_of_dag(principal, dag_id, session=session)
    return named if own is None else and_(named, Job.namespace == own)


def own_namespace_of_dag(principal: Principal, dag_id: str, *, session: Session) -> str | None:
    """The namespace a `dagId=` parameter is limited to (`dag_jobs_clause`): the principal's own Airflow's
    when a job of that DAG id lives there, else None (the DAG id in every namespace)."""
    own = principal.dag_namespace
    if own is None:
        return None
    found = session.execute(select(Job.id).where(Job.dag_id == dag_id, Job.namespace == own).limit(1)).first()
    return own if found else None


def visibility_key(principal: Principal) -> tuple[object, ...]:
    """What decides what this principal sees, for caches of filtered answers."""
    return (principal.readable_dag_ids, principal.dag_namespace, principal.sees_foreign_dags)
