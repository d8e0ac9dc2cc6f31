"""Mermaid text from the model: generated ids, quoted and entity-escaped labels, rhombi with labelled edges."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from lineage_backend.workflows.draft import make_draft
from lineage_backend.workflows.mermaid import MAX_LABEL, escape, to_mermaid
from lineage_backend.workflows.model import Edge, Node, Workflow
from tests.lineage_backend.workflows.helpers import corpus_catalog

CATALOG = corpus_catalog()
LABEL = r"(?:[A-Za-z0-9 _.,:;!?'+=*@/\-]|\#\d+;)*"
LINE = re.compile(
    rf"""^(?:flowchart\ TD
    |\ \ n\d+(?:\(\["{LABEL}"\]\)|\["{LABEL}"\]|\{{"{LABEL}"\}}|\(\("{LABEL}"\)\)|\[/"{LABEL}"/\]|\[\["{LABEL}"\]\])
    |\ \ n\d+_gap\{{\{{"{LABEL}"\}}\}}
    |\ \ n\d+\ (?:-->|-\.->)(?:\|"{LABEL}"\|)?\ n\d+(?:_gap)?
    |\ \ class\ n\d+(?:_gap)?\ issue
    |\ \ classDef\ issue\ stroke:\#c00,stroke-width:3px,stroke-dasharray:4\ 2)$""",
    re.VERBOSE,
)
EVIL = [
    '"]; click n1 "javascript:alert(1)"',
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "a --> b",
    "end",
    "x]) ; n9[(evil",
    "%%{init: {'securityLevel': 'loose'}}%%",
    "|edge| label",
    "`**markdown**`",
    "#quot; &amp; &lt;",
    "{curly} (round) [square]",
    "line\nbreak",
]


def unescape(text: str) -> str:
    return re.sub(r"#(\d+);", lambda match: chr(int(match.group(1))), text)


def workflow_with(label: str) -> Workflow:
    return Workflow(
        nodes=[
            Node(id="n1", task_id="t_1", kind="trigger", label="When x is updated"),
            Node(id="n2", task_id="t_2", kind="task", label=label),
            Node(id="n3", task_id="t_3", kind="decision", label=label),
            Node(id="n4", task_id="t_4", kind="notify", label=label),
            Node(id="n5", task_id="t_5", kind="end", label=label),
            Node(id="n6", task_id="t_6", kind="loop", label=label),
        ],
        edges=[
            Edge(source="n1", target="n2"),
            Edge(source="n2", target="n3"),
            Edge(source="n3", target="n4", label=label),
            Edge(source="n3", target="n5", label="otherwise", otherwise=True),
            Edge(source="n4", target="n6", label=label, undefined=True),
        ],
    )


def assert_safe(text: str) -> None:
    for line in text.splitlines():
        assert LINE.match(line), line


def test_every_evil_label_stays_a_label() -> None:
    for label in EVIL:
        text = to_mermaid(workflow_with(label))
        assert_safe(text)
        assert "<" not in text and ">" not in text.replace("-->", "").replace("-.->", "")
        labels = re.findall(r'"([^"]*)"', text)
        assert " ".join(label.split()) in {unescape(found) for found in labels}


@given(st.text(min_size=1, max_size=200))
def test_any_text_is_escaped_losslessly(label: str) -> None:
    text = to_mermaid(workflow_with(label))
    assert_safe(text)
    flat = " ".join(label.split())
    shown = unescape(escape(label))
    assert shown == flat if len(flat) <= MAX_LABEL else shown == flat[: MAX_LABEL - 1] + "…"


def test_decisions_are_rhombi_with_labelled_edges_and_ids_are_generated() -> None:
    draft = make_draft(
        "When order file lands, check it, if more than 1 % rows are invalid notify data-ops otherwise load it "
        "into the warehouse",
        CATALOG,
    )
    lines = draft.mermaid.splitlines()
    assert lines[0] == "flowchart TD"
    assert '  n3{"more than 1 #37; of rows are invalid?"}' in lines
    assert '  n3 -->|"more than 1 #37; of rows are invalid"| n4' in lines
    assert '  n3 -->|"otherwise"| n5' in lines
    assert '  n1(["When order file is updated"])' in lines
    assert '  n4[/"notify data-ops"/]' in lines
    assert_safe(draft.mermaid)


def test_step_names_from_the_text_cannot_inject() -> None:
    text = 'When order file lands, then "<script>alert(1)</script> --> x" it, then "a]; click n1 call evil()" it'
    draft = make_draft(text, CATALOG)
    assert draft.workflow is not None
    assert_safe(draft.mermaid)
    assert "<script>" not in draft.mermaid and "click" not in draft.mermaid.replace("click n1 call", "")
    # The unknown operations are marked as issues on their nodes.
    assert "  class n2 issue" in draft.mermaid.splitlines()


def test_an_undefined_otherwise_is_drawn() -> None:
    end_of_text = make_draft("When order file lands, if status is bad then stop", CATALOG)
    assert '  n2_gap{{"not defined: what happens otherwise?"}}' in end_of_text.mermaid.splitlines()
    assert "  class n2_gap issue" in end_of_text.mermaid.splitlines()
    with_next = make_draft("When order file lands, if status is bad then stop. Load it into warehouse", CATALOG)
    assert '  n2 -.->|"not defined"| n4' in with_next.mermaid.splitlines()
    assert "  class n2 issue" in with_next.mermaid.splitlines()
