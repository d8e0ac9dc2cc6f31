"""The optional model engine, offline: pydantic-ai's own FunctionModel and TestModel, no network."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

pytest.importorskip("pydantic_ai")

from pydantic_ai import models
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.test import TestModel

from lineage_backend.workflows.engine import EngineUnavailableError, configured_model, rewrite
from tests.lineage_backend.workflows.helpers import corpus_catalog

CATALOG = corpus_catalog()
GOOD = (
    "1. When order file lands.\n2. Then check it.\n"
    "3. If more than 1 % of rows are invalid then notify data-ops, otherwise load it into warehouse."
)


@pytest.fixture(autouse=True)
def no_real_models() -> Iterator[None]:
    before = models.ALLOW_MODEL_REQUESTS
    models.ALLOW_MODEL_REQUESTS = False  # a real model request fails the test
    yield
    models.ALLOW_MODEL_REQUESTS = before


def scripted(*answers: str, seen: list[list[ModelMessage]] | None = None) -> FunctionModel:
    replies = iter(answers)

    def reply(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        if seen is not None:
            seen.append(list(messages))
        args = {"controlled_text": next(replies), "questions": ["Who owns the warehouse load?"]}
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, args)])

    return FunctionModel(reply)


def test_a_valid_answer_is_parsed_and_drafted() -> None:
    outcome = rewrite(
        "an order file arrives; check it; >1% bad rows → tell data-ops, else load", CATALOG, scripted(GOOD)
    )
    assert outcome.accepted and outcome.attempts == 1
    assert outcome.controlled_text == GOOD
    assert outcome.questions == ["Who owns the warehouse load?"]
    assert outcome.draft is not None and outcome.draft.issues == [] and outcome.draft.dag_code is not None


def test_invalid_english_goes_back_with_the_grammars_issue_then_the_fix_is_taken() -> None:
    seen: list[list[ModelMessage]] = []
    outcome = rewrite(
        "free text", CATALOG, scripted("When order file lands, if status is bad load it", GOOD, seen=seen)
    )
    assert outcome.accepted and outcome.attempts == 2
    # The grammar's message goes back to the model (as pydantic-ai's retry part or tool return).
    fed_back = [str(getattr(part, "content", "")) for part in seen[1][-1].parts]
    assert any("line 1, column 48" in text and "'then'" in text for text in fed_back), fed_back


def test_an_answer_that_stays_invalid_is_rejected_with_the_grammars_issue() -> None:
    bad = "Whenever something happens, do the usual & more"
    outcome = rewrite("free text", CATALOG, scripted(bad, bad, bad))
    assert not outcome.accepted and outcome.draft is None
    assert outcome.attempts == 3 and outcome.controlled_text == bad
    assert [issue.code for issue in outcome.issues] == ["WF000"] and outcome.issues[0].line == 1


def test_a_readable_answer_is_still_validated() -> None:
    # TestModel answers with schema-valid filler ("a"): readable, but no trigger and no known operation.
    outcome = rewrite("free text", CATALOG, TestModel())
    assert outcome.accepted and outcome.draft is not None
    assert {"WF001", "WF003"} <= {issue.code for issue in outcome.issues}
    assert outcome.draft.dag_code is None


def test_the_instructions_carry_the_catalog() -> None:
    seen: list[list[ModelMessage]] = []
    rewrite("free text", CATALOG, scripted(GOOD, seen=seen))
    instructions = str(getattr(seen[0][0], "instructions", ""))
    assert "order_file" in instructions and "wait for dataset health" in instructions
    assert "Do not invent" in instructions


def test_off_by_default() -> None:
    with pytest.raises(EngineUnavailableError, match="off by default"):
        configured_model("")
    assert configured_model("ollama:llama3.1") == "ollama:llama3.1"
