"""Traversal on hand-built graphs: cycles, diamonds, self-loops, depth and node bounds, grouping."""

from __future__ import annotations

import itertools

from lineage_backend.graph.traversal import Graph, collapse_groups, impact_sort_key, traverse


def chain(*nodes: str) -> list[tuple[str, str]]:
    return list(itertools.pairwise(nodes))


def test_downstream_upstream_and_both_with_distances() -> None:
    graph = Graph.from_edges(chain("a", "j1", "b", "j2", "c"))
    assert traverse(graph, ["b"], "downstream", max_depth=None).distances == {"b": 0, "j2": 1, "c": 2}
    assert traverse(graph, ["b"], "upstream", max_depth=None).distances == {"b": 0, "j1": 1, "a": 2}
    assert set(traverse(graph, ["b"], "both", max_depth=1).distances) == {"b", "j1", "j2"}


def test_depth_bound() -> None:
    graph = Graph.from_edges(chain(*"abcdefg"))
    assert set(traverse(graph, ["a"], "downstream", max_depth=3).distances) == set("abcd")
    assert traverse(graph, ["a"], "downstream", max_depth=0).distances == {"a": 0}


def test_cycles_and_self_loops_terminate() -> None:
    graph = Graph.from_edges([("a", "b"), ("b", "c"), ("c", "a"), ("b", "b")])
    result = traverse(graph, ["a"], "both", max_depth=None)
    assert result.distances == {"a": 0, "b": 1, "c": 1}


def test_diamond_takes_the_shortest_distance() -> None:
    graph = Graph.from_edges([("s", "l1"), ("l1", "l2"), ("l2", "t"), ("s", "r"), ("r", "t")])
    assert traverse(graph, ["s"], "downstream", max_depth=None).distances["t"] == 2


def test_node_bound_reports_truncation() -> None:
    graph = Graph.from_edges([("hub", f"leaf{i}") for i in range(100)])
    result = traverse(graph, ["hub"], "downstream", max_depth=None, max_nodes=10)
    assert len(result.distances) == 10 and result.truncated
    assert not traverse(graph, ["hub"], "downstream", max_depth=None, max_nodes=1000).truncated


def test_stop_at_reports_but_does_not_walk_past() -> None:
    graph = Graph.from_edges(chain("raw", "j0", "mid", "j", "report"))
    walked = traverse(graph, ["report"], "upstream", max_depth=None, stop_at={"mid": True})
    assert set(walked.distances) == {"report", "j", "mid"}


def test_several_starts() -> None:
    graph = Graph.from_edges(chain("a", "b", "c") + chain("x", "y"))
    assert traverse(graph, ["a", "x"], "downstream", max_depth=1).distances == {"a": 0, "x": 0, "b": 1, "y": 1}


def test_collapse_groups_merges_members_and_drops_inner_edges() -> None:
    edges = [("in", "dag.t1"), ("dag.t1", "mid"), ("mid", "dag.t2"), ("dag.t2", "out"), ("dag.t1", "dag.t2")]
    nodes = {"in", "dag.t1", "mid", "dag.t2", "out"}
    group_of = {"dag.t1": "dag", "dag.t2": "dag"}
    members, collapsed = collapse_groups(nodes, edges, group_of, expanded=set())
    assert members["dag"] == {"dag.t1", "dag.t2"}
    assert set(collapsed) == {("in", "dag"), ("dag", "mid"), ("mid", "dag"), ("dag", "out")}
    members, expanded = collapse_groups(nodes, edges, group_of, expanded={"dag"})
    assert "dag" not in members and set(expanded) == set(edges)


def test_impact_order_puts_critical_and_sla_bound_first() -> None:
    items = [
        ("far-critical", 5, "critical", False),
        ("near-low", 1, "low", False),
        ("near-sla", 2, None, True),
        ("near-none", 1, None, False),
    ]
    ordered = sorted(items, key=lambda i: impact_sort_key(i[1], i[2], i[3], i[0]))
    assert [i[0] for i in ordered] == ["far-critical", "near-low", "near-sla", "near-none"]


def test_compacted_graph_walks_the_same_and_still_takes_edges() -> None:
    edges = [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d"), ("d", "a"), ("d", "d")]
    loose = Graph.from_edges(edges)
    compact = Graph.from_edges(edges)
    compact.compact()
    assert all(isinstance(n, tuple) for n in [*compact.downstream.values(), *compact.upstream.values()])
    for direction in ("downstream", "upstream", "both"):
        assert traverse(compact, ["a"], direction, max_depth=None) == traverse(loose, ["a"], direction, max_depth=None)
    assert sorted(compact.edges_among({"a", "b", "c", "d"})) == sorted(loose.edges_among({"a", "b", "c", "d"}))
    compact.add_edge("a", "b")  # already there: no duplicate
    compact.add_edge("a", "e")
    assert sorted(compact.downstream["a"]) == ["b", "c", "e"] and compact.upstream["e"] == {"a"}
    assert traverse(compact, ["a"], "downstream", max_depth=1).distances == {"a": 0, "b": 1, "c": 1, "e": 1}
