"""Conditions as data: evaluation, the fields they read, boundary values, and rendering to Python source."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence

from lineage_backend.workflows.model import BoolOp, Comparison, Condition, Not

Values = dict[str, float | int | str]
MAX_ASSIGNMENTS = 4096


def comparisons(condition: Condition) -> Iterator[Comparison]:
    if isinstance(condition, Comparison):
        yield condition
    elif isinstance(condition, Not):
        yield from comparisons(condition.arg)
    else:
        for arg in condition.args:
            yield from comparisons(arg)


def holds(condition: Condition, values: Values) -> bool:
    if isinstance(condition, Not):
        return not holds(condition.arg, values)
    if isinstance(condition, BoolOp):
        results = (holds(arg, values) for arg in condition.args)
        return all(results) if condition.type == "and" else any(results)
    value = values.get(condition.field)
    if value is None:
        return False
    if condition.op in {"==", "!="}:
        same = _same(value, condition.value)
        return same if condition.op == "==" else not same
    if isinstance(value, str) or isinstance(condition.value, str):
        return False
    return {
        ">": value > condition.value,
        "<": value < condition.value,
        ">=": value >= condition.value,
        "<=": value <= condition.value,
    }[condition.op]


def _same(left: float | int | str, right: float | int | str) -> bool:
    if isinstance(left, str) or isinstance(right, str):
        return str(left).lower() == str(right).lower()
    return left == right


def candidates(conditions: Iterable[Condition]) -> dict[str, list[float | int | str]]:
    """Per field, values on and around every threshold, and one value no condition names."""
    per_field: dict[str, list[float | int | str]] = {}
    for condition in conditions:
        for comparison in comparisons(condition):
            values = per_field.setdefault(comparison.field, [])
            threshold = comparison.value
            if isinstance(threshold, str):
                values.extend([threshold, f"other than {threshold}"])
            else:
                step = 1 if isinstance(threshold, int) else 0.5
                values.extend([threshold - step, threshold, threshold + step])
    for field, values in per_field.items():
        numbers = sorted({v for v in values if not isinstance(v, str)})
        texts = sorted({v for v in values if isinstance(v, str)}, key=str)
        per_field[field] = [*numbers, *texts]
    return per_field


def assignments(conditions: Sequence[Condition]) -> Iterator[Values]:
    per_field = candidates(conditions)
    fields = sorted(per_field)
    for count, combination in enumerate(itertools.product(*(per_field[f] for f in fields))):
        if count >= MAX_ASSIGNMENTS:
            return
        yield dict(zip(fields, combination, strict=True))


def to_python(condition: Condition, facts: str = "facts") -> str:
    """Python source for a condition; fields and values are rendered with repr(), so no text becomes code."""
    if isinstance(condition, Not):
        return f"not ({to_python(condition.arg, facts)})"
    if isinstance(condition, BoolOp):
        return f" {condition.type} ".join(f"({to_python(arg, facts)})" for arg in condition.args)
    if condition.op in {"==", "!="}:
        return f"same({facts}, {condition.field!r}, {condition.value!r}) is {condition.op == '=='}"
    return f"number({facts}, {condition.field!r}) {condition.op} {condition.value!r}"
