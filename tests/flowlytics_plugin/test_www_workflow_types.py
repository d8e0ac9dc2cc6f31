"""The UI's workflow-draft types (flowlytics_plugin/www/src/api/workflows.ts) name exactly the fields of the
API's response models (their OpenAPI schemas, camelCase), so a renamed or added field fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from lineage_backend.api import workflow_schemas as schemas

SOURCE = Path(__file__).resolve().parents[2] / "flowlytics_plugin" / "www" / "src" / "api" / "workflows.ts"

# TypeScript interface -> the response model it mirrors (an interface may extend another).
MIRRORS: dict[str, type[BaseModel]] = {
    "DraftIssue": schemas.IssueResponse,
    "TestEvent": schemas.TestEventResponse,
    "Draft": schemas.DraftResponse,
    "SavedDraftSummary": schemas.SavedDraftSummaryResponse,
    "SavedDraft": schemas.SavedDraftResponse,
    "SavedDraftList": schemas.SavedDraftCollectionResponse,
}


def interfaces(source: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    pattern = re.compile(r"export interface (\w+)(?: extends (\w+))? \{\n(.*?)\n\}", re.DOTALL)
    for name, parent, body in pattern.findall(source):
        fields = set(re.findall(r"^\s+(\w+)\??:", body, re.MULTILINE))
        found[name] = fields | found.get(parent, set()) if parent else fields
    return found


@pytest.mark.parametrize(("interface", "model"), MIRRORS.items())
def test_ui_types_match_the_api_schema(interface: str, model: type[BaseModel]) -> None:
    declared = interfaces(SOURCE.read_text(encoding="utf-8"))
    assert interface in declared, f"{SOURCE.name} declares no interface {interface}"
    schema_fields = set(model.model_json_schema(by_alias=True, mode="serialization")["properties"])
    assert declared[interface] == schema_fields, (
        f"{interface} in {SOURCE.name} has {sorted(declared[interface])}; {model.__name__} has {sorted(schema_fields)}"
    )
