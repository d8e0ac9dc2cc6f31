"""Sample events, one per path: values on and around every threshold the conditions name, each run through
the model to see which tasks it reaches; every distinct set of tasks is a path, and its first event is kept."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from lineage_backend.workflows.conditions import Values, assignments, holds
from lineage_backend.workflows.dag_code import join_nodes, task_nodes
from lineage_backend.workflows.model import Edge, Workflow

SAMPLE_ITEMS = ["item-1", "item-2"]


class SampleEvent(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    name: str
    event: dict[str, object]
    expected_tasks: list[str]  # task ids that run, in model order
    skipped_tasks: list[str]
    choices: list[str]  # the branch taken at each decision, as written


def chosen_edge(workflow: Workflow, decision: str, values: Values) -> Edge | None:
    edges = [edge for edge in workflow.edges if edge.source == decision]
    for edge in edges:
        if edge.condition is not None and holds(edge.condition, values):
            return edge
    return next((edge for edge in edges if edge.condition is None), None)


def simulate(workflow: Workflow, values: Values) -> tuple[set[str], list[str]]:
    """Node ids that run for these values (the model is acyclic here), and the choices made."""
    joins = join_nodes(workflow)
    ran: set[str] = set()
    choices: list[str] = []
    active: set[tuple[str, str]] = set()
    for node in workflow.nodes:  # nodes are created in an order where upstream comes first
        incoming = [edge for edge in workflow.edges if edge.target == node.id]
        if node.kind == "trigger":
            runs = True
        elif not incoming:
            runs = False
        elif node.id in joins:
            runs = any((edge.source, edge.target) in active for edge in incoming)
        else:
            runs = all((edge.source, edge.target) in active for edge in incoming)
        if not runs:
            continue
        ran.add(node.id)
        outgoing = [edge for edge in workflow.edges if edge.source == node.id]
        if node.kind == "decision":
            chosen = chosen_edge(workflow, node.id, values)
            if chosen is not None:
                active.add((chosen.source, chosen.target))
                choices.append(chosen.label or "otherwise")
        else:
            active.update((edge.source, edge.target) for edge in outgoing)
    return ran, choices


def sample_events(workflow: Workflow) -> list[SampleEvent]:
    conditions = [edge.condition for edge in workflow.edges if edge.condition is not None]
    collections = {node.dataset: SAMPLE_ITEMS for node in workflow.nodes if node.kind == "loop" and node.dataset}
    tasks = task_nodes(workflow)
    seen: dict[frozenset[str], SampleEvent] = {}
    for values in assignments(conditions) if conditions else iter([{}]):
        ran, choices = simulate(workflow, values)
        key = frozenset(ran)
        if key in seen:
            continue
        event: dict[str, object] = dict(values)
        for collection, items in collections.items():
            event[_key(collection)] = list(items)
        seen[key] = SampleEvent(
            name=f"path {len(seen) + 1}: " + (" → ".join(choices) if choices else "straight through"),
            event=event,
            expected_tasks=[node.task_id for node in tasks if node.id in ran],
            skipped_tasks=[node.task_id for node in tasks if node.id not in ran],
            choices=choices,
        )
    return list(seen.values())


def _key(collection: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "_", collection.lower()).strip("_")
