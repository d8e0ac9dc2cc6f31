"""Pure graph logic over nodes and edges: traversal with explicit bounds, grouping, impact ordering.

Nodes are opaque hashable keys; edges point in the direction data flows (dataset → job → dataset).
No database here: these functions are unit-tested on hand-built graphs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

K = TypeVar("K", bound=Hashable)
Direction = Literal["upstream", "downstream", "both"]

# Far beyond any real pipeline; keeps a runaway request bounded even when the caller asks for "unbounded".
MAX_DEPTH = 10_000


@dataclass
class Graph(Generic[K]):
    # Neighbours: sets while edges are added, tuples once compacted (a third of the memory of small sets).
    downstream: dict[K, set[K] | tuple[K, ...]] = field(default_factory=dict)
    upstream: dict[K, set[K] | tuple[K, ...]] = field(default_factory=dict)

    def add_edge(self, source: K, target: K) -> None:
        _link(self.downstream, source, target)
        _link(self.upstream, target, source)

    def compact(self) -> None:
        """Store every node's neighbours as a tuple. Adding an edge later turns that node's back into a set."""
        for adjacency in (self.downstream, self.upstream):
            for node, neighbours in adjacency.items():
                if isinstance(neighbours, set):
                    adjacency[node] = tuple(neighbours)

    @classmethod
    def from_edges(cls, edges: Iterable[tuple[K, K]]) -> Graph[K]:
        graph: Graph[K] = cls()
        for source, target in edges:
            graph.add_edge(source, target)
        return graph

    def edges_among(self, nodes: Collection[K]) -> list[tuple[K, K]]:
        return [(s, t) for s in nodes for t in self.downstream.get(s, ()) if t in nodes]


def _link(adjacency: dict[K, set[K] | tuple[K, ...]], node: K, neighbour: K) -> None:
    neighbours = adjacency.get(node)
    if neighbours is None:
        adjacency[node] = {neighbour}
    elif isinstance(neighbours, set):
        neighbours.add(neighbour)
    elif neighbour not in neighbours:
        adjacency[node] = {*neighbours, neighbour}


@dataclass(frozen=True)
class Traversal(Generic[K]):
    distances: dict[K, int]  # hops from the nearest start node
    truncated: bool  # the node limit cut the walk short


def traverse(
    graph: Graph[K],
    starts: Iterable[K],
    direction: Direction,
    *,
    max_depth: int | None,
    max_nodes: int | None = None,
    stop_at: Mapping[K, bool] | None = None,
) -> Traversal[K]:
    """Breadth-first walk from `starts`. Cycles and self-loops are safe: a node is visited once.

    `stop_at` marks nodes that are reported but not walked past (backward tracing stops at a culprit).
    """
    depth_limit = MAX_DEPTH if max_depth is None else min(max_depth, MAX_DEPTH)
    distances: dict[K, int] = {}
    queue: deque[K] = deque()
    for start in starts:
        if start not in distances:
            distances[start] = 0
            queue.append(start)
    adjacency = []
    if direction in ("downstream", "both"):
        adjacency.append(graph.downstream)
    if direction in ("upstream", "both"):
        adjacency.append(graph.upstream)
    truncated = False
    while queue:
        node = queue.popleft()
        distance = distances[node]
        if distance >= depth_limit or (stop_at and distance > 0 and stop_at.get(node)):
            continue
        for neighbours in adjacency:
            for neighbour in neighbours.get(node, ()):
                if neighbour in distances:
                    continue
                if max_nodes is not None and len(distances) >= max_nodes:
                    truncated = True
                    continue
                distances[neighbour] = distance + 1
                queue.append(neighbour)
    return Traversal(distances=distances, truncated=truncated)


def collapse_groups(
    nodes: set[K], edges: Iterable[tuple[K, K]], group_of: Mapping[K, K], expanded: set[K]
) -> tuple[dict[K, set[K]], list[tuple[K, K]]]:
    """Replace members of collapsed groups by their group: returns {shown node: members} and the edges
    between shown nodes (deduplicated, no self-loops). Members of expanded groups stay themselves."""
    shown_as: dict[K, K] = {}
    members: dict[K, set[K]] = {}
    for node in nodes:
        group = group_of.get(node)
        target = group if group is not None and group not in expanded else node
        shown_as[node] = target
        members.setdefault(target, set())
        if target != node:
            members[target].add(node)
    collapsed: set[tuple[K, K]] = set()
    for source, target in edges:
        a, b = shown_as.get(source, source), shown_as.get(target, target)
        if a != b:
            collapsed.add((a, b))
    try:
        return members, sorted(collapsed)
    except TypeError:  # keys that do not order among themselves
        return members, sorted(collapsed, key=repr)


CRITICALITY_ORDER = {"critical": 4, "high": 3, "medium": 2, "low": 1}


def criticality_at_least(value: str | None, level: str) -> bool:
    return CRITICALITY_ORDER.get((value or "").lower(), 0) >= CRITICALITY_ORDER[level.lower()]


def impact_sort_key(distance: int, criticality: str | None, sla_bound: bool, name: str) -> tuple[int, int, int, str]:
    """Critical and SLA-bound consumers first, then the nearest."""
    return (-CRITICALITY_ORDER.get((criticality or "").lower(), 0), 0 if sla_bound else 1, distance, name)
