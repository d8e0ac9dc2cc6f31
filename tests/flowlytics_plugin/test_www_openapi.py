"""The OpenAPI document the UI's TypeScript types are generated from (flowlytics_plugin/www/openapi.json) is the
API's own, so a renamed, retyped or removed response field reaches the UI's compile-time contract checks
(src/api/contract.ts) instead of a blank cell in production."""

from __future__ import annotations

import json
from pathlib import Path

from lineage_backend.cli import main, openapi_document

COMMITTED = Path(__file__).resolve().parents[2] / "flowlytics_plugin" / "www" / "openapi.json"
REGENERATE = "run `npm run gen:api` in flowlytics_plugin/www (with the virtualenv on PATH) and commit the result"


def test_the_committed_openapi_document_is_the_apis() -> None:
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    current = openapi_document()
    stale = sorted(set(current["components"]["schemas"]) ^ set(committed["components"]["schemas"]))
    assert not stale, f"schemas added or removed since openapi.json was written: {stale}; {REGENERATE}"
    changed = [
        name
        for name, schema in current["components"]["schemas"].items()
        if committed["components"]["schemas"][name] != schema
    ]
    assert not changed, f"schemas changed since openapi.json was written: {changed}; {REGENERATE}"
    assert committed == current, f"paths changed since openapi.json was written; {REGENERATE}"


def test_every_response_field_is_required_in_the_schema() -> None:
    # The API always sends every field (nullable ones as null); the generated types must not mark them optional.
    schema = openapi_document()["components"]["schemas"]["IncidentResponse"]
    assert set(schema["required"]) == set(schema["properties"])


def test_the_cli_writes_the_document(tmp_path: Path) -> None:
    out = tmp_path / "openapi.json"
    assert main(["openapi", "--out", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8")) == openapi_document()
