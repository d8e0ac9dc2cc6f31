"""The answer JSON kept per node: the same as writing it afresh, and a node that cannot be written does not
stop the others (the graph index calls prepare_node_json for every node it loads)."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

import orjson
import pytest

from lineage_backend.graph.details import NodeDetails, RunSummary
from lineage_backend.services import graph as graph_service


def node(key: int, name: str, **details: object) -> NodeDetails:
    return NodeDetails(key, f"dataset:pg:{name}", "DATASET", "pg", name, None, **details)  # type: ignore[arg-type]


def fresh(document: dict[str, object]) -> object:
    return orjson.loads(orjson.dumps(document, option=orjson.OPT_UTC_Z))


RUN = RunSummary("r-1", "FAILED", datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc), None)


@pytest.mark.parametrize("distance", [0, 3, 100, 5000])
def test_kept_json_reads_as_written_afresh(distance: int) -> None:
    info = node(
        3,
        'odd "name" \\ é \u2028',
        owners=("team:a",),
        tags=("pii",),
        criticality="high",
        sla={"max_age_minutes": 90},
        latest_run=RUN,
        rows_written=12,
    )
    graph_service.prepare_node_json([info])
    assert info.json_tail is not None and info.impact_json_tail is not None
    assert orjson.loads(graph_service._plain_node_json(info, distance)) == fresh(
        graph_service._node_json(info, distance, (), {})
    )
    assert orjson.loads(graph_service._distance_field(distance) + graph_service._impact_tail(info)) == fresh(
        graph_service._impact_item(info, distance, [])
    )
    other = node(5, "plain")
    edge = orjson.loads(graph_service._plain_edge_json(info, other))
    assert edge == fresh(graph_service._edge_json(info.id, other.id))
    assert edge["id"] == f"{info.id}->{other.id}"


def test_a_node_that_cannot_be_written_leaves_the_others(caplog: pytest.LogCaptureFixture) -> None:
    bad = node(3, "bad", sla={"max_age_minutes": "ninety"})  # not what an edit could store
    good = node(5, "good", latest_run=RUN)
    with caplog.at_level(logging.ERROR):
        graph_service.prepare_node_json([bad, good, node(7, "bad too", sla={"max_age_minutes": "x"})])
    assert good.json_tail is not None and good.impact_json_tail is not None
    assert bad.json_tail is None
    assert "dataset:pg:bad" in caplog.text and "2 nodes" in caplog.text
