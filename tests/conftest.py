"""Shared fixtures: real SQLite files and a real PostgreSQL server started for the test run."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from lineage_backend.app import create_app
from lineage_backend.config import Settings
from lineage_backend.db import Database
from lineage_backend.store.migrate import upgrade
from lineage_backend.store.models import metadata

# Tests that import Airflow must not write into the developer's ~/airflow.
os.environ.setdefault("AIRFLOW_HOME", str(Path(tempfile.gettempdir()) / "flowlytics-tests-airflow-home"))

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "openlineage"
INGEST_KEY = "test-ingest-key"
READ_KEY = "test-read-key"
ADMIN_KEY = "test-admin-key"
# CI sets this so that a missing PostgreSQL or Chromium fails the run instead of skipping.
REQUIRE_ALL = os.environ.get("FLOWLYTICS_REQUIRE_ALL") == "1"


def skip_or_fail(reason: str) -> None:
    if REQUIRE_ALL:
        pytest.fail(f"{reason} (FLOWLYTICS_REQUIRE_ALL=1 forbids skipping)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"the OpenLineage corpus is not at {CORPUS} (it lives in ../shared beside the repo)")
    return CORPUS


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return found[-1].parent if found else None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on loopback, owned by the test run."""
    if os.environ.get("FLOWLYTICS_TEST_PG_URL"):
        yield os.environ["FLOWLYTICS_TEST_PG_URL"]
        return
    bin_dir = _pg_bin()
    if bin_dir is None:
        skip_or_fail("PostgreSQL server binaries not found (apt-get install postgresql)")
    assert bin_dir is not None
    workdir = Path(tempfile.mkdtemp(prefix="flowlytics-pg-"))
    data = workdir / "data"
    port = free_port()
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(workdir, "postgres", "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*as_postgres, str(bin_dir / "initdb"), "-D", str(data), "-U", "flowlytics", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *as_postgres,
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(workdir / "log"),
            "-w",
            "start",
            "-o",
            f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
        ],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://flowlytics@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def _pg_database(postgres_url: str) -> Iterator[Database]:
    database = Database.from_url(postgres_url)
    upgrade(database.engine)
    yield database
    database.engine.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "flowlytics.db"
    database = Database.from_url(f"sqlite:///{path}")
    upgrade(database.engine)
    database.engine.dispose()
    return path


def _truncate(database: Database) -> None:
    tables = ", ".join(table.name for table in metadata.sorted_tables)
    with database.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    # Ids restart: what this process learnt about jobs and datasets is wrong now (see ingest/id_cache.py).
    from lineage_backend.ingest.id_cache import forget

    forget()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path, _sqlite_template: Path) -> Iterator[Database]:
    """A migrated, empty database: a fresh SQLite file, or the shared PostgreSQL one truncated."""
    if request.param == "sqlite":
        path = tmp_path / "flowlytics.db"
        shutil.copy(_sqlite_template, path)
        database = Database.from_url(f"sqlite:///{path}")
        yield database
        database.engine.dispose()
    else:
        database = request.getfixturevalue("_pg_database")
        _truncate(database)
        yield database


@pytest.fixture
def sqlite_database(tmp_path: Path, _sqlite_template: Path) -> Iterator[Database]:
    path = tmp_path / "flowlytics.db"
    shutil.copy(_sqlite_template, path)
    database = Database.from_url(f"sqlite:///{path}")
    yield database
    database.engine.dispose()


def make_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "db_url": "unused",
        "ingest_api_keys": (INGEST_KEY,),
        "read_api_keys": (READ_KEY,),
        "admin_api_keys": (ADMIN_KEY,),
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(), database=database)) as test_client:
        yield test_client


INGEST = {"Authorization": f"Bearer {INGEST_KEY}"}
READ = {"Authorization": f"Bearer {READ_KEY}"}


def wait_for_http(url: str, timeout: float = 30.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@contextmanager
def serve_flowlytics(db_url: str, *args: str) -> Iterator[tuple[str, Database]]:
    """A real `flowlytics serve` process on `db_url` with the test keys (`args` go to `serve`);
    yields its base URL and the database, and stops the process on exit."""
    port = free_port()
    env = {
        **os.environ,
        "FLOWLYTICS_INGEST_API_KEYS": INGEST_KEY,
        "FLOWLYTICS_READ_API_KEYS": READ_KEY,
        "FLOWLYTICS_ADMIN_API_KEYS": ADMIN_KEY,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "lineage_backend.cli", "serve", "--db-url", db_url, "--port", str(port), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # A hang guard: a loaded machine starts servers slowly.
        wait_for_http(f"http://127.0.0.1:{port}/health", timeout=240)
        database = Database.from_url(db_url)
        yield f"http://127.0.0.1:{port}", database
        database.engine.dispose()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def flowlytics_server(tmp_path: Path) -> Iterator[tuple[str, Database]]:
    """A real `flowlytics serve` process on SQLite, with the test keys."""
    with serve_flowlytics(f"sqlite:///{tmp_path / 'served.db'}") as served:
        yield served
