"""Elementary's anomaly test (dbt-data-reliability 0.25), reimplemented for comparison only.

Expanding-window mean and sample standard deviation over the training period (default 14 days) *including the
judged value*, z = (x - mean) / stddev, anomalous when |z| > sensitivity (default 3, direction both). Consequence:
|z| can never exceed (n-1)/sqrt(n) (Samuelson), 3.47 for 14 points.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

TRAINING_DAYS = 14
SENSITIVITY = 3.0


def elementary_score(
    value: float, at: datetime, history: Sequence[tuple[float, datetime]], training_days: int = TRAINING_DAYS
) -> float | None:
    """Elementary's anomaly_score: None when the training set has one value, 0 when the stddev is 0."""
    since = at - timedelta(days=training_days)
    training = [v for v, t in history if since < t <= at] + [value]
    if len(training) < 2:
        return None
    mean = sum(training) / len(training)
    variance = sum((v - mean) ** 2 for v in training) / (len(training) - 1)
    stddev = math.sqrt(variance)
    if stddev == 0:
        return 0.0
    return (value - mean) / stddev


def elementary_is_anomalous(
    value: float,
    at: datetime,
    history: Sequence[tuple[float, datetime]],
    sensitivity: float = SENSITIVITY,
    training_days: int = TRAINING_DAYS,
) -> bool:
    score = elementary_score(value, at, history, training_days)
    return score is not None and abs(score) > sensitivity
