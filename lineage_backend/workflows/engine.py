"""The optional model engine: a language model rewrites free text into the controlled English, nothing more.

Its answer is parsed by the same grammar (a syntax error goes back to the model, twice at most) and then
drafted and checked like any text; the caller shows it to the person before anything uses it. Off unless a
model is configured (`FLOWLYTICS_WORKFLOW_MODEL`); needs `pip install 'flowlytics[llm]'` (pydantic-ai-slim).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from lineage_backend.workflows.catalog import Catalog
from lineage_backend.workflows.draft import Draft, make_draft
from lineage_backend.workflows.model import Issue
from lineage_backend.workflows.parse import parse

MAX_RETRIES = 2
MAX_CATALOG_NAMES = 200

INSTRUCTIONS = """\
Rewrite the user's description of a data workflow into Flowlytics controlled English. Answer with the
rewritten text only, one statement per line, numbered "1.", "2.", ...

The language:
- Start with the trigger: "When <event> lands" (an event from the list below) or a schedule such as
  "Every day at 06:00", "Every weekday at 07:30", "Every hour", "Every 15 minutes".
- A step: "Then <operation> it" or "Then <operation> on <dataset>" (operations from the list below);
  "it" is the dataset that triggered the workflow. Chain steps with "and then".
- A decision: "If <condition> then <steps>, otherwise if <condition> then <steps>, otherwise <steps>."
  Conditions: "<value> is <word>", "<value> is not <word>", "<value> is more than <number>",
  "<value> is less than <number>", "<value> is at least <number>", "<value> is at most <number>",
  "more than <number> % of <things> are <state>"; combine with "and", "or", "not" and always use
  parentheses when mixing "and" with "or".
- "For each <item> in <collection> then <steps>." "At the same time <step> and <step>."
- "stop" ends a branch; "notify <owner>" notifies and ends it; "continue" does nothing.

Rules: use only the events and operations listed. Do not invent steps, conditions, owners or thresholds
that the user did not give: put what is missing into `questions` instead, and leave it out of the text.
"""


class Rewrite(BaseModel):
    controlled_text: str = Field(description="the workflow in Flowlytics controlled English")
    questions: list[str] = Field(default_factory=list, description="what the description leaves undefined")


@dataclass
class RewriteOutcome:
    accepted: bool
    controlled_text: str
    questions: list[str]
    attempts: int
    draft: Draft | None
    issues: list[Issue] = field(default_factory=list)


class EngineUnavailableError(RuntimeError):
    """No model is configured, or pydantic-ai is not installed."""


def catalog_prompt(catalog: Catalog) -> str:
    events = sorted({event.name for event in catalog.events})[:MAX_CATALOG_NAMES]
    operations = sorted({operation.name for operation in catalog.operations})
    return "Events: " + ("; ".join(events) or "(none)") + "\nOperations: " + "; ".join(operations)


def configured_model(name: str, base_url: str = "", api_key: str = "") -> Any:
    """The model for `FLOWLYTICS_WORKFLOW_MODEL`: an OpenAI-compatible endpoint (Ollama's /v1 too) when a base
    URL is given, else a pydantic-ai model name such as "openai:gpt-4o-mini"."""
    if not name:
        raise EngineUnavailableError("no model engine is configured (FLOWLYTICS_WORKFLOW_MODEL); it is off by default")
    if not base_url:
        return name
    try:
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.openai import OpenAIProvider
    except ImportError as error:
        raise EngineUnavailableError(f"the model engine needs pip install 'flowlytics[llm]': {error}") from None
    model_name = name.split(":", 1)[-1]
    return OpenAIChatModel(model_name, provider=OpenAIProvider(base_url=base_url, api_key=api_key or "unused"))


def rewrite(text: str, catalog: Catalog, model: Any) -> RewriteOutcome:
    try:
        from pydantic_ai import Agent, ModelRetry
        from pydantic_ai.exceptions import ModelAPIError, UnexpectedModelBehavior, UserError
    except ImportError as error:
        raise EngineUnavailableError(f"the model engine needs pip install 'flowlytics[llm]': {error}") from None

    answers: list[Rewrite] = []
    agent: Agent[None, Rewrite] = Agent(
        output_type=Rewrite, instructions=INSTRUCTIONS + "\n" + catalog_prompt(catalog), retries=MAX_RETRIES
    )

    @agent.output_validator
    def readable(answer: Rewrite) -> Rewrite:
        answers.append(answer)
        syntax = [issue for issue in parse(answer.controlled_text, catalog).issues if issue.code == "WF000"]
        if syntax:
            issue = syntax[0]
            raise ModelRetry(
                f"line {issue.line}, column {issue.column}: {issue.message}. Answer with controlled English only."
            )
        return answer

    try:
        result = agent.run_sync(text, model=model)
    except (ImportError, UserError) as error:
        raise EngineUnavailableError(f"the configured model cannot be used: {error}") from None
    except ModelAPIError as error:
        raise EngineUnavailableError(f"the model endpoint failed: {error}") from None
    except UnexpectedModelBehavior:
        last = answers[-1] if answers else Rewrite(controlled_text="")
        issues = parse(last.controlled_text, catalog).issues
        return RewriteOutcome(False, last.controlled_text, last.questions, len(answers), None, issues)
    answer = result.output
    draft = make_draft(answer.controlled_text, catalog)
    return RewriteOutcome(True, answer.controlled_text, answer.questions, len(answers), draft, draft.issues)
