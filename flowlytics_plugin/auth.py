"""Airflow users as Flowlytics principals: the UI's `_token` cookie or an Airflow JWT bearer."""

from __future__ import annotations

import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from lineage_backend.auth import ADMIN, READ, ForeignDagVisibility, Principal, bearer_token, dag_reader

log = logging.getLogger(__name__)

COOKIE_NAME = "_token"  # airflow.api_fastapi.auth.managers.base_auth_manager.COOKIE_NAME_JWT_TOKEN


def _known_dag_ids() -> set[str]:
    """The DAGs in this Airflow's metadata DB, as BaseAuthManager.get_authorized_dag_ids reads them."""
    from airflow.models import DagModel
    from airflow.models.dagbundle import DagBundleModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        query = select(DagModel.dag_id).join(DagBundleModel, DagModel.bundle_name == DagBundleModel.name)
        return set(session.execute(query).scalars())


def user_access(auth_manager: Any, user: Any) -> tuple[bool, frozenset[str], bool]:
    """What `dag_access` says, and whether the user may edit DAGs: the auth manager's calls of one request
    in one trip to the thread pool (they read the metadata database)."""
    reads_every_dag, dag_ids = dag_access(auth_manager, user)
    return reads_every_dag, dag_ids, bool(auth_manager.is_authorized_dag(method="PUT", user=user))


def dag_access(auth_manager: Any, user: Any) -> tuple[bool, frozenset[str]]:
    """Whether the user may read every DAG, and the DAG ids of this Airflow they may read.

    "Every DAG" is the auth manager's answer for DAGs in general (no DAG named: FAB's global "DAGs"
    permission, a simple-auth Viewer) — and, since some auth managers answer that question without
    looking at teams, only if it also covers every DAG this Airflow knows."""
    in_general = bool(auth_manager.is_authorized_dag(method="GET", user=user))
    known = _known_dag_ids() if in_general else set()  # before the user's set: a DAG added meanwhile is in both
    readable = frozenset(auth_manager.get_authorized_dag_ids(user=user, method="GET"))
    return in_general and known <= readable, readable


class AirflowUserAuthenticator:
    def __init__(self, *, dag_namespace: str, foreign_dag_visibility: ForeignDagVisibility) -> None:
        self.dag_namespace = dag_namespace  # this Airflow's OpenLineage namespace: where its DAG ids apply
        self.foreign_dag_visibility = foreign_dag_visibility

    async def authenticate(self, request: Request) -> Principal | None:
        from airflow.api_fastapi.app import get_auth_manager

        token = bearer_token(request) or request.cookies.get(COOKIE_NAME)
        if not token:
            return None
        auth_manager = get_auth_manager()
        try:
            user = await auth_manager.get_user_from_token(token)
        except Exception as error:  # expired or foreign tokens are simply not Airflow users
            log.debug("not an Airflow token: %s", error)
            return None
        # The auth manager decides which DAGs this user may read; the rule is services/visibility.py.
        reads_every_dag, dag_ids, edits_dags = await run_in_threadpool(user_access, auth_manager, user)
        scopes = {READ}
        # Editing lineage metadata (owners, SLA, criticality) is for those who may edit DAGs.
        if edits_dags:
            scopes.add(ADMIN)
        return dag_reader(
            f"airflow:{user.get_name()}",
            frozenset(scopes),
            reads_every_dag=reads_every_dag,
            readable_dag_ids=dag_ids,
            dag_namespace=self.dag_namespace,
            foreign_dag_visibility=self.foreign_dag_visibility,
        )
