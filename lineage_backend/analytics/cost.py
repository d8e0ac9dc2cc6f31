"""Cost from a rate card and engine facts, and a 30-day projection with weekday factors.

No OpenLineage facet carries cost. A run's cost is its runtime hours x the rate-card price for its job
(`estimated`), plus, for BigQuery jobs, the bytes billed x price per TiB or the slot-hours x price per
slot-hour from the `bigQueryJob` facet (`billed`: the engine billed those quantities).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

TIB = 2**40
PROJECTION_DAYS = 30
HISTORY_DAYS = 28


@dataclass(frozen=True)
class RuntimeRate:
    price_per_hour: float
    namespace: str | None = None  # fnmatch pattern on the job namespace
    pattern: str | None = None  # fnmatch pattern on the DAG id or the job name (dag_id.task_id)


@dataclass(frozen=True)
class CostRates:
    currency: str = "USD"
    runtime: tuple[RuntimeRate, ...] = ()
    default_runtime_per_hour: float = 0.0
    bigquery_per_tib: float | None = None
    bigquery_per_slot_hour: float | None = None

    @property
    def configured(self) -> bool:
        return bool(
            self.runtime or self.default_runtime_per_hour or self.bigquery_per_tib or self.bigquery_per_slot_hour
        )

    def runtime_price(self, namespace: str, job_name: str, dag_id: str | None) -> float:
        """The first matching rule's price per runtime hour, else the default."""
        for rate in self.runtime:
            if rate.namespace is not None and not fnmatch.fnmatchcase(namespace, rate.namespace):
                continue
            if rate.pattern is not None and not (
                fnmatch.fnmatchcase(job_name, rate.pattern)
                or (dag_id is not None and fnmatch.fnmatchcase(dag_id, rate.pattern))
            ):
                continue
            return rate.price_per_hour
        return self.default_runtime_per_hour


@dataclass(frozen=True)
class Budget:
    monthly_amount: float
    dag_id: str | None = None
    owner: str | None = None


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"{where} must be a non-negative number, got {value!r}")
    return float(value)


def parse_cost_rates(text: str | None) -> CostRates:
    """`cost_rates` JSON, e.g. {"currency": "USD", "runtimePerHour": [{"namespace": "airflow*",
    "pattern": "etl_*", "price": 0.5}], "defaultRuntimePerHour": 0.1, "bigquery": {"perTiB": 6.25,
    "perSlotHour": 0.04}}."""
    if not text or not text.strip():
        return CostRates()
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"cost_rates is not valid JSON ({error}); see the README's Analytics section") from None
    if not isinstance(document, dict):
        raise ValueError('cost_rates must be a JSON object such as {"runtimePerHour": [...], "bigquery": {...}}')
    unknown = set(document) - {"currency", "runtimePerHour", "defaultRuntimePerHour", "bigquery"}
    if unknown:
        raise ValueError(
            f"cost_rates has unknown keys {sorted(unknown)}: "
            "use currency, runtimePerHour, defaultRuntimePerHour, bigquery"
        )
    rules = document.get("runtimePerHour") or []
    if not isinstance(rules, list):
        raise ValueError("cost_rates.runtimePerHour must be a list of {namespace?, pattern?, price}")
    runtime = []
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict) or "price" not in rule:
            raise ValueError(f"cost_rates.runtimePerHour[{index}] must be an object with a price")
        runtime.append(
            RuntimeRate(
                price_per_hour=_number(rule["price"], f"cost_rates.runtimePerHour[{index}].price"),
                namespace=str(rule["namespace"]) if rule.get("namespace") is not None else None,
                pattern=str(rule["pattern"]) if rule.get("pattern") is not None else None,
            )
        )
    bigquery = document.get("bigquery") or {}
    if not isinstance(bigquery, dict):
        raise ValueError('cost_rates.bigquery must be an object such as {"perTiB": 6.25}')
    return CostRates(
        currency=str(document.get("currency") or "USD"),
        runtime=tuple(runtime),
        default_runtime_per_hour=_number(document.get("defaultRuntimePerHour", 0), "cost_rates.defaultRuntimePerHour"),
        bigquery_per_tib=_number(bigquery["perTiB"], "cost_rates.bigquery.perTiB") if "perTiB" in bigquery else None,
        bigquery_per_slot_hour=(
            _number(bigquery["perSlotHour"], "cost_rates.bigquery.perSlotHour") if "perSlotHour" in bigquery else None
        ),
    )


def parse_cost_budgets(text: str | None) -> tuple[Budget, ...]:
    """`cost_budgets` JSON: [{"dagId": "etl", "monthly": 200}, {"owner": "team-a", "monthly": 500}]."""
    if not text or not text.strip():
        return ()
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"cost_budgets is not valid JSON ({error})") from None
    if not isinstance(document, list):
        raise ValueError('cost_budgets must be a JSON list such as [{"dagId": "etl", "monthly": 200}]')
    budgets = []
    for index, item in enumerate(document):
        if not isinstance(item, dict) or "monthly" not in item or not (item.get("dagId") or item.get("owner")):
            raise ValueError(f"cost_budgets[{index}] must be an object with dagId or owner, and monthly")
        budgets.append(
            Budget(
                monthly_amount=_number(item["monthly"], f"cost_budgets[{index}].monthly"),
                dag_id=str(item["dagId"]) if item.get("dagId") else None,
                owner=str(item["owner"]) if item.get("owner") else None,
            )
        )
    return tuple(budgets)


@dataclass(frozen=True)
class RunCost:
    estimated: float  # from the rate card (runtime hours x price)
    billed: float  # from quantities the engine billed (BigQuery bytes or slot-ms) x price
    currency: str = "USD"

    @property
    def total(self) -> float:
        return self.estimated + self.billed

    @property
    def basis(self) -> str:
        if self.billed and not self.estimated:
            return "billed"
        if self.billed:
            return "mixed"
        return "estimated"


def bigquery_usage(run_facets: Mapping[str, Any]) -> tuple[int | None, int | None]:
    """(bytes billed, slot-ms) from the `bigQueryJob` facet (legacy key `bigQuery_job`)."""
    facet = run_facets.get("bigQueryJob") or run_facets.get("bigQuery_job")
    if not isinstance(facet, dict):
        return None, None
    properties: Any = facet.get("properties")
    if isinstance(properties, str):
        try:
            properties = json.loads(properties)
        except json.JSONDecodeError:
            properties = None
    statistics = (properties or {}).get("statistics") if isinstance(properties, dict) else None
    statistics = statistics if isinstance(statistics, dict) else {}
    billed = facet.get("billedBytes")
    if billed is None:
        billed = statistics.get("totalBytesBilled") or (statistics.get("query") or {}).get("totalBytesBilled")
    slot_ms = statistics.get("totalSlotMs") or (statistics.get("query") or {}).get("totalSlotMs")
    return _int(billed), _int(slot_ms)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def run_cost(
    rates: CostRates,
    *,
    namespace: str,
    job_name: str,
    dag_id: str | None,
    duration_seconds: float | None,
    run_facets: Mapping[str, Any],
) -> RunCost:
    estimated = (duration_seconds or 0.0) / 3600 * rates.runtime_price(namespace, job_name, dag_id)
    billed = 0.0
    billed_bytes, slot_ms = bigquery_usage(run_facets)
    if slot_ms is not None and rates.bigquery_per_slot_hour is not None:
        billed = slot_ms / 3_600_000 * rates.bigquery_per_slot_hour
    elif billed_bytes is not None and rates.bigquery_per_tib is not None:
        billed = billed_bytes / TIB * rates.bigquery_per_tib
    return RunCost(estimated=estimated, billed=billed, currency=rates.currency)


@dataclass(frozen=True)
class Projection:
    daily_mean: float
    weekday_factors: list[float]  # Monday first
    days: list[tuple[date, float]] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(amount for _, amount in self.days)


def project(daily_costs: Mapping[date, float], *, today: date, days: int = PROJECTION_DAYS) -> Projection:
    """The next `days` days from today: the last 28 days' daily mean x each weekday's factor (its mean /
    the overall mean); days without cost in the history count as zero."""
    history = [today - timedelta(days=offset) for offset in range(HISTORY_DAYS, 0, -1)]
    amounts = [daily_costs.get(day, 0.0) for day in history]
    mean = sum(amounts) / len(amounts)
    by_weekday: dict[int, list[float]] = {weekday: [] for weekday in range(7)}
    for day, amount in zip(history, amounts, strict=True):
        by_weekday[day.weekday()].append(amount)
    factors = [
        (sum(values) / len(values) / mean) if mean and values else 1.0 for _, values in sorted(by_weekday.items())
    ]
    upcoming = [today + timedelta(days=offset) for offset in range(days)]
    return Projection(mean, factors, [(day, mean * factors[day.weekday()]) for day in upcoming])


def budget_use(spent: float, budget: Budget) -> float:
    return spent / budget.monthly_amount if budget.monthly_amount else 0.0


def matching_budgets(budgets: Sequence[Budget], *, dag_id: str | None, owners: Sequence[str]) -> list[Budget]:
    return [b for b in budgets if (b.dag_id and b.dag_id == dag_id) or (b.owner and b.owner in owners)]
