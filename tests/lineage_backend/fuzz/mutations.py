"""Hypothesis strategies that damage real OpenLineage events the way broken producers and attackers do.

A mutation picks a place in the event (any key or list item, at any depth) and removes it, changes its
type, gives it an odd or huge string, nests it very deep, or adds a facet of nonsense; `eventTime` gets
its own list of wrong formats. Each example applies one to three of them to one real event.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import strategies as st

Path = tuple[str | int, ...]

# Facet keys that ingestion and the read views interpret, so nonsense under them reaches real code.
KNOWN_FACETS = (
    "parent",
    "parentRun",
    "errorMessage",
    "nominalTime",
    "flowlytics_stats",
    "tags",
    "ownership",
    "documentation",
    "jobType",
    "airflow",
    "airflowDagRun",
    "airflowState",
    "sql",
    "schema",
    "symlinks",
    "columnLineage",
    "dataQualityAssertions",
    "dataQualityMetrics",
    "inputStatistics",
    "outputStatistics",
    "processing_engine",
)
FACET_HOMES: tuple[Path, ...] = (("run", "facets"), ("job", "facets"))
ODD_TIMES = (
    "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
    "9999-12-31T23:59:59-01:00",  # after year 9999 in UTC
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999999Z",
    "2024-02-30T12:00:00Z",
    "2024-05-01T24:00:00Z",
    "2024-05-01T12:00:00+25:00",
    "2024-05-01",
    "2024-05-01 12:00",
    "20240501T120000Z",
    "1714564800",
    "2024-05-01T12:00:00.123456789012345Z",
    "2024-W18-3T12:00:00Z",
    "   ",
    "",
    "2024-05-01T12:00:00Z\x00",
    "\uff12\uff10\uff12\uff14-05-01T12:00:00Z",  # full-width digits
    "yesterday",
)


def json_values(max_leaves: int = 8) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**63), max_value=2**64 - 1),
        st.floats(allow_nan=False, allow_infinity=False),
        odd_strings(),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(("a", "name", "type", "tags", "")), inner)
        ),
        max_leaves=max_leaves,
    )


def odd_strings() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=40),  # any unicode, NUL and control characters included (no lone surrogates: not JSON)
        st.sampled_from(("", " ", "\x00", "null", "'; DROP TABLE flowlytics_run; --", "<img src=x onerror=1>")),
        st.sampled_from(("\u202eevil", "😀" * 300, "a\u0301" * 50, "\ufeffBOM", "\r\n\t")),
        st.integers(min_value=1001, max_value=70_000).map(lambda n: "x" * n),
        st.integers(min_value=300, max_value=2000).map(lambda n: "é" * n),
    )


def paths(document: Any, prefix: Path = ()) -> list[Path]:
    """Every place in a JSON document, as the keys and indexes that lead to it."""
    found: list[Path] = []
    if isinstance(document, dict):
        for key, value in document.items():
            found.append((*prefix, key))
            found.extend(paths(value, (*prefix, key)))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found.append((*prefix, index))
            found.extend(paths(value, (*prefix, index)))
    return found


def _parent(document: Any, path: Path) -> Any:
    for step in path[:-1]:
        document = document[step]
    return document


def _nest(value: Any, depth: int, in_lists: bool) -> Any:
    for _ in range(depth):
        value = [value] if in_lists else {"n": value}
    return value


@st.composite
def mutation(draw: st.DrawFn, event: dict[str, Any]) -> tuple[str, Path]:
    """Applies one mutation to `event` in place; returns what it did, for the failure report."""
    kind = draw(st.sampled_from(("remove", "retype", "string", "nest", "event_time", "facet", "facet")))
    if kind == "event_time":
        value = draw(st.one_of(st.sampled_from(ODD_TIMES), json_values(2)))
        event["eventTime"] = value
        return (f"eventTime = {value!r:.60}", ("eventTime",))
    if kind == "facet":
        homes = [home for home in FACET_HOMES if isinstance(_get(event, home[:-1]), dict)]
        for key in ("inputs", "outputs"):
            for index, item in enumerate(event.get(key) or []):
                if isinstance(item, dict):
                    homes.append((key, index, "facets"))
                    homes.append((key, index, "inputFacets" if key == "inputs" else "outputFacets"))
        if "dataset" in event and isinstance(event["dataset"], dict):
            homes.append(("dataset", "facets"))
        if homes:
            home = draw(st.sampled_from(homes))
            name = draw(st.one_of(st.sampled_from(KNOWN_FACETS), st.text(max_size=10)))
            value = draw(st.one_of(json_values(), st.dictionaries(st.sampled_from(_FACET_FIELDS), json_values(4))))
            container = _get(event, home[:-1])
            if not isinstance(container.get(home[-1]), dict):
                container[home[-1]] = {}
            container[home[-1]][name] = value
            return (f"facet {name!r} = {value!r:.80}", (*home, name))
    places = paths(event)
    if not places:
        return ("nothing to mutate", ())
    path = draw(st.sampled_from(places))
    parent = _parent(event, path)
    step = path[-1]
    if kind == "remove":
        del parent[step]
        return ("removed", path)
    if kind == "retype":
        parent[step] = draw(json_values())
    elif kind == "string":
        parent[step] = draw(odd_strings())
    else:
        parent[step] = _nest(parent[step], draw(st.integers(min_value=30, max_value=400)), draw(st.booleans()))
    return (f"{kind}: {parent[step]!r:.80}", path)


# Field names that the facets ingestion reads carry, so that a nonsense facet reaches those readers.
_FACET_FIELDS = (
    "run",
    "job",
    "root",
    "runId",
    "namespace",
    "name",
    "message",
    "nominalStartTime",
    "nominalEndTime",
    "tags",
    "key",
    "value",
    "owners",
    "description",
    "jobType",
    "integration",
    "dag",
    "dag_id",
    "taskInstance",
    "try_number",
    "log_url",
    "tasks",
    "tasksState",
    "dagRun",
    "run_id",
    "identifiers",
    "fields",
    "inputFields",
    "dataset",
    "transformations",
    "assertions",
    "success",
    "column",
    "rowCount",
    "size",
    "fileCount",
    "bytes",
    "columnMetrics",
    "rowsInserted",
    "rowsUpdated",
    "rowsInvalid",
    "dqFailedRows",
    "query",
    "criticality",
    "latestArrival",
)


def _get(document: Any, path: Path) -> Any:
    for step in path:
        if isinstance(document, dict) and isinstance(step, str):
            document = document.get(step)
        elif isinstance(document, list) and isinstance(step, int) and step < len(document):
            document = document[step]
        else:
            return None
    return document


class Mutated:
    def __init__(self, event: dict[str, Any], done: list[tuple[str, Path]]) -> None:
        self.event = event
        self.done = done

    def __repr__(self) -> str:  # a failure report shows the damage, not the whole (large) event
        return f"Mutated(done={self.done!r}, event={json.dumps(self.event, default=str)[:400]}...)"


@st.composite
def mutated_events(draw: st.DrawFn, events: list[dict[str, Any]]) -> Mutated:
    """One real event, damaged by one to three mutations."""
    event = copy.deepcopy(draw(st.sampled_from(events)))
    done = [draw(mutation(event)) for _ in range(draw(st.integers(min_value=1, max_value=3)))]
    return Mutated(event, done)
