"""Who is calling: API keys for emitters and tools; hosts (the Airflow plugin) add their own users."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal, Protocol

from starlette.requests import Request

from lineage_backend.config import Settings

INGEST = "ingest"
READ = "read"
ADMIN = "admin"


# Who sees the DAG jobs of other OpenLineage namespaces (other Airflow deployments) besides those who may
# read every DAG: `[flowlytics] foreign_dag_visibility`.
ForeignDagVisibility = Literal["all_dags_readers", "everyone"]
FOREIGN_DAG_VISIBILITY: tuple[ForeignDagVisibility, ...] = ("all_dags_readers", "everyone")


@dataclass(frozen=True)
class Principal:
    """The caller. The rule that reads the visibility fields is lineage_backend/services/visibility.py."""

    name: str
    scopes: frozenset[str]
    # DAG ids whose jobs and runs this principal may see; None means every DAG, of every namespace.
    readable_dag_ids: frozenset[str] | None = None
    # The OpenLineage namespace of the Airflow that readable_dag_ids come from: there the DAG ids apply.
    # None: they apply to DAG jobs of every namespace.
    dag_namespace: str | None = None
    # Whether a principal restricted to readable_dag_ids still sees the DAG jobs of other namespaces.
    sees_foreign_dags: bool = False


def dag_reader(
    name: str,
    scopes: frozenset[str],
    *,
    reads_every_dag: bool,
    readable_dag_ids: frozenset[str],
    dag_namespace: str,
    foreign_dag_visibility: ForeignDagVisibility,
) -> Principal:
    """A user of the Airflow whose OpenLineage namespace is `dag_namespace`. Who may read every DAG sees
    everything: other deployments' DAGs and DAGs deleted from Airflow included. Others see the DAGs of
    this Airflow they may read, and other namespaces' DAGs only when `foreign_dag_visibility` is
    "everyone" (a DAG id names a DAG only within its own Airflow)."""
    if reads_every_dag:
        return Principal(name=name, scopes=scopes, dag_namespace=dag_namespace)
    return Principal(
        name=name,
        scopes=scopes,
        readable_dag_ids=readable_dag_ids,
        dag_namespace=dag_namespace,
        sees_foreign_dags=foreign_dag_visibility == "everyone",
    )


def parse_foreign_dag_visibility(value: str | None) -> ForeignDagVisibility:
    text = (value or "").strip().lower() or "all_dags_readers"
    for choice in FOREIGN_DAG_VISIBILITY:
        if text == choice:
            return choice
    raise ValueError(
        f"foreign_dag_visibility {value!r} must be one of {', '.join(FOREIGN_DAG_VISIBILITY)}: who sees the "
        "DAG jobs of other OpenLineage namespaces besides users who may read every DAG"
    )


class Authenticator(Protocol):
    async def authenticate(self, request: Request) -> Principal | None:
        """The caller, or None when this authenticator does not recognise the credentials."""


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _matches(token: str, keys: tuple[str, ...]) -> bool:
    # Compare against every key so timing does not reveal which one nearly matched.
    found = False
    for key in keys:
        found |= hmac.compare_digest(token.encode(), key.encode())
    return found


class ApiKeyAuthenticator:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def authenticate(self, request: Request) -> Principal | None:
        token = bearer_token(request)
        if token is None:
            return None
        scopes: set[str] = set()
        if _matches(token, self.settings.ingest_api_keys):
            scopes.add(INGEST)
        if _matches(token, self.settings.read_api_keys):
            scopes.add(READ)
        if _matches(token, self.settings.admin_api_keys):
            scopes.update({READ, ADMIN})
        if not scopes:
            return None
        return Principal(name=api_key_principal_name(token), scopes=frozenset(scopes))


def api_key_principal_name(key: str) -> str:
    """A stable, non-secret name per key (saved drafts, annotation authors, audit actors are per key).

    12 hex digits of sha256 tell keys apart without revealing them; the key itself is never stored.
    """
    return f"api-key:{hashlib.sha256(key.encode()).hexdigest()[:12]}"
