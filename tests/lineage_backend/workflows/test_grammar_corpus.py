"""The controlled English on the corpus: valid descriptions give their models (and survive the paraphrase),
invalid ones give their issues on their lines."""

from __future__ import annotations

from typing import Any

import pytest

from lineage_backend.workflows.draft import make_draft
from lineage_backend.workflows.model import Workflow
from lineage_backend.workflows.paraphrase import paraphrase
from lineage_backend.workflows.parse import parse
from tests.lineage_backend.workflows.helpers import cases, corpus_catalog

CATALOG = corpus_catalog()
VALID = cases("valid.yaml")
INVALID = cases("invalid.yaml")


def test_the_corpus_is_big_enough() -> None:
    assert len(VALID) + len(INVALID) >= 40
    assert len({case["name"] for case in VALID + INVALID}) == len(VALID) + len(INVALID)


def shown_nodes(workflow: Workflow) -> list[str]:
    out = []
    for node in workflow.nodes:
        text = f"{node.kind} {node.label}"
        if node.kind in {"task", "notify"} and node.operation:
            text += f" [{node.operation}]"
        out.append(text)
    return out


def shown_edges(workflow: Workflow) -> list[str]:
    return [f"{e.source} > {e.target}" + (f" | {e.label}" if e.label else "") for e in workflow.edges]


@pytest.mark.parametrize("case", VALID, ids=[case["name"] for case in VALID])
def test_valid_description_gives_its_model(case: dict[str, Any]) -> None:
    draft = make_draft(case["text"], CATALOG)
    errors = [issue for issue in draft.issues if issue.severity == "error"]
    assert errors == []
    assert sorted({i.code for i in draft.issues if i.severity == "warning"}) == sorted(case.get("warnings", []))
    workflow = draft.workflow
    assert workflow is not None and workflow.trigger is not None
    assert shown_nodes(workflow) == case["nodes"]
    assert sorted(shown_edges(workflow)) == sorted(case["edges"])
    for key, value in case.get("trigger", {}).items():
        assert workflow.trigger.model_dump(by_alias=True)[key] == value
    assert draft.dag_code is not None and draft.test_events


@pytest.mark.parametrize("case", VALID, ids=[case["name"] for case in VALID])
def test_paraphrase_parses_again_to_the_same_model(case: dict[str, Any]) -> None:
    first = parse(case["text"], CATALOG).workflow
    assert first is not None
    text = paraphrase(first)
    lines = text.splitlines()
    assert [line.split(".")[0] for line in lines] == [str(n) for n in range(1, len(lines) + 1)]  # numbered
    again = parse(text, CATALOG)
    assert again.issues == [] and again.workflow is not None, text
    assert again.workflow.structure() == first.structure(), text
    assert paraphrase(again.workflow) == text  # a fixed point


@pytest.mark.parametrize("case", INVALID, ids=[case["name"] for case in INVALID])
def test_invalid_description_gives_its_issues(case: dict[str, Any]) -> None:
    draft = make_draft(case["text"], CATALOG)
    found = [f"{issue.severity} {issue.code} line {issue.line}" for issue in draft.issues]
    for expected in case["issues"]:
        assert expected in found, draft.issues
    unexpected = [f for f in found if f.startswith("error") and f not in case["issues"]]
    assert unexpected == [], draft.issues
    if "message" in case:
        assert any(case["message"] in issue.message for issue in draft.issues), draft.issues
    if "column" in case:
        assert draft.issues[0].column == case["column"]
    for issue in draft.issues:
        assert issue.line is not None and issue.column is not None  # every issue says where
    if any(issue.severity == "error" for issue in draft.issues):
        assert draft.dag_code is None


def test_ambiguity_is_not_resolved_silently() -> None:
    draft = make_draft("When order file lands, if a is b and c is d or e is f then stop otherwise continue", CATALOG)
    (issue,) = [issue for issue in draft.issues if issue.code == "WF008"]
    assert "(a is b and c is d) or e is f" in issue.message and "a is b and (c is d or e is f)" in issue.message
    assert draft.dag_code is None
    # Same operator throughout is one reading, no issue.
    same = make_draft("When order file lands, if a is b and c is d and e is f then stop otherwise continue", CATALOG)
    assert not [issue for issue in same.issues if issue.code == "WF008"]


def test_syntax_error_points_at_the_word() -> None:
    draft = make_draft("When order file lands\ncheck it\nif status is bad load it", CATALOG)
    (issue,) = draft.issues
    # "bad load it" reads as the value compared; the text then ends where 'then' was due.
    assert (issue.code, issue.line, issue.column) == ("WF000", 3, 25)
    assert "'then'" in issue.message and "the text ends" in issue.message


def test_text_over_the_limit_is_one_issue() -> None:
    draft = make_draft("When order file lands, check it. " * 1000, CATALOG)
    assert [issue.code for issue in draft.issues] == ["WF000"] and "at most" in draft.issues[0].message
