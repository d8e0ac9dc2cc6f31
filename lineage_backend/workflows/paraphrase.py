"""The model said back in controlled English: numbered, editable, and parsed again to the same model."""

from __future__ import annotations

from lineage_backend.workflows.model import ActionRef, Node, Statement, Workflow
from lineage_backend.workflows.parse import condition_text, say


def paraphrase(workflow: Workflow) -> str:
    lines = []
    for statement in workflow.statements:
        lines.append(f"{statement.number}. {_statement(workflow, statement)}")
    return "\n".join(lines) + ("\n" if lines else "")


def _statement(workflow: Workflow, statement: Statement) -> str:
    if statement.kind == "trigger":
        trigger = statement.trigger
        if trigger is None:
            return "When nothing is updated."
        if trigger.kind == "event":
            return f"When {say(trigger.text)} is updated."
        return f"{trigger.text[0].upper()}{trigger.text[1:]}."
    if statement.kind == "sequence":
        return "Then " + _actions(workflow, statement.actions) + "."
    if statement.kind == "decision":
        parts = []
        for index, branch in enumerate(statement.branches):
            actions = _actions(workflow, branch.actions)
            if branch.condition is None:
                parts.append(f"otherwise {actions}")
            elif index == 0:
                parts.append(f"If {condition_text(branch.condition)} then {actions}")
            else:
                parts.append(f"otherwise if {condition_text(branch.condition)} then {actions}")
        return ", ".join(parts) + "."
    if statement.kind == "loop":
        body = _actions(workflow, statement.actions)
        return f"For each {say(statement.item)} in {say(statement.collection)} then {body}."
    return "At the same time " + " and ".join(_action(workflow, ref) for ref in statement.actions) + "."


def _actions(workflow: Workflow, refs: list[ActionRef]) -> str:
    return " and then ".join(_action(workflow, ref) for ref in refs) or "continue"


def _action(workflow: Workflow, ref: ActionRef) -> str:
    if ref.kind == "continue":
        return "continue"
    if ref.kind == "goto":
        return f"go to step {ref.target_step}"
    node = workflow.node(ref.node or "")
    if ref.kind == "stop":
        return "stop"
    if ref.kind == "notify":
        return f"notify {say(node.owner or '')}"
    return _operation(node)


def _operation(node: Node) -> str:
    parts = [say(node.operation_text)]
    if node.dataset:
        parts.append("it" if node.dataset.lower() == "it" else f"on {say(node.dataset)}")
    parts.extend(f"{prep} {say(text)}" for prep, text in node.params.items())
    return " ".join(parts)
