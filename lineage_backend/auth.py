"""Who is calling: API keys for emitters and tools; hosts (the Airflow plugin) add their own users."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Protocol

from starlette.requests import Request

from lineage_backend.config import Settings

INGEST = "ingest"
READ = "read"
ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    name: str
    scopes: frozenset[str]
    # DAG ids whose jobs and runs this principal may see; None means every DAG.
    readable_dag_ids: frozenset[str] | None = None


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
