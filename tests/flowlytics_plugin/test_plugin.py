"""The plugin module, its DB manager and `airflow db migrate`, with the real Airflow installed."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from lineage_backend.store.migrate import VERSION_TABLE, head_revision
from lineage_backend.store.models import metadata

pytest.importorskip("airflow")


def test_importing_the_plugin_builds_nothing_and_touches_no_database(tmp_path: Path) -> None:
    # Task processes import plugins with the ORM blocked: the import must not build the app or an engine.
    code = """
import sys, json
import flowlytics_plugin.plugin as plugin
app = plugin.FlowlyticsPlugin.fastapi_apps[0]["app"]
print(json.dumps({
    "built": app._app is not None,
    "backend_db_imported": "lineage_backend.db" in sys.modules,
    "react": plugin.FlowlyticsPlugin.react_apps[0]["bundle_url"],
}))
"""
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    state = json.loads(result.stdout.strip().splitlines()[-1])
    assert state == {"built": False, "backend_db_imported": False, "react": "flowlytics/static/flowlytics.js?view=runs"}


def test_provider_info_registers_the_db_manager() -> None:
    from airflow._shared.module_loading import import_string

    from flowlytics_plugin.provider_info import get_provider_info

    (path,) = get_provider_info()["db-managers"]
    manager = import_string(path)
    assert manager.version_table_name == VERSION_TABLE != "alembic_version"
    assert Path(manager.migration_dir, "env.py").is_file()
    assert all(name.startswith("flowlytics_") for name in manager.metadata.tables)


@pytest.mark.airflow
@pytest.mark.slow
def test_airflow_db_migrate_creates_and_keeps_our_tables(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path / 'airflow.db'}",
    }
    airflow = str(Path(sys.executable).with_name("airflow"))
    for _ in range(2):  # the second run is an upgrade with nothing to do
        result = subprocess.run([airflow, "db", "migrate"], capture_output=True, text=True, env=env, timeout=300)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    with sqlite3.connect(tmp_path / "airflow.db") as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        version = connection.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchall()
    assert set(metadata.tables) <= tables
    assert "dag_run" in tables  # Airflow's own tables sit beside ours
    assert version == [(head_revision(),)]
