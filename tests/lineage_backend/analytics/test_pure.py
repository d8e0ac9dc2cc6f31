"""Pure analytics functions against independently computed answers (no database)."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta, timezone

import pytest

from lineage_backend.analytics.buckets import bucket_start, bucket_starts
from lineage_backend.analytics.cost import (
    TIB,
    parse_cost_budgets,
    parse_cost_rates,
    project,
    run_cost,
)
from lineage_backend.analytics.critical_path import TaskAttempt, critical_path, graph_upstream, lineage_upstream
from lineage_backend.analytics.fingerprint import exception_type, fingerprint
from lineage_backend.analytics.sketch import (
    add_into,
    exact_quantile,
    merged,
    merged_counts,
    quantile,
    quantiles,
    sketch_of,
)

UTC = timezone.utc
T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# --- sketch -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sketch_quantiles_stay_within_two_percent_of_the_exact_ones(seed: int) -> None:
    rng = random.Random(seed)
    values = [rng.lognormvariate(4, 1.5) for _ in range(5000)]
    sketch = sketch_of(values)
    for q in (0.01, 0.5, 0.9, 0.95, 0.99, 1.0):
        exact = exact_quantile(values, q)
        assert exact is not None
        assert abs(quantile(sketch, q) - exact) / exact <= 0.02  # type: ignore[operator]


def test_sketches_merge_and_subtract_bucket_by_bucket() -> None:
    a, b = [1.0, 2.0, 30.0], [2.0, 400.0]
    total = merged([sketch_of(a), sketch_of(b)])
    assert total == sketch_of(a + b)
    add_into(total, sketch_of(b), -1)
    assert total == sketch_of(a)
    assert quantile({}, 0.5) is None
    assert quantile(sketch_of([0.0, 0.0, 5.0]), 0.5) == 0.0


def test_sketches_read_as_json_text_merge_like_dicts_and_leave_their_inputs_alone() -> None:
    rng = random.Random(7)
    parts = [[rng.lognormvariate(3, 2) for _ in range(rng.randint(0, 40))] + [0.0] * (i % 2) for i in range(9)]
    sketches = [sketch_of(values) for values in parts]
    first = dict(sketches[0])
    # Rollup rows come as JSON text (PostgreSQL and SQLite) and fact rows as dicts; "{}" is an empty row.
    mixed: list[str | dict[str, int]] = [
        sketches[0],
        *(json.dumps(sketch) for sketch in sketches[1:5]),
        "{}",
        *sketches[5:],
    ]
    total = merged_counts(mixed)
    everything = [value for values in parts for value in values]
    assert total == sketch_of(everything)
    assert sketches[0] == first
    assert quantiles(total, (0.5, 0.95)) == [quantile(sketch_of(everything), q) for q in (0.5, 0.95)]
    # A run's contribution taken back leaves an empty bucket behind: counted as nothing.
    withdrawn = merged_counts(['{"3": 2, "5": 1}', {"3": -2}])
    assert withdrawn == {"3": 0, "5": 1}
    assert quantiles(withdrawn, (0.5,)) == [quantile({"5": 1}, 0.5)]
    assert merged_counts([]) == {} and quantiles(merged_counts(["{}"]), (0.5,)) == [None]


# --- buckets ------------------------------------------------------------------------------------------


def test_bucket_edges_in_utc_for_every_granularity() -> None:
    moment = datetime(2026, 3, 4, 13, 47, 21, 500, tzinfo=UTC)  # a Wednesday
    assert bucket_start(moment, "minute") == datetime(2026, 3, 4, 13, 47, tzinfo=UTC)
    assert bucket_start(moment, "hour") == datetime(2026, 3, 4, 13, tzinfo=UTC)
    assert bucket_start(moment, "day") == datetime(2026, 3, 4, tzinfo=UTC)
    assert bucket_start(moment, "week") == datetime(2026, 3, 2, tzinfo=UTC)
    assert bucket_start(moment, "month") == datetime(2026, 3, 1, tzinfo=UTC)
    # 00:30 at UTC+02:00 is 22:30 UTC the day before: buckets follow UTC, not the caller's zone.
    local = datetime(2026, 3, 5, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    assert bucket_start(local, "day") == datetime(2026, 3, 4, tzinfo=UTC)


def test_bucket_lists_cover_the_range_and_cross_year_and_month_ends() -> None:
    months = bucket_starts(datetime(2025, 11, 15, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC), "month")
    assert months == [
        datetime(2025, 11, 1, tzinfo=UTC),
        datetime(2025, 12, 1, tzinfo=UTC),
        datetime(2026, 1, 1, tzinfo=UTC),
    ]
    days = bucket_starts(T0, T0 + timedelta(days=30), "day")
    assert len(days) == 30 and days[0] == T0 and days[-1] == T0 + timedelta(days=29)
    weeks = bucket_starts(T0 + timedelta(days=3), T0 + timedelta(days=15), "week")
    assert weeks == [T0, T0 + timedelta(weeks=1), T0 + timedelta(weeks=2)]
    with pytest.raises(ValueError, match="coarser granularity"):
        bucket_starts(T0, T0 + timedelta(days=30), "minute")


# --- critical path --------------------------------------------------------------------------------------


def test_diamond_walks_back_through_the_branch_that_finished_last() -> None:
    #   a -> b -> d,  a -> c -> d ; c finishes after b, so the path is a, c, d.
    upstream = graph_upstream({"a": ["b", "c"], "b": ["d"], "c": ["d"]})
    attempts = [
        TaskAttempt("a", "ra", at(0), at(10)),
        TaskAttempt("b", "rb", at(11), at(20)),
        TaskAttempt("c", "rc", at(12), at(40)),
        TaskAttempt("d", "rd", at(45), at(50)),
    ]
    path = critical_path(attempts, upstream, run_started_at=at(-2))
    assert [s.key for s in path.steps] == ["a", "c", "d"]
    assert [s.wait_seconds for s in path.steps] == [120.0, 120.0, 300.0]
    assert [s.run_seconds for s in path.steps] == [600.0, 1680.0, 300.0]
    assert path.total_seconds == 52 * 60
    # b could have finished at d's latest start (45 min) instead of 20: 25 minutes of slack.
    assert path.others == {"b": 25 * 60.0}


def test_parallel_branches_retried_task_and_a_task_without_an_end() -> None:
    upstream = {"x2": {"x1"}, "y2": {"y1"}}
    attempts = [
        TaskAttempt("x1", "x1a", at(0), at(5)),
        TaskAttempt("x2", "x2a", at(5), at(8)),
        TaskAttempt("y1", "y1-try1", at(0), at(3)),  # failed first try
        TaskAttempt("y1", "y1-try2", at(4), at(9)),
        TaskAttempt("y2", "y2a", at(10), at(20)),
        TaskAttempt("z", "za", at(1), None),  # never ended
    ]
    path = critical_path(attempts, upstream)
    assert [(s.key, s.run_id, s.tries) for s in path.steps] == [("y1", "y1-try2", 2), ("y2", "y2a", 1)]
    assert path.steps[0].run_seconds == 9 * 60  # first try's start to the last try's end
    assert path.steps[1].wait_seconds == 60
    assert path.others["z"] is None
    assert path.others["x2"] == 12 * 60  # a sink: may finish as late as the run's end (20 min)
    assert path.others["x1"] == 12 * 60  # x2 may start at 17 at the latest


def test_lineage_dependencies_inside_a_batch() -> None:
    upstream = lineage_upstream({"m2": {"t1"}, "m3": {"t2", "t1"}, "m1": {"src"}}, {"m1": {"t1"}, "m2": {"t2"}})
    assert upstream == {"m2": {"m1"}, "m3": {"m1", "m2"}}
    attempts = [
        TaskAttempt("m1", "1", at(0), at(1)),
        TaskAttempt("m2", "2", at(1), at(2)),
        TaskAttempt("m3", "3", at(2), at(3)),
    ]
    assert [s.key for s in critical_path(attempts, upstream).steps] == ["m1", "m2", "m3"]
    assert critical_path([], {}).steps == []


# --- fingerprints ---------------------------------------------------------------------------------------


def test_variable_parts_collapse_into_one_category() -> None:
    first = fingerprint("ValueError: order 9056 missing in '/data/in/2026-03-01.csv' at 2026-03-01T10:00:00Z")
    second = fingerprint("ValueError: order 17 missing in '/data/other.csv' at 2025-01-09T23:59:59.123+02:00")
    assert first.fingerprint == second.fingerprint
    assert first.exception_type == "ValueError"
    assert first.pattern == "order <num> missing in <str> at <ts>"
    other = fingerprint("KeyError: order 17 missing in '/x' at 2026-03-01T10:00:00Z")
    assert other.fingerprint != first.fingerprint
    ids = fingerprint("run 3f2a9c1e-8b7d-4c6e-9f01-23456789abcd failed on host 0xdeadbeef, file /tmp/a/b.txt")
    assert ids.pattern == "run <uuid> failed on host <hex>, file <path>"


def test_exception_type_comes_from_the_stack_trace() -> None:
    trace = (
        'Traceback (most recent call last):\n  File "x.py", line 3\n    f()\nairflow.exceptions.AirflowException: boom'
    )
    assert exception_type("task failed", trace) == "airflow.exceptions.AirflowException"
    assert exception_type("nothing here", None) is None
    assert fingerprint("task failed", trace).exception_type == "airflow.exceptions.AirflowException"


# --- cost ---------------------------------------------------------------------------------------------


RATES = json.dumps(
    {
        "currency": "EUR",
        "runtimePerHour": [{"namespace": "spark*", "price": 2.0}, {"pattern": "etl_*", "price": 0.5}],
        "defaultRuntimePerHour": 0.1,
        "bigquery": {"perTiB": 6.25},
    }
)


def test_cost_from_the_rate_card_first_matching_rule_wins() -> None:
    rates = parse_cost_rates(RATES)
    half_hour = {"duration_seconds": 1800.0, "run_facets": {}}
    assert run_cost(rates, namespace="spark-prod", job_name="etl_x.t", dag_id="etl_x", **half_hour).estimated == 1.0
    assert run_cost(rates, namespace="airflow", job_name="etl_x.t", dag_id="etl_x", **half_hour).estimated == 0.25
    other = run_cost(rates, namespace="airflow", job_name="misc", dag_id=None, **half_hour)
    assert (other.estimated, other.billed, other.basis, other.currency) == (0.05, 0.0, "estimated", "EUR")


def test_cost_from_a_bigquery_facet_is_billed() -> None:
    facet = {
        "bigQueryJob": {
            "cached": False,
            "billedBytes": 3 * TIB,
            "properties": json.dumps({"statistics": {"totalSlotMs": 7_200_000}}),
        }
    }
    rates = parse_cost_rates(json.dumps({"bigquery": {"perTiB": 6.25}}))
    cost = run_cost(rates, namespace="bq", job_name="q", dag_id=None, duration_seconds=60, run_facets=facet)
    assert (cost.billed, cost.estimated, cost.basis) == (18.75, 0.0, "billed")
    slots = parse_cost_rates(json.dumps({"bigquery": {"perTiB": 6.25, "perSlotHour": 0.04}}))
    by_slot = run_cost(slots, namespace="bq", job_name="q", dag_id=None, duration_seconds=60, run_facets=facet)
    assert by_slot.billed == pytest.approx(2 * 0.04)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON"),
        ("[]", "must be a JSON object"),
        ('{"runtimePerHour": [{"pattern": "x"}]}', "with a price"),
        ('{"runtimePerHour": [{"price": -1}]}', "non-negative"),
        ('{"bogus": 1}', "unknown keys"),
    ],
)
def test_bad_rate_cards_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_cost_rates(text)


def test_budgets_parse() -> None:
    budgets = parse_cost_budgets('[{"dagId": "etl", "monthly": 200}, {"owner": "team-a", "monthly": 50}]')
    assert [(b.dag_id, b.owner, b.monthly_amount) for b in budgets] == [("etl", None, 200.0), (None, "team-a", 50.0)]
    with pytest.raises(ValueError, match="dagId or owner"):
        parse_cost_budgets('[{"monthly": 1}]')


def test_projection_uses_the_daily_mean_and_weekday_factors() -> None:
    today = date(2026, 3, 30)  # a Monday
    # Weekdays cost 10, weekends 3, over the 28 days before today.
    history = {
        today - timedelta(days=d): (3.0 if (today - timedelta(days=d)).weekday() >= 5 else 10.0) for d in range(1, 29)
    }
    result = project(history, today=today)
    mean = (20 * 10 + 8 * 3) / 28
    assert result.daily_mean == pytest.approx(mean)
    assert result.weekday_factors[0] == pytest.approx(10 / mean)
    assert result.weekday_factors[6] == pytest.approx(3 / mean)
    # The next 30 days from a Monday: 22 weekdays and 8 weekend days, each at its own weekday's level.
    assert result.total == pytest.approx(22 * 10 + 8 * 3)
    assert project({}, today=today).total == 0
