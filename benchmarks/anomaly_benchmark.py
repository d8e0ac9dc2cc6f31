"""Detection quality: Flowlytics' robust detector vs Elementary's z-score on the same labelled synthetic series.

    .venv/bin/python benchmarks/anomaly_benchmark.py            # 240 series x 210 daily runs, seed 12
    .venv/bin/python benchmarks/anomaly_benchmark.py --seed 7 --series 480

Series (one value per daily run, ~30 weeks): durations (log-normal noise, weekly seasonality on half of them,
slow drift, rare harmless wobbles of +-15 %), rows written (multiplicative noise, weekend dips, growth), and DQ
error rates (a low base rate with noise). Labelled anomalies injected at ~2 % of runs: duration spikes x2-x4, row
spikes x2.5-x5 and drops to 0-35 %, DQ bursts to 3-20 %; plus level shifts (x1.6-x2.2 or /2, kept afterwards)
whose first run is labelled anomalous and whose next two runs are not scored (an alert there is neither right nor
wrong: the shift is still news). The first 21 runs of a series are a burn-in, not scored, for both methods.

Both methods see the same previous values. Flowlytics gets the flags of its own earlier verdicts (anomalies do
not teach its baseline, as in production); Elementary uses every value in its 14-day window, the judged one
included (its method). Scores: precision, recall, F1 over labelled runs; false alarms per 1,000 normal runs.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lineage_backend.anomaly.detector import AnomalyConfig, Point, judge
from lineage_backend.anomaly.elementary import elementary_is_anomalous

RUNS = 210
BURN_IN = 21
START = datetime(2026, 1, 5, 2, 0, tzinfo=timezone.utc)  # a Monday


@dataclass
class Series:
    metric: str
    values: list[float]
    labels: list[str]  # "anomaly", "normal" or "skip"


def _weekly(rng: random.Random) -> list[float]:
    kind = rng.choice(["flat", "weekend", "monday"])
    if kind == "weekend":
        low = rng.uniform(0.45, 0.7)
        return [1, 1, 1, 1, 1, low, low]
    if kind == "monday":
        return [rng.uniform(1.3, 1.7), 1, 1, 1, 1, 1, 1]
    return [1.0] * 7


def _labels_and_shift(rng: random.Random, values: list[float], labels: list[str], factor: float) -> None:
    at = rng.randrange(BURN_IN + 30, RUNS - 20)
    for i in range(at, RUNS):
        values[i] *= factor
    labels[at] = "anomaly"
    labels[at + 1] = labels[at + 2] = "skip"


def make_series(rng: random.Random, metric: str) -> Series:
    labels = ["normal"] * RUNS
    seasonal = _weekly(rng) if rng.random() < 0.5 else [1.0] * 7
    if metric == "durationSeconds":
        base, noise = rng.uniform(120, 4000), rng.uniform(0.04, 0.12)
        drift = rng.uniform(-0.001, 0.002)
        values = [
            base * seasonal[(START + timedelta(days=i)).weekday()] * math.exp(drift * i + rng.gauss(0, noise))
            for i in range(RUNS)
        ]
    elif metric == "rowsWritten":
        base, noise = 10 ** rng.uniform(4, 7), rng.uniform(0.02, 0.08)
        growth = rng.uniform(0, 0.003)
        values = [
            base * seasonal[(START + timedelta(days=i)).weekday()] * math.exp(growth * i + rng.gauss(0, noise))
            for i in range(RUNS)
        ]
    else:
        base = rng.uniform(0.0, 0.004)
        values = [max(0.0, base + rng.gauss(0, 0.001)) for _ in range(RUNS)]
    for i in range(RUNS):  # harmless wobbles: not anomalies
        if rng.random() < 0.03 and metric != "dqErrorRate":
            values[i] *= rng.choice([0.87, 1.15])
    if metric != "dqErrorRate" and rng.random() < 0.3:
        _labels_and_shift(rng, values, labels, rng.choice([rng.uniform(1.6, 2.2), 0.5]))
    for i in range(BURN_IN, RUNS):
        if labels[i] != "normal" or rng.random() >= 0.02:
            continue
        labels[i] = "anomaly"
        if metric == "durationSeconds":
            values[i] *= rng.uniform(2.0, 4.0)
        elif metric == "rowsWritten":
            values[i] *= rng.uniform(2.5, 5.0) if rng.random() < 0.4 else rng.uniform(0.0, 0.35)
        else:
            values[i] = rng.uniform(0.03, 0.2)
    for i in range(BURN_IN):
        labels[i] = "skip"
    return Series(metric, values, labels)


def flowlytics_flags(series: Series, config: AnomalyConfig) -> list[bool]:
    history: list[Point] = []
    flags = []
    for i, value in enumerate(series.values):
        at = START + timedelta(days=i)
        verdict = judge(series.metric, value, at, history[-90:], config)
        flags.append(verdict.is_anomaly)
        history.append(Point(value, at, anomalous=verdict.is_anomaly, direction=verdict.direction))
    return flags


def elementary_flags(series: Series) -> list[bool]:
    history: list[tuple[float, datetime]] = []
    flags = []
    for i, value in enumerate(series.values):
        at = START + timedelta(days=i)
        flags.append(elementary_is_anomalous(value, at, history))
        history.append((value, at))
    return flags


def score(series_list: list[Series], flags_list: list[list[bool]]) -> dict[str, float]:
    tp = fp = fn = normal = 0
    for series, flags in zip(series_list, flags_list, strict=True):
        for label, flag in zip(series.labels, flags, strict=True):
            if label == "anomaly":
                tp += flag
                fn += not flag
            elif label == "normal":
                normal += 1
                fp += flag
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "falseAlarmsPer1000": 1000 * fp / normal if normal else 0.0,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "normalRuns": normal,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--series", type=int, default=240, help="series in all, split over the three metrics")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    metrics = ["durationSeconds", "rowsWritten", "dqErrorRate"]
    series_list = [make_series(rng, metrics[i % 3]) for i in range(args.series)]
    config = AnomalyConfig()
    started = time.perf_counter()
    ours = [flowlytics_flags(s, config) for s in series_list]
    ours_seconds = time.perf_counter() - started
    theirs = [elementary_flags(s) for s in series_list]
    print(f"anomaly benchmark: {args.series} series x {RUNS} runs, seed {args.seed}, burn-in {BURN_IN}")
    header = ["F1", "prec", "recall", "FA/1000", "tp", "fp", "fn"]
    print(f"{'method':<34} {'metric':<16} " + " ".join(f"{h:>{8 if h == 'FA/1000' else 6}}" for h in header))
    rows = []
    for name, flags in (("flowlytics (median/MAD, sens 3.5)", ours), ("elementary (z, 14 d, sens 3)", theirs)):
        for metric in [*metrics, "all"]:
            chosen = [i for i, s in enumerate(series_list) if metric == "all" or s.metric == metric]
            figures = score([series_list[i] for i in chosen], [flags[i] for i in chosen])
            rows.append((name, metric, figures))
            print(
                f"{name:<34} {metric:<16} {figures['f1']:6.3f} {figures['precision']:6.3f} {figures['recall']:6.3f} "
                f"{figures['falseAlarmsPer1000']:8.2f} {figures['tp']:5d} {figures['fp']:5d} {figures['fn']:5d}"
            )
    runs = sum(len(s.values) for s in series_list)
    print(f"flowlytics judged {runs} runs in {ours_seconds:.2f} s ({1e6 * ours_seconds / runs:.0f} us per run)")
    ours_all = next(f for n, m, f in rows if n.startswith("flowlytics") and m == "all")
    theirs_all = next(f for n, m, f in rows if n.startswith("elementary") and m == "all")
    met = ours_all["f1"] >= 0.85 and ours_all["falseAlarmsPer1000"] <= 1.0 and ours_all["f1"] > theirs_all["f1"]
    verdict = "met" if met else "NOT met"
    print(f"targets (F1 >= 0.85, <= 1 false alarm per 1,000 normal runs, better F1 than Elementary): {verdict}")
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
