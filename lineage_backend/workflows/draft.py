"""One draft: text → model → issues → paraphrase, Mermaid, sample events and (when there is no error) DAG code."""

from __future__ import annotations

from dataclasses import dataclass, field

from lineage_backend.workflows.catalog import Catalog
from lineage_backend.workflows.dag_code import DagCodeError, generate
from lineage_backend.workflows.mermaid import to_mermaid
from lineage_backend.workflows.model import Issue, Workflow
from lineage_backend.workflows.paraphrase import paraphrase
from lineage_backend.workflows.parse import parse
from lineage_backend.workflows.paths import SampleEvent, sample_events
from lineage_backend.workflows.validate import validate

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass
class Draft:
    text: str
    workflow: Workflow | None
    issues: list[Issue]
    paraphrase: str = ""
    mermaid: str = ""
    dag_code: str | None = None
    test_events: list[SampleEvent] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(issue.severity == "error" for issue in self.issues)


def make_draft(text: str, catalog: Catalog, *, dag_id: str | None = None) -> Draft:
    result = parse(text, catalog)
    issues = list(result.issues)
    workflow = result.workflow
    if workflow is None:
        return Draft(text=text, workflow=None, issues=issues)
    issues.extend(validate(workflow, catalog))
    issues = _unique(sorted(issues, key=lambda issue: (*issue.sort_key(), SEVERITY_ORDER[issue.severity])))
    draft = Draft(
        text=text,
        workflow=workflow,
        issues=issues,
        paraphrase=paraphrase(workflow),
        mermaid=to_mermaid(workflow, issues),
    )
    if not draft.has_errors:
        try:
            draft.dag_code = generate(workflow, catalog, source=text, mermaid=draft.mermaid, dag_id=dag_id)
        except DagCodeError as error:  # a catalog entry the checks let through but the code cannot use
            draft.issues.append(Issue(severity="error", code="WF099", message=f"no DAG: {error}", line=1, column=1))
            return draft
        draft.test_events = sample_events(workflow)
    return draft


def _unique(issues: list[Issue]) -> list[Issue]:
    seen = set()
    out = []
    for issue in issues:
        key = (issue.code, issue.message, issue.line, issue.column)
        if key not in seen:
            seen.add(key)
            out.append(issue)
    return out
