"""Mermaid flowchart text from the model. No written text ever becomes Mermaid syntax: node ids are
generated, every label is quoted, and every character outside a small safe set is an entity code."""

from __future__ import annotations

import re

from lineage_backend.workflows.model import Issue, Node, Workflow

SAFE = re.compile(r"[A-Za-z0-9 _.,:;!?'+=*@/\-]")
MAX_LABEL = 120


def escape(text: str) -> str:
    """Label text for inside "…": newlines become spaces; anything that could end the quote, open a tag,
    start a comment or a link (", <, >, &, #, %, |, `, brackets…) becomes `#<code>;`."""
    flat = " ".join(text.split())
    if len(flat) > MAX_LABEL:
        flat = flat[: MAX_LABEL - 1] + "…"
    return "".join(char if SAFE.fullmatch(char) else f"#{ord(char)};" for char in flat)


def _shape(node: Node) -> str:
    label = escape(node.label)
    if node.kind == "trigger":
        return f'{node.id}(["{label}"])'
    if node.kind == "decision":
        return f'{node.id}{{"{label}"}}'
    if node.kind == "end":
        return f'{node.id}(("{label}"))'
    if node.kind == "notify":
        return f'{node.id}[/"{label}"/]'
    if node.kind == "loop":
        return f'{node.id}[["{label}"]]'
    return f'{node.id}["{label}"]'


def to_mermaid(workflow: Workflow, issues: list[Issue] = ()) -> str:  # type: ignore[assignment]
    lines = ["flowchart TD"]
    for node in workflow.nodes:
        lines.append(f"  {_shape(node)}")
    for edge in workflow.edges:
        arrow = "-.->" if edge.undefined else "-->"
        if edge.label:
            lines.append(f'  {edge.source} {arrow}|"{escape(edge.label)}"| {edge.target}')
        else:
            lines.append(f"  {edge.source} {arrow} {edge.target}")
    # What is undefined is drawn: a decision without `otherwise` points at a ghost node.
    for statement in workflow.statements:
        if (
            statement.kind == "decision"
            and not statement.has_otherwise
            and statement.decision
            and not any(edge.source == statement.decision and edge.undefined for edge in workflow.edges)
        ):
            gap = f"{statement.decision}_gap"
            lines.append(f'  {gap}{{{{"{escape("not defined: what happens otherwise?")}"}}}}')
            lines.append(f'  {statement.decision} -.->|"otherwise"| {gap}')
            lines.append(f"  class {gap} issue")
    marked = sorted({issue.node for issue in issues if issue.node and issue.severity == "error"})
    known = {node.id for node in workflow.nodes}
    lines.append("  classDef issue stroke:#c00,stroke-width:3px,stroke-dasharray:4 2")
    for node_id in marked:
        if node_id in known:
            lines.append(f"  class {node_id} issue")
    return "\n".join(lines) + "\n"
