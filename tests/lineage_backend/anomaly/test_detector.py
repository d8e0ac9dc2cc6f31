"""The anomaly maths on hand-built series, without a database."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from lineage_backend.anomaly.detector import (
    AnomalyConfig,
    Point,
    band,
    judge,
    judge_freshness,
    replay,
    validate_overrides,
)
from lineage_backend.anomaly.elementary import elementary_is_anomalous, elementary_score

MONDAY = datetime(2026, 1, 5, 2, 0, tzinfo=timezone.utc)


def daily(values: list[float], start: datetime = MONDAY, flagged: dict[int, str] | None = None) -> list[Point]:
    flagged = flagged or {}
    return [
        Point(v, start + timedelta(days=i), anomalous=i in flagged, direction=flagged.get(i))  # type: ignore[arg-type]
        for i, v in enumerate(values)
    ]


def noisy(n: int, center: float, spread: float, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [center + rng.uniform(-spread, spread) for _ in range(n)]


def test_below_min_history_is_learning_with_no_verdict() -> None:
    history = daily(noisy(6, 600, 30))
    verdict = judge("durationSeconds", 6000, MONDAY + timedelta(days=6), history)
    assert verdict.status == "learning"
    assert verdict.score is None and verdict.expected_high is None
    assert judge("durationSeconds", 6000, MONDAY + timedelta(days=7), daily(noisy(7, 600, 30))).is_anomaly


def test_a_spike_is_scored_against_previous_runs_only() -> None:
    values = noisy(14, 600, 30)
    history = daily(values)
    at = MONDAY + timedelta(days=14)
    verdict = judge("durationSeconds", 1800, at, history)
    assert verdict.is_anomaly and verdict.direction == "HIGH" and verdict.level == "error"
    assert verdict.expected_low is not None and verdict.expected_high is not None
    assert verdict.expected_low < 600 < verdict.expected_high < 1800
    assert verdict.score is not None and verdict.score > 10
    # Elementary's window holds the judged value: its |z| cannot pass (n-1)/sqrt(n) = 3.74 for 15 points.
    series = [(v, p.at) for v, p in zip(values, history, strict=True)]
    score = elementary_score(1800, at, series)
    assert score is not None and score <= 14 / 15**0.5 + 1e-9


def test_an_earlier_anomaly_does_not_mask_a_new_one_unless_marked_normal() -> None:
    values = noisy(14, 600, 30)
    values[6] = 1800
    at = MONDAY + timedelta(days=14)
    flagged = judge("durationSeconds", 1500, at, daily(values, flagged={6: "HIGH"}))
    assert flagged.is_anomaly
    series = [(v, MONDAY + timedelta(days=i)) for i, v in enumerate(values)]
    assert not elementary_is_anomalous(1500, at, series)  # the earlier incident inflated its stddev
    # Marked normal, the 1800 s run teaches the baseline: the band widens.
    marked = judge("durationSeconds", 1500, at, daily(values))
    assert marked.expected_high is not None and flagged.expected_high is not None
    assert marked.expected_high >= flagged.expected_high


def test_small_changes_are_not_news() -> None:
    history = daily(noisy(14, 2.0, 0.05))
    verdict = judge("durationSeconds", 3.0, MONDAY + timedelta(days=14), history)
    assert not verdict.is_anomaly  # 2 s -> 3 s: below the 30 s floor, however many sigmas
    assert verdict.score is not None and verdict.score > 3.5


def test_direction_duration_drops_are_information_rows_drops_are_alerts() -> None:
    at = MONDAY + timedelta(days=14)
    assert not judge("durationSeconds", 60, at, daily(noisy(14, 600, 30))).is_anomaly
    both = AnomalyConfig(direction="both")
    low = judge("durationSeconds", 60, at, daily(noisy(14, 600, 30)), both)
    assert low.is_anomaly and low.direction == "LOW"
    rows = judge("rowsWritten", 100, at, daily(noisy(14, 100_000, 3000)))
    assert rows.is_anomaly and rows.direction == "LOW"


def test_day_of_week_seasonality_after_three_weekly_cycles() -> None:
    rng = random.Random(3)
    # Mondays run 1.6x longer; four weeks of history.
    values = [
        (960 if (MONDAY + timedelta(days=i)).weekday() == 0 else 600) * rng.uniform(0.97, 1.03) for i in range(28)
    ]
    history = daily(values)
    next_monday, next_tuesday = MONDAY + timedelta(days=28), MONDAY + timedelta(days=29)
    monday = judge("durationSeconds", 980, next_monday, history)
    assert monday.seasonal and not monday.is_anomaly
    tuesday = judge("durationSeconds", 980, next_tuesday, history)
    assert tuesday.is_anomaly
    # Two weeks are not enough cycles: no weekday profile yet.
    assert not judge("durationSeconds", 980, MONDAY + timedelta(days=14), daily(values[:14])).seasonal


def test_a_level_shift_becomes_the_new_normal_after_three_anomalies() -> None:
    values = [*noisy(14, 600, 20), 1500, 1510, 1490]
    flagged = {14: "HIGH", 15: "HIGH", 16: "HIGH"}
    verdict = judge("durationSeconds", 1505, MONDAY + timedelta(days=17), daily(values, flagged=flagged))
    assert verdict.status == "normal"
    assert verdict.median is not None and 1400 < verdict.median < 1600
    two_only = daily(values[:16], flagged={14: "HIGH", 15: "HIGH"})
    assert judge("durationSeconds", 1505, MONDAY + timedelta(days=16), two_only).is_anomaly


def test_sensitivity_and_metadata_overrides() -> None:
    history = daily(noisy(14, 600, 30))
    at = MONDAY + timedelta(days=14)
    base = judge("durationSeconds", 1000, at, history)
    deaf = judge("durationSeconds", 1000, at, history, AnomalyConfig().with_overrides({"sensitivity": 20}))
    assert base.is_anomaly and not deaf.is_anomaly
    patient = AnomalyConfig().with_overrides({"minHistory": 20})
    assert judge("durationSeconds", 5000, at, history, patient).status == "learning"
    with pytest.raises(ValueError, match="sensitivity"):
        validate_overrides({"sensitivity": 0})
    with pytest.raises(ValueError, match="unknown keys"):
        validate_overrides({"threshold": 3})
    with pytest.raises(ValueError, match="metrics"):
        validate_overrides({"metrics": ["cpu"]})


def test_constant_history_does_not_divide_by_zero() -> None:
    history = daily([600.0] * 14)
    at = MONDAY + timedelta(days=14)
    assert not judge("durationSeconds", 610, at, history).is_anomaly
    assert judge("durationSeconds", 1200, at, history).is_anomaly
    assert elementary_score(600, at, [(p.value, p.at) for p in history]) == 0.0


def test_freshness_flags_a_dataset_overdue_against_its_usual_interval() -> None:
    writes = [MONDAY + timedelta(hours=i) for i in range(20)]
    last = writes[-1]
    assert judge_freshness(writes, last + timedelta(minutes=70)).status == "normal"
    stale = judge_freshness(writes, last + timedelta(hours=5))
    assert stale.is_anomaly and stale.direction == "HIGH"
    assert judge_freshness(writes[:5], last + timedelta(hours=50)).status == "learning"


def test_replay_gives_each_run_the_verdict_of_the_runs_before_it() -> None:
    points = daily([*noisy(9, 600, 20), 3000, *noisy(3, 600, 20, seed=2)], flagged={9: "HIGH"})
    verdicts = replay("durationSeconds", points, history_runs=5 + 7)
    assert len(verdicts) == len(points)
    assert [v.status for v in verdicts[:7]] == ["learning"] * 7
    assert verdicts[9].is_anomaly and verdicts[9].expected_high is not None and verdicts[9].expected_high < 3000
    for index, verdict in enumerate(verdicts):
        previous = points[max(0, index - 12) : index]
        assert verdict == judge("durationSeconds", points[index].value, points[index].at, previous)
    # The flagged run teaches nothing: the band after it is the band before it, give or take the new runs.
    assert verdicts[10].median == pytest.approx(verdicts[9].median, rel=0.05)
    assert replay("durationSeconds", points, start=10) == verdicts[10:]


def test_band_does_not_depend_on_the_judged_value() -> None:
    history = daily(noisy(14, 600, 30))
    at = MONDAY + timedelta(days=14)
    upcoming = band("durationSeconds", at, history)
    for value in (10, 600, 9000):
        verdict = judge("durationSeconds", value, at, history)
        assert (verdict.expected_low, verdict.expected_high, verdict.median) == (
            upcoming.expected_low,
            upcoming.expected_high,
            upcoming.median,
        )
    assert upcoming.expected_low is not None and upcoming.expected_low < 600 < (upcoming.expected_high or 0)
    assert band("durationSeconds", at, []).status == "learning"
