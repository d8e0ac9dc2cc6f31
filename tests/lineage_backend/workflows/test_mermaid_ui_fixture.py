"""The backend's Mermaid output that the UI tests parse with mermaid's own parser.

flowlytics_plugin/www/tests/fixtures/workflow-mermaid.json holds the Mermaid text of every corpus case that
has a diagram and of the hostile labels; vitest (workflow-mermaid.test.ts) parses each with `mermaid.parse`.
This test fails when the backend's output changed and the fixture was not rewritten, so the UI test never
parses stale text. Rewrite it with `FLOWLYTICS_WRITE_FIXTURES=1 pytest <this file>`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from lineage_backend.workflows.draft import make_draft
from lineage_backend.workflows.mermaid import to_mermaid
from tests.lineage_backend.workflows.helpers import cases, corpus_catalog
from tests.lineage_backend.workflows.test_mermaid import EVIL, workflow_with

WWW_TESTS = Path(__file__).resolve().parents[3] / "flowlytics_plugin" / "www" / "tests"
FIXTURE = WWW_TESTS / "fixtures" / "workflow-mermaid.json"


def current_fixture() -> list[dict[str, str]]:
    catalog = corpus_catalog()
    items: list[dict[str, str]] = []
    for corpus in ("valid.yaml", "invalid.yaml"):
        for case in cases(corpus):
            draft = make_draft(case["text"], catalog)
            if draft.mermaid:
                items.append({"name": f"{corpus}: {case['name']}", "mermaid": draft.mermaid})
    for label in EVIL:
        items.append({"name": f"hostile label {label!r}", "label": label, "mermaid": to_mermaid(workflow_with(label))})
    return items


def test_the_ui_fixture_is_the_backends_current_output() -> None:
    expected = current_fixture()
    assert len(expected) >= 40, "the corpus should give at least 40 diagrams"
    text = json.dumps(expected, indent=1, ensure_ascii=False) + "\n"
    if os.environ.get("FLOWLYTICS_WRITE_FIXTURES") == "1":
        FIXTURE.write_text(text, encoding="utf-8")
    assert FIXTURE.is_file(), f"{FIXTURE} is missing: rewrite it with FLOWLYTICS_WRITE_FIXTURES=1"
    assert FIXTURE.read_text(encoding="utf-8") == text, (
        "the Mermaid fixture of the UI tests is stale: rewrite it with "
        "FLOWLYTICS_WRITE_FIXTURES=1 pytest tests/lineage_backend/workflows/test_mermaid_ui_fixture.py"
    )
