"""`FlowlyticsHook`: the Flowlytics HTTP API through an Airflow connection (type `flowlytics`)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import httpx
from airflow.sdk import BaseHook
from airflow.sdk.exceptions import AirflowException

RETRIABLE_STATUS = {429, 500, 502, 503, 504}


class FlowlyticsUnavailableError(AirflowException):
    """Flowlytics could not be asked; a gate must fail rather than pass unchecked."""


class FlowlyticsHook(BaseHook):
    conn_name_attr = "flowlytics_conn_id"
    default_conn_name = "flowlytics_default"
    conn_type = "flowlytics"
    hook_name = "Flowlytics"

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        return {
            "hidden_fields": ["schema", "login", "port", "extra"],
            "relabeling": {"host": "Flowlytics URL", "password": "Read API key"},
            "placeholders": {"host": "http://airflow-api-server:8080/flowlytics/"},
        }

    def __init__(
        self,
        flowlytics_conn_id: str = default_conn_name,
        *,
        retries: int = 3,
        retry_delay: float = 2.0,
        timeout: float = 30.0,
    ) -> None:
        super().__init__()
        self.flowlytics_conn_id = flowlytics_conn_id
        self.retries = retries
        self.retry_delay = retry_delay
        self.timeout = timeout
        self._settings: tuple[str, str | None] | None = None

    def connection_settings(self) -> tuple[str, str | None]:
        """(base URL ending in '/', API key) from the connection."""
        if self._settings is None:
            try:
                conn = self.get_connection(self.flowlytics_conn_id)
            except Exception as error:
                raise AirflowException(
                    f"Airflow connection {self.flowlytics_conn_id!r} is not defined: create a connection of type "
                    "'flowlytics' with host = the Flowlytics URL (e.g. http://airflow-api-server:8080/flowlytics/) "
                    f"and password = a read API key ({error})"
                ) from None
            host = (conn.host or "").strip()
            if not host:
                raise AirflowException(
                    f"connection {self.flowlytics_conn_id!r} has no host: set it to the Flowlytics URL"
                )
            if "://" not in host:  # URI-style connections: flowlytics://:key@host:port/path
                scheme = (conn.extra_dejson or {}).get("scheme", "http")
                port = f":{conn.port}" if conn.port else ""
                path = f"/{conn.schema.strip('/')}" if conn.schema else ""
                host = f"{scheme}://{host}{port}{path}"
            self._settings = (host.rstrip("/") + "/", conn.password or None)
        return self._settings

    def get(self, path: str, params: dict[str, Any] | None = None, *, missing_ok: bool = False) -> Any:
        base_url, api_key = self.connection_settings()
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        url = base_url + path.lstrip("/")
        last_problem = ""
        for attempt in range(1, self.retries + 2):
            try:
                response = httpx.get(url, params=params, headers=headers, timeout=self.timeout)
            except httpx.HTTPError as error:
                last_problem = f"{type(error).__name__}: {error}"
            else:
                if response.status_code == 200:
                    return response.json()
                if response.status_code == 404 and missing_ok:
                    return None
                detail = _detail(response)
                if response.status_code not in RETRIABLE_STATUS:
                    raise AirflowException(f"Flowlytics answered {response.status_code} for {url}: {detail}")
                last_problem = f"HTTP {response.status_code}: {detail}"
            if attempt <= self.retries:
                self.log.warning("Flowlytics not reachable (%s), retry %s of %s", last_problem, attempt, self.retries)
                time.sleep(self.retry_delay * attempt)
        raise FlowlyticsUnavailableError(
            f"could not ask Flowlytics at {base_url} after {self.retries + 1} attempts ({last_problem}); "
            "the gate fails rather than pass unchecked"
        )

    def impact(
        self, node_id: str, *, depth: int | None = None, direction: str = "downstream", missing_ok: bool = False
    ) -> Any:
        """The impact report; with `missing_ok`, None for a node Flowlytics has never seen."""
        params: dict[str, Any] = {"nodeId": node_id, "direction": direction}
        if depth:
            params["depth"] = depth
        return self.get("api/v1/impact", params, missing_ok=missing_ok)

    def dataset_status(self, node_id: str) -> Any:
        return self.get(f"api/v1/datasets/{quote(node_id, safe='')}/status")


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail"))
    except ValueError:
        return response.text[:300]
