"""Controlled English → the typed workflow model, with a lark grammar (grammar.lark).

Syntax errors become one issue with line and column; everything the grammar accepts is built into a model,
and what the words mean (events, operations, datasets) is looked up in the catalog without guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from lineage_backend.workflows.catalog import ARTICLES, Catalog, CatalogOperation, snake
from lineage_backend.workflows.model import (
    ActionRef,
    BoolOp,
    Branch,
    Comparison,
    ComparisonOp,
    Condition,
    Edge,
    Issue,
    Node,
    Not,
    Statement,
    Trigger,
    Workflow,
)

MAX_TEXT_CHARS = 20_000
# "1." / "2)" / "Step 3:" at the start of a line: the step's number, used by "go to step N".
LABEL = re.compile(r"^(\s*)(?:step\s+)?(\d+)[.):](?=\s)", re.IGNORECASE)
EVENT_VERBS = {"lands", "land", "arrives", "arrive", "is", "are", "changes", "updates", "appears", "comes", "gets"}
EVENT_MARKERS = {"asset", "dataset", "event"}
WORD = re.compile(r"[^\W\d](?:[\w'\-/@]|[.:](?=\w))*")
KEYWORDS = {
    "when", "then", "if", "otherwise", "else", "and", "or", "not", "every", "notify", "stop", "continue",
    "is", "are", "equals", "on", "into", "from", "to", "in", "of", "percent", "above", "below",
}  # fmt: skip
KEYWORD_GROUPS = re.compile(
    r"\b(for\s+each|go\s+to|at\s+the\s+same\s+time|in\s+parallel|at\s+(least|most)|"
    r"(more|greater|higher|less|fewer|lower)\s+than)\b",
    re.IGNORECASE,
)
TERMINALS = {
    "WHEN": "'when'", "THEN": "'then'", "IF": "'if'", "OTHERWISE": "'otherwise'", "ELSE_IF": "'otherwise if'",
    "AND": "'and'", "OR": "'or'", "NOT": "'not'", "EVERY": "'every'", "NOTIFY": "'notify'", "STOP": "'stop'",
    "CONTINUE": "'continue'", "GOTO": "'go to step'", "FOR_EACH": "'for each'", "PARALLEL": "'at the same time'",
    "IS": "'is'", "IS_NOT": "'is not'", "COMP": "a comparison ('more than', 'at least', '>')",
    "PREP": "'on'/'into'/'from'/'to'/'in'/'of'", "PERCENT": "'%'", "TIME": "a time (06:00)", "NUMBER": "a number",
    "QUOTED": 'a "quoted name"', "WORD": "a word", "_SEP": "a new line or ',' / '.'", "$END": "the end of the text",
    "LPAR": "'('", "RPAR": "')'",
}  # fmt: skip
COMPARATORS: list[tuple[re.Pattern[str], ComparisonOp]] = [
    (re.compile(r"(more|greater|higher)\s+than|above|^>$", re.I), ">"),
    (re.compile(r"(less|fewer|lower)\s+than|below|^<$", re.I), "<"),
    (re.compile(r"at\s+least|^>=$", re.I), ">="),
    (re.compile(r"at\s+most|^<=$", re.I), "<="),
]
OP_WORDS = {">": "more than", "<": "less than", ">=": "at least", "<=": "at most"}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]


@lru_cache(maxsize=1)
def parser() -> Lark:
    grammar = (Path(__file__).with_name("grammar.lark")).read_text()
    # The basic lexer keeps keywords reserved everywhere ("if" is never a name because a name was expected).
    return Lark(grammar, parser="lalr", lexer="basic", propagate_positions=True, maybe_placeholders=False)


@dataclass
class ParseResult:
    workflow: Workflow | None
    issues: list[Issue]


def strip_labels(text: str) -> tuple[str, dict[int, int]]:
    """Blank out step numbers (keeping columns) and return {line: number}."""
    labels: dict[int, int] = {}
    lines = []
    for number, line in enumerate(text.split("\n"), start=1):
        match = LABEL.match(line)
        if match:
            labels[number] = int(match.group(2))
            line = " " * match.end() + line[match.end() :]
        lines.append(line)
    return "\n".join(lines), labels


def syntax_issue(error: UnexpectedInput, text: str) -> Issue:
    line, column = getattr(error, "line", 1) or 1, getattr(error, "column", 1) or 1
    if isinstance(error, UnexpectedToken):
        if error.token.type == "$END":
            found = "the text ends"
            line, column = _end_position(text)
        else:
            word = str(error.token).strip(" ,;.:\n")
            found = f"'{word}' cannot come here"
            line, column = _word_position(error.token, text)
        expected = sorted({TERMINALS.get(name, name.lower()) for name in error.expected})
        hint = _hint(error)
        message = f"{found}; expected {', '.join(expected[:8])}{hint}"
    elif isinstance(error, UnexpectedCharacters):
        # lark counts lines by "\n" only, str.splitlines() also by other separators: take the character itself.
        position = error.pos_in_stream if error.pos_in_stream is not None else -1
        char = getattr(error, "char", "") or (text[position] if 0 <= position < len(text) else "")
        message = f"{char!r} is not part of the controlled English; "
        message += 'put names with unusual characters in double quotes, e.g. "s3://bucket/orders.csv"'
    elif isinstance(error, UnexpectedEOF):
        line, column = _end_position(text)
        message = "the text ends too early; finish the sentence"
    else:  # pragma: no cover - lark's other errors
        message = str(error)
    return Issue(severity="error", code="WF000", message=f"Cannot read this: {message}", line=line, column=column)


def _word_position(token: Token, text: str) -> tuple[int, int]:
    """Where the token's first word is: 'otherwise' tokens carry the separators before them."""
    value = str(token)
    skip = len(value) - len(value.lstrip(" \t\r\n,;.:"))
    offset = (token.start_pos or 0) + skip
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _hint(error: UnexpectedToken) -> str:
    expected = set(error.expected)
    if error.token.type in {"IS", "IS_NOT", "COMP", "AND", "OR"} and "THEN" in expected:
        return ". A condition ends with 'then' or ','"
    if error.token.type == "OTHERWISE":
        return ". 'otherwise' belongs after 'if …'; start the sentence with 'if'"
    if error.token.type in {"IS", "COMP", "IS_NOT"}:
        return ". Conditions go after 'if'; an operation is a verb phrase such as 'load it into warehouse'"
    if "THEN" in expected and "_SEP" in expected and error.token.type in {"WORD", "QUOTED"}:
        return ". Say 'then' (or put a ',') between the condition and what to do"
    return ""


def _end_position(text: str) -> tuple[int, int]:
    lines = text.rstrip().split("\n") or [""]
    return len(lines), len(lines[-1]) + 1


def _words(tree: Tree[Token] | Token) -> list[str]:
    if isinstance(tree, Token):
        return [_token_text(tree)]
    out: list[str] = []
    for child in tree.children:
        out.extend(_words(child))
    return out


def _token_text(token: Token) -> str:
    text = str(token)
    return text[1:-1].strip() if token.type == "QUOTED" else text


def _phrase_text(tree: Tree[Token] | Token) -> str:
    """The phrase without articles ("the warehouse" → "warehouse"), unless it is nothing but one ("a")."""
    words = _words(tree)
    return " ".join(word for word in words if word.lower() not in ARTICLES) or " ".join(words)


def needs_quotes(text: str) -> bool:
    parts = text.split()
    if not parts or KEYWORD_GROUPS.search(text):
        return True
    for index, part in enumerate(parts):
        if part.lower() in KEYWORDS:
            return True
        if WORD.fullmatch(part):
            continue
        if index > 0 and re.fullmatch(r"\d+(\.\d+)?|\d{1,2}:\d{2}", part):
            continue
        return True
    return False


def say(text: str) -> str:
    """A phrase written back so that the grammar reads it as one phrase again."""
    cleaned = text.replace('"', "'").strip()
    return f'"{cleaned}"' if needs_quotes(cleaned) else cleaned


@dataclass
class _Exit:
    source: str
    label: str = ""
    condition: Condition | None = None
    otherwise: bool = False
    undefined: bool = False


@dataclass
class _Builder:
    catalog: Catalog
    labels: dict[int, int]
    issues: list[Issue] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    trigger: Trigger | None = None
    gotos: list[tuple[_Exit, int, Token, ActionRef]] = field(default_factory=list)
    step_nodes: dict[int, str] = field(default_factory=dict)  # statement number → its first node
    label_to_number: dict[int, int] = field(default_factory=dict)
    loop_item: str | None = None

    def issue(self, severity: str, code: str, message: str, where: Any, node: str | None = None) -> None:
        line, column = _position(where)
        self.issues.append(
            Issue(severity=severity, code=code, message=message, line=line, column=column, node=node)  # type: ignore[arg-type]
        )

    def add_node(self, kind: str, label: str, where: Any, **values: Any) -> Node:
        number = len(self.nodes) + 1
        node_id = f"n{number}"
        task_id = f"{snake(label, 'step')[:32].strip('_')}_{number}"
        line, column = _position(where)
        node = Node(id=node_id, task_id=task_id, kind=kind, label=label, line=line, column=column, **values)  # type: ignore[arg-type]
        self.nodes.append(node)
        return node

    def connect(self, exits: list[_Exit], target: str) -> None:
        for exit_ in exits:
            edge = Edge(
                source=exit_.source,
                target=target,
                label=exit_.label,
                condition=exit_.condition,
                otherwise=exit_.otherwise,
                undefined=exit_.undefined,
            )
            if not any(e.source == edge.source and e.target == edge.target for e in self.edges):
                self.edges.append(edge)

    # statements

    def build(self, tree: Tree[Token]) -> Workflow:
        statements = [child for child in tree.children if isinstance(child, Tree)]
        for number, statement in enumerate(statements, start=1):
            line, _ = _position(statement)
            if line in self.labels:
                if self.labels[line] in self.label_to_number:
                    self.issue("error", "WF014", f"step number {self.labels[line]} is used twice", statement)
                self.label_to_number.setdefault(self.labels[line], number)
        exits: list[_Exit] = []
        for number, statement in enumerate(statements, start=1):
            exits = self.statement(statement, number, exits)
        for exit_, target, token, ref in self.gotos:
            step = self.label_to_number.get(target) if self.labels else target
            if step is None or step not in self.step_nodes:
                self.issue("error", "WF017", f"'go to step {target}': there is no step {target}", token, exit_.source)
                ref.target_step = target
                continue
            ref.target_step = step
            self.connect([exit_], self.step_nodes[step])
        return Workflow(trigger=self.trigger, statements=self.statements, nodes=self.nodes, edges=self.edges)

    def statement(self, tree: Tree[Token], number: int, exits: list[_Exit]) -> list[_Exit]:
        line, column = _position(tree)
        first_node = len(self.nodes)
        kind = tree.data
        if kind in {"trigger", "schedule"}:
            result = self.trigger_statement(tree, number)
        elif kind in {"sequence", "then_sequence"}:
            actions = [child for child in tree.children if isinstance(child, Tree)]
            refs, result = self.actions(actions, exits)
            self.statements.append(Statement(kind="sequence", number=number, line=line, column=column, actions=refs))
        elif kind == "decision":
            result = self.decision(tree, number, exits)
        elif kind == "loop":
            result = self.loop(tree, number, exits)
        else:
            result = self.parallel(tree, number, exits)
        if len(self.nodes) > first_node:
            self.step_nodes[number] = self.nodes[first_node].id
        return result

    def trigger_statement(self, tree: Tree[Token], number: int) -> list[_Exit]:
        line, column = _position(tree)
        if self.trigger is not None:
            self.issue(
                "error",
                "WF001",
                f"a second trigger; a workflow starts in one way only (the first is on line {self.trigger.line})",
                tree,
            )
        if tree.data == "trigger":
            text = event_text([t for t in tree.children[1:] if isinstance(t, Token)]).lower()
            event = self.catalog.find_event(text)
            trigger = Trigger(kind="event", text=text, event_id=event.id if event else None, line=line, column=column)
            label = f"When {text} is updated"
        else:
            words = [str(token) for token in tree.children[1:] if isinstance(token, Token)]
            if len(tree.children) > 1 and isinstance(tree.children[-1], Tree):
                words = [*words[: len(tree.children) - 2], *_words(tree.children[-1])]
            canonical, cron = parse_schedule(words)
            if cron is None:
                self.issue(
                    "error",
                    "WF009",
                    f"schedule 'every {' '.join(words)}' is not understood; say e.g. 'every day at 06:00', "
                    "'every monday at 07:30', 'every weekday at 08:00', 'every hour', 'every 15 minutes'",
                    tree,
                )
            trigger = Trigger(kind="schedule", text=canonical, cron=cron, line=line, column=column)
            label = canonical[0].upper() + canonical[1:]
        node = self.add_node("trigger", label, tree)
        if self.trigger is None:
            self.trigger = trigger
        self.statements.append(
            Statement(
                kind="trigger",
                number=number,
                line=line,
                column=column,
                actions=[ActionRef(kind="operation", node=node.id)],
                trigger=trigger,
            )
        )
        return [_Exit(node.id)]

    def actions(
        self, actions: list[Tree[Token]], exits: list[_Exit], mapped: bool = False
    ) -> tuple[list[ActionRef], list[_Exit]]:
        refs = []
        for action in actions:
            ref, exits = self.action(action, exits, mapped)
            refs.append(ref)
        return refs, exits

    def action(self, tree: Tree[Token], exits: list[_Exit], mapped: bool) -> tuple[ActionRef, list[_Exit]]:
        kind = tree.data
        if kind == "continue":
            return ActionRef(kind="continue"), exits
        if kind == "goto":
            number_token = tree.children[-1]
            assert isinstance(number_token, Token)
            ref = ActionRef(kind="goto")
            target = int(float(str(number_token)))
            # Resolved once every step is numbered; the edge keeps the exit's label and condition.
            self.gotos.extend((exit_, target, number_token, ref) for exit_ in exits)
            return ref, []
        if kind == "stop":
            node = self.add_node("end", "stop", tree)
            self.connect(exits, node.id)
            return ActionRef(kind="stop", node=node.id), []
        if kind == "notify":
            owner = _phrase_text(tree.children[-1])
            node = self.add_node("notify", f"notify {owner}", tree, operation="notify", owner=owner, mapped=mapped)
            node.operation_text = "notify"
            self.connect(exits, node.id)
            return ActionRef(kind="notify", node=node.id), []
        node = self.operation(tree, mapped)
        self.connect(exits, node.id)
        return ActionRef(kind="operation", node=node.id), [_Exit(node.id)]

    def operation(self, tree: Tree[Token], mapped: bool) -> Node:
        phrase, *objects = [child for child in tree.children if isinstance(child, Tree)]
        words = _words(phrase)
        operation, size = self.catalog.match_operation(words)
        rest = [word for word in words[size:] if word.lower() not in ARTICLES] if operation else []
        if operation is None:
            if len(words) > 1 and words[-1].lower() == "it":
                rest = ["it"]
                words = words[:-1]
            operation_text = " ".join(word for word in words if word.lower() not in ARTICLES)
        else:
            operation_text = operation.name
        params: dict[str, str] = {}
        dataset: str | None = " ".join(rest) if rest else None
        if dataset is not None and dataset.lower() == "it":
            dataset = "it"
        for index, obj in enumerate(objects):
            prep = str(obj.children[0]).lower()
            text = _phrase_text(obj.children[1])
            if dataset is None and index == 0 and prep in {"on", "from", "in", "of", "into"}:
                dataset = "it" if text.lower() == "it" else text
                continue
            if prep in params:
                self.issue("warning", "WF020", f"'{prep} …' is said twice; the last one is kept", obj)
            params[prep] = text
        label = _operation_label(operation_text, dataset, params)
        node = self.add_node(
            "task",
            label,
            tree,
            operation=operation.id if operation else None,
            operation_text=operation_text,
            dataset=dataset,
            params=params,
            mapped=mapped,
        )
        node.dataset_id = self.resolve_dataset(dataset)
        if operation is None:
            suggestions = self.catalog.operation_suggestions(operation_text) or self._prefix_suggestions(words)
            hint = f"; did you mean {_either(suggestions)}?" if suggestions else "; see GET /api/v1/workflows/catalog"
            self.issue("error", "WF003", f"unknown operation '{operation_text}'{hint}", tree, node.id)
        return node

    def _prefix_suggestions(self, words: list[str]) -> list[str]:
        for size in range(min(len(words), 3), 0, -1):
            found = self.catalog.operation_suggestions(" ".join(words[:size]))
            if found:
                return found
        return []

    def resolve_dataset(self, dataset: str | None) -> str | None:
        if dataset is None:
            return None
        if dataset.lower() == "it":
            if self.loop_item is not None:
                return None
            if self.trigger and self.trigger.kind == "event":
                return self.trigger.event_id
            return None
        event = self.catalog.find_event(dataset)
        return event.id if event else None

    def condition(self, tree: Tree[Token]) -> Condition:
        if tree.data == "group":
            return self.condition(next(c for c in tree.children if isinstance(c, Tree)))
        if tree.data == "negation":
            return Not(arg=self.condition(next(c for c in tree.children if isinstance(c, Tree))))
        if tree.data == "condition":
            terms = [self.condition(c) for c in tree.children if isinstance(c, Tree)]
            ops = [str(c).lower() for c in tree.children if isinstance(c, Token)]
            if not ops:
                return terms[0]
            if len(set(ops)) > 1:
                text = " ".join(_words(tree))
                first = _split_reading(tree, "and")
                second = _split_reading(tree, "or")
                self.issue(
                    "error",
                    "WF008",
                    f"'{text}' can be read two ways: {first} or {second}; add parentheses to say which",
                    tree,
                )
                # Kept as written for the diagram; the error blocks the DAG, so no reading is chosen for it.
                return BoolOp(type="or", args=_and_groups(terms, ops))
            return _flatten(BoolOp(type=ops[0], args=terms))  # type: ignore[arg-type]
        return self.comparison(tree)

    def comparison(self, tree: Tree[Token]) -> Comparison:
        children = tree.children
        if tree.data in {"equals", "not_equals"}:
            subject = _phrase_text(children[0])
            value_tree = children[2]
            assert isinstance(value_tree, Tree)
            value = _value(value_tree)
            op: ComparisonOp = "==" if tree.data == "equals" else "!="
            return Comparison(field=snake(subject), op=op, value=value, form="equals", subject=subject)
        tokens = [c for c in children if isinstance(c, Token)]
        comp = next(t for t in tokens if t.type == "COMP")
        number = _number(str(next(t for t in tokens if t.type == "NUMBER")))
        percent = any(t.type == "PERCENT" for t in tokens)
        op = _comparator(str(comp))
        phrases = [c for c in children if isinstance(c, Tree)]
        if tree.data == "measure":
            subject = _phrase_text(phrases[0])
            name = snake(subject) + ("_percent" if percent else "")
            return Comparison(field=name, op=op, value=number, form="measure", subject=subject, percent=percent)
        subject, state = _phrase_text(phrases[0]), _phrase_text(phrases[1])
        name = snake(f"{state} {subject}") + ("_percent" if percent else "")
        return Comparison(
            field=name,
            op=op,
            value=number,
            form="share",
            subject=subject,
            state=state,
            percent=percent,
        )

    def decision(self, tree: Tree[Token], number: int, exits: list[_Exit]) -> list[_Exit]:
        line, column = _position(tree)
        parts: list[tuple[Tree[Token] | None, Tree[Token]]] = []
        children = [c for c in tree.children if isinstance(c, Tree)]
        parts.append((children[0], children[1]))
        has_otherwise = False
        for extra in children[2:]:
            inner = [c for c in extra.children if isinstance(c, Tree)]
            if extra.data == "elif":
                parts.append((inner[0], inner[1]))
            else:
                parts.append((None, inner[0]))
                has_otherwise = True
        conditions = [self.condition(cond) if cond is not None else None for cond, _ in parts]
        texts = [condition_text(c) if c is not None else "otherwise" for c in conditions]
        label = f"{texts[0]}?" if len(parts) - has_otherwise == 1 else "which case?"
        decision = self.add_node("decision", label, tree)
        self.connect(exits, decision.id)
        statement = Statement(
            kind="decision", number=number, line=line, column=column, decision=decision.id, has_otherwise=has_otherwise
        )
        out: list[_Exit] = []
        for (_, branch), condition, text in zip(parts, conditions, texts, strict=True):
            start = [_Exit(decision.id, label=text, condition=condition, otherwise=condition is None)]
            actions = [c for c in branch.children if isinstance(c, Tree)]
            refs, branch_exits = self.actions(actions, start)
            statement.branches.append(Branch(condition=condition, text=text, actions=refs))
            out.extend(branch_exits)
        if not has_otherwise:
            out.append(_Exit(decision.id, label="not defined", otherwise=True, undefined=True))
        self.statements.append(statement)
        return out

    def loop(self, tree: Tree[Token], number: int, exits: list[_Exit]) -> list[_Exit]:
        line, column = _position(tree)
        trees = [c for c in tree.children if isinstance(c, Tree)]
        item, collection, body = _phrase_text(trees[0]), _phrase_text(trees[1]), trees[2]
        node = self.add_node("loop", f"for each {item} in {collection}", tree, dataset=collection)
        node.params = {"item": item, "in": collection}
        node.dataset_id = self.resolve_dataset(collection)
        self.connect(exits, node.id)
        outer, self.loop_item = self.loop_item, item
        refs, out = self.actions([c for c in body.children if isinstance(c, Tree)], [_Exit(node.id)], mapped=True)
        self.loop_item = outer
        self.statements.append(
            Statement(
                kind="loop", number=number, line=line, column=column, loop=node.id, item=item,
                collection=collection, actions=refs,
            )
        )  # fmt: skip
        return out

    def parallel(self, tree: Tree[Token], number: int, exits: list[_Exit]) -> list[_Exit]:
        line, column = _position(tree)
        out: list[_Exit] = []
        refs = []
        for action in [c for c in tree.children if isinstance(c, Tree)]:
            ref, branch_exits = self.action(action, exits, mapped=False)
            refs.append(ref)
            out.extend(branch_exits)
        self.statements.append(Statement(kind="parallel", number=number, line=line, column=column, actions=refs))
        return out


def _position(where: Any) -> tuple[int, int]:
    if isinstance(where, Token):
        return where.line or 1, where.column or 1
    meta = getattr(where, "meta", None)
    if meta is not None and not getattr(meta, "empty", True):
        return meta.line, meta.column
    return 1, 1


def _either(options: list[str]) -> str:
    quoted = [f"'{option}'" for option in options]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + f" or {quoted[-1]}"


def _value(tree: Tree[Token]) -> float | int | str:
    tokens = [c for c in tree.children if isinstance(c, Token)]
    if tokens and tokens[0].type == "NUMBER":
        return _number(str(tokens[0]))
    return _phrase_text(tree.children[0])


def _number(text: str) -> float | int:
    value = float(text)
    return int(value) if value.is_integer() else value


def _comparator(text: str) -> ComparisonOp:
    cleaned = re.sub(r"^(is|are)\s+", "", text.strip().lower())
    for pattern, op in COMPARATORS:
        if pattern.search(cleaned):
            return op
    raise ValueError(text)  # pragma: no cover - the grammar only lets these through


def _flatten(condition: BoolOp) -> BoolOp:
    args: list[Condition] = []
    for arg in condition.args:
        if isinstance(arg, BoolOp) and arg.type == condition.type:
            args.extend(arg.args)
        else:
            args.append(arg)
    return BoolOp(type=condition.type, args=args)


def _and_groups(terms: list[Condition], ops: list[str]) -> list[Condition]:
    groups: list[list[Condition]] = [[terms[0]]]
    for op, term in zip(ops, terms[1:], strict=True):
        if op == "and":
            groups[-1].append(term)
        else:
            groups.append([term])
    return [group[0] if len(group) == 1 else BoolOp(type="and", args=group) for group in groups]


def _split_reading(tree: Tree[Token], tighter: str) -> str:
    """The condition with `tighter` binding first, in parentheses: one of the two readings."""
    parts: list[str] = []
    current: list[str] = []
    for child in tree.children:
        if isinstance(child, Token) and str(child).lower() in {"and", "or"}:
            op = str(child).lower()
            if op == tighter:
                current.append(op)
            else:
                parts.append(" ".join(current))
                parts.append(op)
                current = []
        else:
            current.append(" ".join(_words(child)))
    parts.append(" ".join(current))
    return "'" + " ".join(f"({p})" if (" and " in p or " or " in p) else p for p in parts) + "'"


def condition_text(condition: Condition, top: bool = True) -> str:
    """A condition in canonical controlled English (parsed again to the same condition)."""
    if isinstance(condition, Comparison):
        value = condition.value
        if condition.form == "share":
            unit = " %" if condition.percent else ""
            return f"{OP_WORDS[condition.op]} {value}{unit} of {say(condition.subject)} are {say(condition.state)}"
        if condition.form == "measure":
            unit = " %" if condition.percent else ""
            return f"{say(condition.subject)} is {OP_WORDS[condition.op]} {value}{unit}"
        verb = "is" if condition.op == "==" else "is not"
        shown = str(value) if isinstance(value, int | float) else say(value)
        return f"{say(condition.subject)} {verb} {shown}"
    if isinstance(condition, Not):
        inner = condition_text(condition.arg, top=False)
        return f"not {inner}" if isinstance(condition.arg, Comparison) else f"not ({inner})"
    joined = f" {condition.type} ".join(
        f"({condition_text(arg, top=False)})" if isinstance(arg, BoolOp) else condition_text(arg, top=False)
        for arg in condition.args
    )
    return joined


def event_text(tokens: list[Token]) -> str:
    words = [_token_text(token) for token in tokens]
    while words and (words[0].lower() in ARTICLES or words[0].lower() in EVENT_MARKERS):
        words = words[1:]
    for index, word in enumerate(words):
        if index > 0 and word.lower() in EVENT_VERBS:
            words = words[:index]
            break
    return " ".join(word for word in words if word.lower() not in ARTICLES)


def parse_schedule(words: list[str]) -> tuple[str, str | None]:
    """`every …` words → (canonical text, cron), cron None when not understood."""
    lowered = [word.lower() for word in words]
    text = "every " + " ".join(lowered)
    at = None
    if "at" in lowered:
        index = lowered.index("at")
        at, lowered = lowered[index + 1 :], lowered[:index]
        if len(at) != 1 or not re.fullmatch(r"\d{1,2}:\d{2}", at[0]):
            return text, None
        hour, minute = (int(part) for part in at[0].split(":"))
        if hour > 23 or minute > 59:
            return text, None
    hh, mm = (hour, minute) if at else (0, 0)
    when = f" at {hh:02d}:{mm:02d}" if at else ""
    if lowered in (["day"], ["daily"]):
        return f"every day{when}", f"{mm} {hh} * * *"
    if lowered == ["weekday"]:
        return f"every weekday{when}", f"{mm} {hh} * * 1-5"
    if len(lowered) == 1 and lowered[0] in WEEKDAYS:
        return f"every {lowered[0]}{when}", f"{mm} {hh} * * {WEEKDAYS.index(lowered[0]) + 1}"
    if at:
        return text, None
    if lowered == ["hour"]:
        return "every hour", "0 * * * *"
    if lowered == ["minute"]:
        return "every minute", "* * * * *"
    if len(lowered) == 2 and lowered[0].isdigit() and lowered[1] in {"minutes", "hours"}:
        count = int(lowered[0])
        if lowered[1] == "minutes" and 1 <= count <= 59:
            return f"every {count} minutes", f"*/{count} * * * *"
        if lowered[1] == "hours" and 1 <= count <= 23:
            return f"every {count} hours", f"0 */{count} * * *"
    return text, None


def _operation_label(operation_text: str, dataset: str | None, params: dict[str, str]) -> str:
    parts = [operation_text]
    if dataset:
        parts.append(dataset if dataset.lower() == "it" else f"on {dataset}")
    parts.extend(f"{prep} {text}" for prep, text in params.items())
    return " ".join(parts)


def parse(text: str, catalog: Catalog) -> ParseResult:
    if len(text) > MAX_TEXT_CHARS:
        issue = Issue(
            severity="error",
            code="WF000",
            message=f"the text has {len(text)} characters; a draft may have at most {MAX_TEXT_CHARS}",
            line=1,
            column=1,
        )
        return ParseResult(None, [issue])
    cleaned, labels = strip_labels(text.replace("\r\n", "\n").replace("\t", " "))
    try:
        tree = parser().parse(cleaned)
    except UnexpectedInput as error:
        return ParseResult(None, [syntax_issue(error, cleaned)])
    builder = _Builder(catalog=catalog, labels=labels)
    workflow = builder.build(tree)
    return ParseResult(workflow, builder.issues)


def operation_of(catalog: Catalog, node: Node) -> CatalogOperation | None:
    return catalog.operations_by_id.get(node.operation) if node.operation else None
