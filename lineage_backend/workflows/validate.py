"""Checks on a parsed workflow: each finding is an issue with a code, a severity and the line it is about.

| code  | finding |
|-------|---------|
| WF000 | the text cannot be read (syntax), with line and column |
| WF001 | no trigger, or more than one |
| WF002 | unknown event, with "did you mean" |
| WF003 | unknown operation, with "did you mean" |
| WF004 | a step that can never run |
| WF005 | a branch that never ends (it goes round forever) |
| WF006 | a decision without `otherwise`: nothing is said for when no condition holds |
| WF007 | conditions on one value that leave a gap (error) or overlap (warning) |
| WF008 | `a and b or c`: two readings |
| WF009 | a schedule that is not understood |
| WF010 | a cycle (`go to` back): an Airflow DAG cannot go back |
| WF014 | a step number used twice |
| WF017 | `go to step N` where there is no step N |
| WF018 | the diagram is too big to draw (over 500 edges) |
| WF020 | the same preposition twice in one step |
| WF021 | an operation with a dataset it cannot take (or without one it needs) |
| WF022 | a dataset that Flowlytics has not seen (warning) |
| WF023 | an operator inside `for each` |
| WF024 | a dataset name that several datasets share (never guessed) |
"""

from __future__ import annotations

from collections.abc import Iterable

from lineage_backend.workflows.catalog import Catalog
from lineage_backend.workflows.conditions import assignments, comparisons, holds
from lineage_backend.workflows.model import Issue, Node, Workflow
from lineage_backend.workflows.parse import condition_text

MAX_EDGES = 500


def validate(workflow: Workflow, catalog: Catalog) -> list[Issue]:
    issues: list[Issue] = []
    issues.extend(_trigger(workflow, catalog))
    issues.extend(_datasets(workflow, catalog))
    issues.extend(_decisions(workflow))
    issues.extend(_graph(workflow))
    if len(workflow.edges) > MAX_EDGES:
        issues.append(
            Issue(
                severity="warning",
                code="WF018",
                message=f"{len(workflow.edges)} arrows are more than the diagram draws ({MAX_EDGES}); "
                "split the workflow into several drafts",
                line=1,
                column=1,
            )
        )
    return issues


def _issue(severity: str, code: str, message: str, node: Node | None = None, line: int | None = None) -> Issue:
    return Issue(
        severity=severity,  # type: ignore[arg-type]
        code=code,
        message=message,
        line=node.line if node else line,
        column=node.column if node else (1 if line else None),
        node=node.id if node else None,
    )


def _trigger(workflow: Workflow, catalog: Catalog) -> Iterable[Issue]:
    trigger = workflow.trigger
    if trigger is None:
        yield _issue(
            "error",
            "WF001",
            "no trigger: start with 'When <event> …' (an Airflow asset or a dataset Flowlytics knows) "
            "or a schedule such as 'Every day at 06:00'",
            line=1,
        )
        return
    if trigger.kind == "event" and trigger.event_id is None:
        suggestions = catalog.event_suggestions(trigger.text)
        if len(catalog.event_matches(trigger.text)) > 1:
            message = (
                f"'{trigger.text}' names {len(catalog.event_matches(trigger.text))} events: "
                f"{', '.join(suggestions)}; write the one you mean in full, in double quotes"
            )
        else:
            hint = f"; did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
            message = (
                f"unknown event '{trigger.text}': neither an Airflow asset nor a dataset Flowlytics has seen{hint}"
            )
        yield Issue(
            severity="error",
            code="WF002",
            message=message,
            line=trigger.line,
            column=trigger.column,
            node=workflow.nodes[0].id if workflow.nodes else None,
        )


def _scheme(catalog: Catalog, dataset_id: str) -> str:
    event = catalog.events_by_id.get(dataset_id)
    if event is None:
        return ""
    where = event.namespace or event.uri or ""
    return where.split(":", 1)[0].lower() if ":" in where else ""


def _datasets(workflow: Workflow, catalog: Catalog) -> Iterable[Issue]:
    scheduled = workflow.trigger is not None and workflow.trigger.kind == "schedule"
    for node in workflow.nodes:
        operation = catalog.operations_by_id.get(node.operation or "")
        if node.kind not in {"task", "loop"}:
            continue
        refers_to_trigger = (node.dataset or "").lower() == "it" and not node.mapped
        if refers_to_trigger and scheduled:
            yield _issue(
                "error",
                "WF021",
                f"'{node.label}': 'it' means the dataset that triggered the workflow, but this one runs on a "
                "schedule; name the dataset instead",
                node,
            )
        elif (
            node.dataset and not refers_to_trigger and not node.mapped and len(catalog.event_matches(node.dataset)) > 1
        ):
            yield _issue(
                "error",
                "WF024",
                f"dataset '{node.dataset}' could be any of {', '.join(catalog.event_suggestions(node.dataset))}; "
                "write the one you mean in full, in double quotes",
                node,
            )
        elif node.dataset and not refers_to_trigger and not node.mapped and node.dataset_id is None:
            suggestions = catalog.event_suggestions(node.dataset)
            hint = f"; did you mean {' or '.join(repr(s) for s in suggestions)}?" if suggestions else ""
            yield _issue("warning", "WF022", f"dataset '{node.dataset}' is not one Flowlytics has seen{hint}", node)
        if operation is None:
            continue
        if node.mapped and operation.kind == "operator":
            yield _issue(
                "error",
                "WF023",
                f"'{operation.name}' is an operator and cannot run once per item inside 'for each'; "
                "run it before or after the loop",
                node,
            )
        if operation.dataset == "required" and not node.dataset:
            yield _issue(
                "error",
                "WF021",
                f"'{operation.name}' needs a dataset: say '{operation.name} on <dataset>' (or 'it')",
                node,
            )
        elif operation.dataset == "none" and node.dataset_id is not None:
            yield _issue(
                "error",
                "WF021",
                f"'{operation.name}' takes no dataset, but '{node.dataset}' is one; remove it or use another operation",
                node,
            )
        elif operation.dataset_namespaces and node.dataset_id is not None:
            scheme = _scheme(catalog, node.dataset_id)
            if scheme and scheme not in operation.dataset_namespaces:
                accepted = ", ".join(operation.dataset_namespaces[:6])
                yield _issue(
                    "error",
                    "WF021",
                    f"'{operation.name}' cannot take '{node.dataset}': it is a {scheme} dataset, and "
                    f"'{operation.name}' takes {accepted}…",
                    node,
                )
        for parameter in operation.parameters:
            if parameter.required and parameter.name not in node.params:
                yield _issue(
                    "error",
                    "WF021",
                    f"'{operation.name}' needs '{parameter.name} <{parameter.description or 'value'}>'",
                    node,
                )


def _decisions(workflow: Workflow) -> Iterable[Issue]:
    for statement in workflow.statements:
        if statement.kind != "decision" or statement.decision is None:
            continue
        node = workflow.node(statement.decision)
        conditions = [branch.condition for branch in statement.branches if branch.condition is not None]
        points = list(assignments(conditions))
        fields = {comparison.field for condition in conditions for comparison in comparisons(condition)}
        numeric = all(
            not isinstance(comparison.value, str) for condition in conditions for comparison in comparisons(condition)
        )
        for point in points:
            matching = [condition for condition in conditions if holds(condition, point)]
            if len(matching) > 1:
                texts = " and ".join(f"'{condition_text(condition)}'" for condition in matching[:2])
                yield _issue(
                    "warning",
                    "WF007",
                    f"the conditions overlap: {_show(point)} makes both {texts} true; only the first is followed",
                    node,
                )
                break
        if statement.has_otherwise:
            continue
        gap = next((point for point in points if not any(holds(c, point) for c in conditions)), None)
        if gap is None and points:
            continue  # the conditions cover every case
        if len(conditions) > 1 and len(fields) == 1 and numeric and gap is not None:
            field = next(iter(fields))
            yield _issue(
                "error",
                "WF007",
                f"the conditions on {field} leave a gap: nothing is said for {_show(gap)}; "
                "add 'otherwise …' or close the gap",
                node,
            )
        else:
            yield _issue(
                "error",
                "WF006",
                f"undefined condition: nothing is said for when '{statement.branches[0].text}' is not true; "
                "add 'otherwise …' (or 'otherwise continue')",
                node,
            )


def _show(point: dict[str, float | int | str]) -> str:
    return ", ".join(f"{field} = {value}" for field, value in point.items())


def _graph(workflow: Workflow) -> Iterable[Issue]:
    outgoing: dict[str, list[str]] = {node.id: [] for node in workflow.nodes}
    incoming: dict[str, list[str]] = {node.id: [] for node in workflow.nodes}
    for edge in workflow.edges:
        outgoing[edge.source].append(edge.target)
        incoming[edge.target].append(edge.source)
    starts = [node.id for node in workflow.nodes if node.kind == "trigger"][:1]
    reachable = _reach(starts, outgoing)
    if starts:
        for node in workflow.nodes:
            if node.kind != "trigger" and node.id not in reachable and not incoming[node.id]:
                yield _issue(
                    "error",
                    "WF004",
                    f"'{node.label}' can never run: nothing leads to it (it comes after 'stop', 'notify' or "
                    "'go to', or after a decision whose branches all end)",
                    node,
                )
    cycles = _cycles(workflow.nodes, outgoing)
    for cycle in cycles:
        first = workflow.node(cycle[0])
        path = " → ".join(f"'{workflow.node(node_id).label}'" for node_id in [*cycle, cycle[0]])
        yield _issue(
            "error",
            "WF010",
            f"these steps go round in a loop: {path}; an Airflow DAG cannot go back. Use retries, 'for each', "
            "or let the last step update an asset that triggers the workflow again",
            first,
        )
    sinks = {node_id for node_id, targets in outgoing.items() if not targets}
    can_end = _reach(sorted(sinks), incoming)
    stuck = next((n for n in workflow.nodes if n.id in reachable and n.id not in can_end and n.kind != "trigger"), None)
    if stuck is not None:
        yield _issue(
            "error",
            "WF005",
            f"the branch through '{stuck.label}' never ends: every way on from it comes back; add 'stop' or "
            "let one branch go on",
            stuck,
        )


def _reach(starts: list[str], adjacency: dict[str, list[str]]) -> set[str]:
    seen = set(starts)
    stack = list(starts)
    while stack:
        for target in adjacency[stack.pop()]:
            if target not in seen:
                seen.add(target)
                stack.append(target)
    return seen


def _cycles(nodes: list[Node], outgoing: dict[str, list[str]]) -> list[list[str]]:
    """One cycle per strongly connected component with more than one node (or a self loop), Tarjan."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:
        nonlocal counter
        work = [(start, iter(outgoing[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, targets = work[-1]
            advanced = False
            for target in targets:
                if target not in index:
                    index[target] = low[target] = counter
                    counter += 1
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(outgoing[target])))
                    advanced = True
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in outgoing[node]:
                    components.append(component)

    for node in nodes:
        if node.id not in index:
            visit(node.id)
    order = {node.id: position for position, node in enumerate(nodes)}
    return [sorted(component, key=order.__getitem__) for component in components]
