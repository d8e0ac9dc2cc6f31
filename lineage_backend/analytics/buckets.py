"""UTC time buckets: minute, hour, day, week (ISO, Monday) and month, with every bucket of a range listed."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Literal

Granularity = Literal["minute", "hour", "day", "week", "month"]
GRANULARITIES: tuple[Granularity, ...] = ("minute", "hour", "day", "week", "month")
MAX_BUCKETS = 5000


def as_utc(moment: datetime) -> datetime:
    """Aware UTC; a naive time is taken as UTC (as ingestion does)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def bucket_start(moment: datetime, granularity: Granularity) -> datetime:
    """The start of the UTC bucket holding `moment`."""
    moment = as_utc(moment)
    if granularity == "minute":
        return moment.replace(second=0, microsecond=0)
    if granularity == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if granularity == "day":
        return day
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_bucket(start: datetime, granularity: Granularity) -> datetime:
    if granularity == "minute":
        return start + timedelta(minutes=1)
    if granularity == "hour":
        return start + timedelta(hours=1)
    if granularity == "day":
        return start + timedelta(days=1)
    if granularity == "week":
        return start + timedelta(weeks=1)
    return start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)


def bucket_starts(start: datetime, end: datetime, granularity: Granularity) -> list[datetime]:
    """Every bucket that overlaps [start, end), oldest first (empty ones too, so that charts do not lie)."""
    start, end = as_utc(start), as_utc(end)
    buckets: list[datetime] = []
    current = bucket_start(start, granularity)
    while current < end:
        buckets.append(current)
        if len(buckets) > MAX_BUCKETS:
            raise ValueError(
                f"{granularity} buckets over this range exceed {MAX_BUCKETS}: choose a coarser granularity "
                "or a shorter range"
            )
        current = next_bucket(current, granularity)
    return buckets


def count_buckets(start: datetime, end: datetime, granularity: Granularity) -> int:
    return len(bucket_starts(start, end, granularity))
