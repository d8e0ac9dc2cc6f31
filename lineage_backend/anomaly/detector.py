"""Robust, self-excluding anomaly detection over a job's own previous comparable runs. Pure functions.

Why not Elementary's z-score: it puts the judged value into its own baseline (|z| <= (n-1)/sqrt(n), 3.47 for 14
points) and lets earlier incidents inflate the standard deviation. Here the baseline is the median and MAD of the
previous runs only, without failed runs and without runs that were anomalies (unless a person marked them normal),
on a log scale for durations and row counts (x2 and /2 are equally far), with a day-of-week offset once three weekly
cycles exist, and minimum absolute and relative changes so that 2 s -> 3 s is not news. Three anomalies in a row in
the same direction are a level shift: the baseline restarts from them (a "new normal") instead of alerting forever.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import pairwise
from statistics import median
from typing import Any, Literal

Direction = Literal["high", "low", "both"]
Status = Literal["learning", "normal", "anomaly"]

METRICS = ("durationSeconds", "rowsRead", "rowsWritten", "dqErrorRate", "freshness")
MAD_TO_SIGMA = 1.4826  # MAD of a normal distribution is 0.6745 sigma
MEAN_AD_TO_SIGMA = 1.253314  # mean absolute deviation of a normal distribution is 0.7979 sigma
SEASON_CYCLES = 3  # day-of-week offsets only once each weekday was seen this many times
SHIFT_AFTER = 3  # consecutive same-direction anomalies that make a new normal


@dataclass(frozen=True)
class MetricPolicy:
    direction: Direction
    min_abs_change: float  # in the metric's unit
    min_rel_change: float  # fraction of the baseline median
    log_scale: bool
    # Smallest spread assumed (transformed units): a series of identical values is not infinitely sensitive.
    min_sigma: float


DEFAULT_POLICIES: dict[str, MetricPolicy] = {
    "durationSeconds": MetricPolicy("high", 30.0, 0.5, True, 0.02),
    "rowsRead": MetricPolicy("both", 100.0, 0.3, True, 0.02),
    "rowsWritten": MetricPolicy("both", 100.0, 0.3, True, 0.02),
    "dqErrorRate": MetricPolicy("high", 0.01, 0.5, False, 0.002),
    "freshness": MetricPolicy("high", 600.0, 0.5, True, 0.05),
}


@dataclass(frozen=True)
class AnomalyConfig:
    """Global defaults (Settings) refined per node by metadata `anomaly: {sensitivity, metrics, direction,
    minHistory}`. Warn at |z| >= sensitivity, error at |z| >= sensitivity * error_factor."""

    sensitivity: float = 3.5
    error_factor: float = 1.5
    window: int = 14
    min_history: int = 7
    metrics: tuple[str, ...] = METRICS
    direction: Direction | None = None  # None: each metric's own default
    policies: Mapping[str, MetricPolicy] = field(default_factory=lambda: dict(DEFAULT_POLICIES))

    def policy(self, metric: str) -> MetricPolicy:
        base = self.policies[metric]
        return replace(base, direction=self.direction) if self.direction else base

    def with_overrides(self, overrides: Mapping[str, Any] | None) -> AnomalyConfig:
        """Node metadata `anomaly` block; validated by `validate_overrides` when people save it."""
        if not overrides:
            return self
        changes: dict[str, Any] = {}
        if overrides.get("sensitivity") is not None:
            changes["sensitivity"] = float(overrides["sensitivity"])
        if overrides.get("minHistory") is not None:
            changes["min_history"] = int(overrides["minHistory"])
        if overrides.get("direction") is not None:
            changes["direction"] = str(overrides["direction"]).lower()
        if overrides.get("metrics") is not None:
            changes["metrics"] = tuple(str(m) for m in overrides["metrics"])
        return replace(self, **changes)


def validate_overrides(overrides: Any) -> dict[str, Any]:
    """The `anomaly` metadata block, checked; raises ValueError saying what to fix."""
    if not isinstance(overrides, dict):
        raise ValueError("anomaly must be an object like {sensitivity: 4, metrics: [durationSeconds], direction: high}")
    unknown = set(overrides) - {"sensitivity", "metrics", "direction", "minHistory"}
    if unknown:
        raise ValueError(f"anomaly: unknown keys {sorted(unknown)}; use sensitivity, metrics, direction, minHistory")
    sensitivity = overrides.get("sensitivity")
    if sensitivity is not None and (not isinstance(sensitivity, (int, float)) or not 1 <= sensitivity <= 20):
        raise ValueError("anomaly.sensitivity must be a number from 1 (touchy) to 20 (deaf); the default is 3.5")
    metrics = overrides.get("metrics")
    if metrics is not None and (not isinstance(metrics, list) or any(m not in METRICS for m in metrics)):
        raise ValueError(f"anomaly.metrics must be a list drawn from {list(METRICS)}")
    direction = overrides.get("direction")
    if direction is not None and str(direction).lower() not in ("high", "low", "both"):
        raise ValueError("anomaly.direction must be high, low or both")
    history = overrides.get("minHistory")
    if history is not None and (not isinstance(history, int) or not 3 <= history <= 100):
        raise ValueError("anomaly.minHistory must be a whole number of runs from 3 to 100; the default is 7")
    return dict(overrides)


@dataclass(frozen=True)
class Point:
    """One previous comparable run's value. `anomalous`: it was flagged and nobody marked it normal."""

    value: float
    at: datetime
    anomalous: bool = False
    direction: Literal["HIGH", "LOW"] | None = None


@dataclass(frozen=True)
class Verdict:
    metric: str
    status: Status
    value: float
    baseline_size: int
    expected_low: float | None = None
    expected_high: float | None = None
    median: float | None = None
    score: float | None = None
    direction: Literal["HIGH", "LOW"] | None = None
    level: Literal["warn", "error"] | None = None
    seasonal: bool = False

    @property
    def is_anomaly(self) -> bool:
        return self.status == "anomaly"


def _forward(value: float, log_scale: bool) -> float:
    return math.log1p(max(value, 0.0)) if log_scale else value


def _back(value: float, log_scale: bool) -> float:
    return math.expm1(value) if log_scale else value


def robust_center_scale(values: Sequence[float], min_sigma: float) -> tuple[float, float]:
    """Median and a sigma estimate: 1.4826 MAD, else 1.2533 mean absolute deviation, never below min_sigma."""
    center = median(values)
    deviations = [abs(v - center) for v in values]
    sigma = MAD_TO_SIGMA * median(deviations)
    if sigma == 0:
        sigma = MEAN_AD_TO_SIGMA * (sum(deviations) / len(deviations))
    return center, max(sigma, min_sigma)


def weekday_offsets(points: Sequence[tuple[float, datetime]]) -> dict[int, float] | None:
    """Per weekday, how far its runs sit from the overall median (transformed units); None until every
    weekday that occurs was seen SEASON_CYCLES times over at least three weeks."""
    if len(points) < 2 or points[-1][1] - points[0][1] < timedelta(days=7 * SEASON_CYCLES - 1):
        return None
    by_day: dict[int, list[float]] = {}
    for value, at in points:
        by_day.setdefault(at.weekday(), []).append(value)
    if len(by_day) < 2 or any(len(v) < SEASON_CYCLES for v in by_day.values()):
        return None
    overall = median(v for v, _ in points)
    return {day: median(values) - overall for day, values in by_day.items()}


def _regime(points: Sequence[Point]) -> tuple[list[Point], list[Point]]:
    """Split at the newest level shift: (before, since). A shift is SHIFT_AFTER or more anomalies in the same
    direction in a row, allowing one unflagged run between two of them (a shifted level still has noise).
    Since a shift, the shift's own anomalies count as normal: they are the new level."""
    shift: tuple[int, int] | None = None
    index = 0
    while index < len(points):
        if not points[index].anomalous:
            index += 1
            continue
        direction, flagged, end, cursor = points[index].direction, 0, index, index
        while cursor < len(points):
            point = points[cursor]
            if point.anomalous and point.direction == direction:
                flagged, end = flagged + 1, cursor + 1
            elif (
                point.anomalous
                or cursor + 1 >= len(points)
                or not (points[cursor + 1].anomalous and points[cursor + 1].direction == direction)
            ):
                break
            cursor += 1
        if flagged >= SHIFT_AFTER:
            shift = (index, end)
        index = end
    if shift is None:
        return [], list(points)
    start, end = shift
    return list(points[:start]), [replace(p, anomalous=False) for p in points[start:end]] + list(points[end:])


def judge(
    metric: str,
    value: float,
    at: datetime,
    history: Sequence[Point],
    config: AnomalyConfig | None = None,
) -> Verdict:
    """Judge `value` (observed at `at`) against `history`: the job's previous comparable runs, oldest first,
    never the judged run itself, failed runs already left out. Longer history than `config.window` only feeds
    the day-of-week offsets."""
    config = config or AnomalyConfig()
    policy = config.policy(metric)
    before, since = _regime(history)
    clean_since = [p for p in since if not p.anomalous]
    clean_before = [p for p in before if not p.anomalous]
    if len(clean_since) >= config.min_history or not clean_before:
        level_points, scale_points = clean_since, clean_since
    else:  # just after a level shift: the new level, with the spread learned before it
        level_points, scale_points = clean_since, clean_before
    if len(scale_points) < config.min_history or not level_points:
        return Verdict(metric, "learning", value, len(clean_since) + len(clean_before))

    # The weekday profile is a median per weekday over every run since the regime began, flagged ones too: a
    # weekday that is simply busier would otherwise be flagged while learning and never teach its own level.
    # Offsets are relative (log scale), so a level shift leaves them valid: learn them over the whole history.
    offsets = weekday_offsets([(_forward(p.value, policy.log_scale), p.at) for p in history])
    seasonal = offsets is not None and at.weekday() in offsets
    if not seasonal:
        offsets = None

    def adjusted(points: Sequence[Point]) -> list[float]:
        return [
            _forward(p.value, policy.log_scale) - (offsets.get(p.at.weekday(), 0.0) if offsets else 0.0) for p in points
        ][-config.window :]

    center, _ = robust_center_scale(adjusted(level_points), policy.min_sigma)
    _, sigma = robust_center_scale(adjusted(scale_points), policy.min_sigma)
    if offsets:
        center += offsets[at.weekday()]

    observed = _forward(value, policy.log_scale)
    score = (observed - center) / sigma
    expected_median = _back(center, policy.log_scale)
    margin = max(policy.min_abs_change, policy.min_rel_change * abs(expected_median))
    high = max(_back(center + config.sensitivity * sigma, policy.log_scale), expected_median + margin)
    low = max(0.0, min(_back(center - config.sensitivity * sigma, policy.log_scale), expected_median - margin))
    direction: Literal["HIGH", "LOW"] = "HIGH" if score > 0 else "LOW"
    allowed = policy.direction == "both" or policy.direction == direction.lower()
    outside = value > high if direction == "HIGH" else value < low
    verdict = Verdict(
        metric,
        "normal",
        value,
        len(level_points),
        expected_low=low,
        expected_high=high,
        median=expected_median,
        score=round(score, 4),
        direction=direction,
        seasonal=seasonal,
    )
    if allowed and outside and abs(score) >= config.sensitivity:
        level: Literal["warn", "error"] = "error" if abs(score) >= config.sensitivity * config.error_factor else "warn"
        return replace(verdict, status="anomaly", level=level)
    return verdict


def freshness_history(write_times: Sequence[datetime]) -> list[Point]:
    """Intervals between successive successful writes of a dataset, as points at the later write."""
    ordered = sorted(write_times)
    return [Point((later - earlier).total_seconds(), later) for earlier, later in pairwise(ordered)]


def judge_freshness(write_times: Sequence[datetime], now: datetime, config: AnomalyConfig | None = None) -> Verdict:
    """Stale when the time since the newest successful write is far above the usual interval."""
    history = freshness_history(write_times)
    if not write_times:
        return Verdict("freshness", "learning", 0.0, 0)
    age = (now - max(write_times)).total_seconds()
    return judge("freshness", age, now, history, config)


def replay(
    metric: str,
    points: Sequence[Point],
    config: AnomalyConfig | None = None,
    *,
    history_runs: int = 90,
    start: int = 0,
) -> list[Verdict]:
    """The verdict of each point from `start` on (oldest first) against the points before it, as `judge` gave
    it when that run completed: what a job's chart draws as its band of normal. `history_runs` bounds each
    baseline's input, as evaluation does (the level uses the newest `config.window`, the weekday profile all)."""
    return [
        judge(metric, points[index].value, points[index].at, points[max(0, index - history_runs) : index], config)
        for index in range(start, len(points))
    ]


def band(metric: str, at: datetime, history: Sequence[Point], config: AnomalyConfig | None = None) -> Verdict:
    """The band a run of this job completing at `at` would be judged against (its value does not move the band):
    the verdict of a hypothetical run at the history's median."""
    value = median(p.value for p in history) if history else 0.0
    return judge(metric, value, at, history, config)
