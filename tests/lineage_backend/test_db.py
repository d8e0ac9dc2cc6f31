"""The database helpers' own guards."""

from __future__ import annotations

import sqlite3

import pytest

from lineage_backend.db import MIN_SQLITE_VERSION, check_sqlite_version, make_engine
from lineage_backend.errors import ConfigurationError


def test_an_old_sqlite_is_refused_with_what_to_do() -> None:
    with pytest.raises(ConfigurationError) as raised:
        check_sqlite_version((3, 37, 2))
    message = str(raised.value)
    assert "3.38.0 or newer" in message and "3.37.2" in message and "PostgreSQL" in message


def test_this_pythons_sqlite_is_accepted_and_runs_the_json_paths(tmp_path: object) -> None:
    assert sqlite3.sqlite_version_info >= MIN_SQLITE_VERSION
    check_sqlite_version()
    engine = make_engine(f"sqlite:///{tmp_path}/guard.db")
    with engine.connect() as connection:
        value = connection.exec_driver_sql("""SELECT json_object('v', '{"a": true}' -> '$.a')""").scalar_one()
    assert value == '{"v":true}'
