"""SLA rules, pure: an SLA is a latest arrival time of day (UTC) and/or a maximum age."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def parse_arrival(value: str) -> time:
    match = _HHMM.match(value)
    if not match:
        raise ValueError(f"latestArrival {value!r} must be a time of day as HH:MM (UTC), e.g. 06:30")
    return time(int(match.group(1)), int(match.group(2)))


def is_late(sla: dict[str, Any] | None, last_success_at: datetime | None, now: datetime) -> bool:
    """Late when the newest successful write is older than the maximum age, or when today's arrival time
    has passed without a successful write since it was last due."""
    if not sla:
        return False
    max_age = sla.get("maxAgeMinutes")
    if max_age and (last_success_at is None or now - last_success_at > timedelta(minutes=int(max_age))):
        return True
    arrival = sla.get("latestArrival")
    if arrival:
        due_today = datetime.combine(now.date(), parse_arrival(arrival), tzinfo=now.tzinfo)
        if now >= due_today:
            # Due today: something must have landed since the previous day's deadline.
            window_start = due_today - timedelta(days=1)
            return last_success_at is None or last_success_at <= window_start
    return False


def next_due(sla: dict[str, Any] | None, last_success_at: datetime | None, now: datetime) -> datetime | None:
    """When the data must next land, or None without an SLA."""
    if not sla:
        return None
    candidates = []
    max_age = sla.get("maxAgeMinutes")
    if max_age:
        candidates.append((last_success_at or now) + timedelta(minutes=int(max_age)))
    arrival = sla.get("latestArrival")
    if arrival:
        due = datetime.combine(now.date(), parse_arrival(arrival), tzinfo=now.tzinfo)
        candidates.append(due if due > now else due + timedelta(days=1))
    return min(candidates) if candidates else None
