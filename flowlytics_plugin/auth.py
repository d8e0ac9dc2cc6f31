"""Airflow users as Flowlytics principals: the UI's `_token` cookie or an Airflow JWT bearer."""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from lineage_backend.auth import ADMIN, READ, Principal, bearer_token

log = logging.getLogger(__name__)

COOKIE_NAME = "_token"  # airflow.api_fastapi.auth.managers.base_auth_manager.COOKIE_NAME_JWT_TOKEN


class AirflowUserAuthenticator:
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
        # The auth manager decides which DAGs this user may read; jobs of other DAGs stay hidden.
        dag_ids = await run_in_threadpool(auth_manager.get_authorized_dag_ids, user=user, method="GET")
        scopes = {READ}
        # Editing lineage metadata (owners, SLA, criticality) is for those who may edit DAGs.
        if await run_in_threadpool(auth_manager.is_authorized_dag, method="PUT", user=user):
            scopes.add(ADMIN)
        return Principal(
            name=f"airflow:{user.get_name()}",
            scopes=frozenset(scopes),
            readable_dag_ids=frozenset(dag_ids),
        )
