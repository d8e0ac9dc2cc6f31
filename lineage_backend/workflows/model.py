"""The typed workflow model: what a draft means, independent of how it was written.

Statements keep the structure the person wrote (for the paraphrase); nodes and edges are the graph that
validation, Mermaid and the DAG code work on. Positions (line, column) are where the text said it; they are
left out when two models are compared (`structure()`), so a paraphrase parsed again gives the same model.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

Severity = Literal["error", "warning", "info"]
ComparisonOp = Literal["==", "!=", ">", "<", ">=", "<="]
NodeKind = Literal["trigger", "task", "decision", "loop", "notify", "end"]


class _Model(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=False)


class Position(_Model):
    line: int
    column: int


# Conditions: a small typed expression tree; compiled to Python by the DAG generator, never eval()'d.


class Comparison(_Model):
    type: Literal["compare"] = "compare"
    field: str  # snake_case name of the value, e.g. invalid_rows_percent
    op: ComparisonOp
    value: float | int | str
    # How it was phrased: "measure" = "<field> is more than N", "share" = "more than N % of <subject> are <state>".
    form: Literal["equals", "measure", "share"] = "measure"
    subject: str = ""
    state: str = ""
    percent: bool = False


class BoolOp(_Model):
    type: Literal["and", "or"]
    args: list[Condition]


class Not(_Model):
    type: Literal["not"] = "not"
    arg: Condition


Condition = Annotated[Comparison | BoolOp | Not, Field(discriminator="type")]
BoolOp.model_rebuild()
Not.model_rebuild()


class Trigger(_Model):
    kind: Literal["event", "schedule"]
    text: str  # the event phrase or the schedule as understood ("order file", "every day at 06:00")
    event_id: str | None = None  # catalog id when the event is known
    cron: str | None = None
    line: int = 1
    column: int = 1


class Node(_Model):
    id: str  # generated: n1, n2, … never derived from what was written
    task_id: str  # the Airflow task id of this node in the DAG draft
    kind: NodeKind
    label: str
    operation: str | None = None  # catalog operation id, None when unknown
    operation_text: str = ""  # the words that named the operation
    dataset: str | None = None  # the dataset phrase ("it" = the triggering dataset)
    dataset_id: str | None = None  # resolved catalog dataset id
    params: dict[str, str] = Field(default_factory=dict)
    owner: str | None = None  # notify
    mapped: bool = False  # runs once per item of the enclosing `for each`
    line: int = 1
    column: int = 1


class Edge(_Model):
    source: str
    target: str
    label: str = ""
    condition: Condition | None = None
    otherwise: bool = False
    undefined: bool = False  # the missing `otherwise` of a decision: taken when no condition holds


# Statements: the structure as written, pointing at node ids.


class ActionRef(_Model):
    kind: Literal["operation", "notify", "stop", "goto", "continue"]
    node: str | None = None  # the node it created (None for goto / continue)
    target_step: int | None = None  # goto


class Branch(_Model):
    condition: Condition | None  # None = otherwise
    text: str
    actions: list[ActionRef]


class Statement(_Model):
    kind: Literal["trigger", "sequence", "decision", "loop", "parallel"]
    number: int  # the step number in the paraphrase
    line: int
    column: int
    actions: list[ActionRef] = Field(default_factory=list)
    branches: list[Branch] = Field(default_factory=list)
    has_otherwise: bool = False
    decision: str | None = None  # node id of a decision
    loop: str | None = None  # node id of a loop
    item: str = ""
    collection: str = ""
    trigger: Trigger | None = None


class Workflow(_Model):
    trigger: Trigger | None = None
    statements: list[Statement] = Field(default_factory=list)
    nodes: list[Node] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)

    def node(self, node_id: str) -> Node:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def structure(self) -> dict[str, Any]:
        """The model without positions: what must survive a round trip through the paraphrase."""
        drop = {"line", "column"}
        data = self.model_dump(mode="json", by_alias=True)
        return _strip(data, drop)


def _strip(value: Any, drop: set[str]) -> Any:
    if isinstance(value, dict):
        return {key: _strip(item, drop) for key, item in value.items() if key not in drop}
    if isinstance(value, list):
        return [_strip(item, drop) for item in value]
    return value


class Issue(_Model):
    severity: Severity
    code: str
    message: str
    line: int | None = None
    column: int | None = None
    node: str | None = None  # node id, so that the diagram can mark it

    def sort_key(self) -> tuple[int, int, str]:
        return (self.line or 0, self.column or 0, self.code)
