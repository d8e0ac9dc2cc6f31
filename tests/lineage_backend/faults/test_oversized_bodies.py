"""An oversized body reaches the client as a 413 it can read, over real sockets (uvicorn; TestClient does
not show the problem): urllib, httpx, curl and the openlineage-python HTTP transport, plain and gzip (a
compressed body over the limit, and a gzip bomb whose decompressed size is over it), 9 and 64 MiB.

Regression: the server used to answer as soon as the body passed the limit and close while the client was
still sending, so urllib got "Connection reset by peer" / "Broken pipe" instead of the 413."""

from __future__ import annotations

import base64
import gzip
import json
import os
import subprocess
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest

from lineage_backend.db import Database
from tests.conftest import INGEST, INGEST_KEY
from tests.lineage_backend.faults.harness import (
    REQUEST_GUARD_SECONDS,
    ServerProcess,
    figures,
    running_server,
    stored_documents,
)

pytestmark = pytest.mark.slow

MiB = 1024 * 1024
SIZES = (9 * MiB, 64 * MiB)  # just over the 8 MiB default, and far over it
KINDS = ("plain", "gzip", "gzip-bomb")
Answer = tuple[int, str]  # status and the `detail` the client read
READ_BACK: Counter[tuple[int, str]] = Counter()  # (status, client) of every post, for the figures


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    directory = tmp_path_factory.mktemp("oversized")
    with running_server(f"sqlite:///{directory / 'served.db'}", directory) as served:
        yield served


@cache
def _noise(size: int) -> bytes:
    """Incompressible JSON-safe text (base64 of random bytes): gzip keeps it over the limit."""
    return base64.b64encode(os.urandom(size * 3 // 4 + 3))[:size]


def event_with_facet(size: int, kind: str) -> dict[str, Any]:
    """`size` bytes of facet; for `gzip`, enough noise that the compressed body itself is over `size`."""
    blob = "x" * size if kind == "gzip-bomb" else _noise(size * 3 // 2 if kind == "gzip" else size).decode()
    return {
        "eventType": "START",
        "eventTime": "2024-05-01T10:00:00Z",
        "producer": "https://github.com/flowlytics/tests",
        "run": {"runId": str(uuid.uuid4()), "facets": {"blob": {"data": blob}}},
        "job": {"namespace": "faults", "name": "oversized"},
    }


@cache
def body(kind: str, size: int) -> bytes:
    document = json.dumps(event_with_facet(size, kind)).encode()
    return document if kind == "plain" else gzip.compress(document, compresslevel=1)


def headers(kind: str) -> dict[str, str]:
    encoding = {} if kind == "plain" else {"Content-Encoding": "gzip"}
    return {**INGEST, "Content-Type": "application/json", **encoding}


def post_urllib(url: str, kind: str, size: int) -> Answer:
    request = urllib.request.Request(url, data=body(kind, size), headers=headers(kind), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_GUARD_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())["detail"]


def post_httpx(url: str, kind: str, size: int) -> Answer:
    response = httpx.post(url, content=body(kind, size), headers=headers(kind), timeout=REQUEST_GUARD_SECONDS)
    return response.status_code, response.json().get("detail", "")


def post_httpx_chunked(url: str, kind: str, size: int) -> Answer:
    """No Content-Length: the server only finds out while reading."""
    data = body(kind, size)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(data), MiB):
            yield data[start : start + MiB]

    response = httpx.post(url, content=chunks(), headers=headers(kind), timeout=REQUEST_GUARD_SECONDS)
    return response.status_code, response.json().get("detail", "")


def _curl(url: str, kind: str, size: int, tmp: Path, *extra: str) -> Answer:
    path = tmp / f"{kind}-{size}.body"
    if not path.exists():
        path.write_bytes(body(kind, size))
    command = ["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "-X", "POST", "--data-binary", f"@{path}"]
    for name, value in headers(kind).items():
        command += ["-H", f"{name}: {value}"]
    result = subprocess.run(
        [*command, *extra, url], capture_output=True, text=True, timeout=REQUEST_GUARD_SECONDS, check=False
    )
    assert result.returncode == 0, f"curl failed: {result.stderr}"
    text, _, status = result.stdout.rpartition("\n")
    return int(status), json.loads(text)["detail"]


def post_curl(url: str, kind: str, size: int, tmp: Path) -> Answer:
    """curl sends `Expect: 100-continue` for large bodies, and waits for the answer before sending."""
    return _curl(url, kind, size, tmp)


def post_curl_without_expect(url: str, kind: str, size: int, tmp: Path) -> Answer:
    return _curl(url, kind, size, tmp, "-H", "Expect:")


def post_openlineage(url: str, kind: str, size: int) -> Answer:
    """The real HttpTransport (what Airflow's provider uses); `gzip` is its own compression."""
    import attr
    import requests
    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
    from openlineage.client.generated.base import RunFacet
    from openlineage.client.transport.http import ApiKeyTokenProvider, HttpCompression, HttpConfig, HttpTransport

    @attr.define
    class BlobRunFacet(RunFacet):
        data: str = ""

    config = HttpConfig(
        url=url.rsplit("/api/", 1)[0] + "/",
        endpoint="api/v1/lineage",
        auth=ApiKeyTokenProvider({"apiKey": INGEST_KEY}),
        compression=None if kind == "plain" else HttpCompression.GZIP,
        timeout=REQUEST_GUARD_SECONDS,
    )
    client = OpenLineageClient(transport=HttpTransport(config))
    blob = event_with_facet(size, kind)["run"]["facets"]["blob"]["data"]
    event = RunEvent(
        eventType=RunState.START,
        eventTime="2024-05-01T10:00:00Z",
        producer="https://github.com/flowlytics/tests",
        run=Run(runId=str(uuid.uuid4()), facets={"blob": BlobRunFacet(data=blob)}),
        job=Job(namespace="faults", name="oversized"),
    )
    try:
        client.emit(event)
    except requests.HTTPError as error:
        return error.response.status_code, error.response.json()["detail"]
    return 201, ""


CLIENTS: dict[str, Callable[..., Answer]] = {
    "urllib": post_urllib,
    "httpx": post_httpx,
    "httpx-chunked": post_httpx_chunked,
    "curl": post_curl,
    "curl-no-expect": post_curl_without_expect,
    "openlineage": post_openlineage,
}


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size // MiB}MiB")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("client", CLIENTS)
def test_oversized_body_is_a_413_the_client_reads(
    server: ServerProcess, client: str, kind: str, size: int, tmp_path: Path
) -> None:
    post = CLIENTS[client]
    url = f"{server.url}/api/v1/lineage"
    status, detail = post(url, kind, size, tmp_path) if client.startswith("curl") else post(url, kind, size)
    READ_BACK[(status, client)] += 1
    assert status == 413, detail
    assert "body too large: the limit is 8 MiB (max_body_bytes)" in detail
    assert ("decompressed body" in detail) == (kind == "gzip-bomb")
    assert "send fewer events per request" in detail


def urllib_post(url: str, data: bytes, headers: dict[str, str]) -> Answer:
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_GUARD_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())["detail"]


def test_refusals_before_the_body_is_read_are_readable_too(server: ServerProcess) -> None:
    """Regression: a wrong key with a 9 MiB body was answered 401 before the body was read, and urllib saw
    "Broken pipe". And the batch endpoint takes the same limit."""
    data = body("plain", SIZES[0])
    wrong_key = {**headers("plain"), "Authorization": "Bearer wrong-key"}
    status, detail = urllib_post(f"{server.url}/api/v1/lineage", data, wrong_key)
    READ_BACK[(status, "urllib-401")] += 1
    assert status == 401 and "Not authenticated" in detail
    status, detail = urllib_post(f"{server.url}/api/v1/lineage/batch", b"[" + data + b"]", headers("plain"))
    READ_BACK[(status, "urllib-batch")] += 1
    assert status == 413 and "the limit is 8 MiB (max_body_bytes)" in detail


def test_after_the_refusals_nothing_is_stored_and_nothing_was_a_server_error(server: ServerProcess) -> None:
    assert httpx.get(f"{server.url}/health", timeout=10).status_code == 200
    database = Database.from_url(server.db_url)
    try:
        assert stored_documents(database) == {}
    finally:
        database.engine.dispose()
    assert server.server_errors() == []
    figures(
        "oversized",
        posts=sum(READ_BACK.values()),
        read_4xx=sum(n for (status, _), n in READ_BACK.items() if status in (401, 413)),
        by_client={f"{client} {status}": n for (status, client), n in sorted(READ_BACK.items())},
    )
