"""The `[flowlytics]` accessors that visibility reads, with the real Airflow configuration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("airflow")

READ_SETTINGS = """
import json
from airflow.providers.openlineage import conf as provider
from flowlytics_plugin import conf
try:
    visibility = conf.foreign_dag_visibility()
except ValueError as error:
    visibility = f"error: {error}"
print(json.dumps({"namespace": conf.openlineage_namespace(), "provider_namespace": provider.namespace(),
                  "visibility": visibility}))
"""


def _settings(tmp_path: Path, **env: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "OPENLINEAGE"))}
    done = subprocess.run(
        [sys.executable, "-c", READ_SETTINGS],
        env={**clean, "AIRFLOW_HOME": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    ("env", "namespace"),
    [
        ({}, "default"),
        ({"OPENLINEAGE_NAMESPACE": "from_env"}, "from_env"),
        ({"AIRFLOW__OPENLINEAGE__NAMESPACE": "prod_airflow", "OPENLINEAGE_NAMESPACE": "ignored"}, "prod_airflow"),
    ],
)
def test_this_airflows_namespace_is_the_one_its_openlineage_provider_emits(
    tmp_path: Path, env: dict[str, str], namespace: str
) -> None:
    settings = _settings(tmp_path, **env)
    assert settings["namespace"] == settings["provider_namespace"] == namespace


def test_foreign_dag_visibility_setting(tmp_path: Path) -> None:
    assert _settings(tmp_path)["visibility"] == "all_dags_readers"
    everyone = {"AIRFLOW__FLOWLYTICS__FOREIGN_DAG_VISIBILITY": "everyone"}
    assert _settings(tmp_path, **everyone)["visibility"] == "everyone"
    wrong = _settings(tmp_path, AIRFLOW__FLOWLYTICS__FOREIGN_DAG_VISIBILITY="admins")["visibility"]
    assert wrong.startswith("error: foreign_dag_visibility 'admins' must be one of all_dags_readers, everyone")
