"""Lineage graph, impact analysis and search over the graph index and the node tables."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime, timezone
from itertools import chain
from typing import Any, Literal

import orjson
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from lineage_backend.api.schemas import (
    AnnotationModel,
    FieldModel,
    ImpactSummary,
    SearchItem,
    SearchResponse,
    SlaModel,
)
from lineage_backend.auth import Principal
from lineage_backend.errors import InvalidParameterError, NotFoundError
from lineage_backend.graph.details import NodeDetails
from lineage_backend.graph.index import GraphIndex, dataset_key, graph_as_of, is_job_key, job_key, row_id
from lineage_backend.graph.sla import is_late
from lineage_backend.graph.traversal import Direction, collapse_groups, impact_sort_key, traverse
from lineage_backend.services.nodes import dataset_node_id, hidden_job, job_node_id, resolve_node
from lineage_backend.services.visibility import can_see_job, dag_jobs_clause, sees_every_job, visible_jobs_clause
from lineage_backend.store.models import ColumnEdge, Dataset, Job, LineageEdge, RawEvent, Run, RunDataset

DEFAULT_MAX_NODES = 2000

log = logging.getLogger(__name__)

# Graph and impact answers are built as JSON-ready dicts shaped as GraphResponse / ImpactResponse (camelCase
# keys): validating thousands of pydantic items per request cost more than the whole walk. The routes send
# them as they are; tests/lineage_backend/api/test_graph_routes.py checks they round-trip through the models.
Json = dict[str, Any]


def _dataset_fields(dataset_ids: list[int], *, session: Session) -> dict[int, list[Json]]:
    """Schema fields, for column-level lineage (not kept in the index: column graphs are small)."""
    fields: dict[int, list[Json]] = {}
    for start in range(0, len(dataset_ids), 500):
        chunk = dataset_ids[start : start + 500]
        for dataset_id, schema in session.execute(
            select(Dataset.id, Dataset.facets["schema"]).where(Dataset.id.in_(chunk))
        ):
            fields[dataset_id] = [
                FieldModel(name=str(f.get("name")), type=f.get("type")).model_dump(mode="json", by_alias=True)
                for f in (schema or {}).get("fields") or []
                if isinstance(f, dict) and f.get("name")
            ]
    return fields


def _latest_run(node: NodeDetails) -> Json | None:
    run = node.latest_run
    if run is None:
        return None
    return {"runId": run.run_id, "state": run.state, "startedAt": run.started_at, "endedAt": run.ended_at}


def _sla(node: NodeDetails) -> Json | None:
    return SlaModel(**node.sla).model_dump(mode="json", by_alias=True) if node.sla else None


def _node_key(node_id: str, *, session: Session, principal: Principal, index: GraphIndex) -> tuple[int, str]:
    """The index key and canonical id of a node id: from memory when indexed, else from SQL (which also
    explains a malformed or unknown id). A job of a DAG the caller may not read is not found."""
    key = index.key_of(node_id)
    info = index.details.get(key) if key is not None else None
    if key is None or info is None:
        node = resolve_node(node_id, session=session, principal=principal)
        return index.canonical(job_key(node.row.id) if node.type == "JOB" else dataset_key(node.row.id)), node.id
    if info.type == "JOB" and not can_see_job(principal, info.namespace, info.dag_id):
        raise hidden_job(node_id)
    return index.canonical(key), info.id


def _root_keys(
    node_id: str | None, dag_id: str | None, *, session: Session, principal: Principal, index: GraphIndex
) -> list[int]:
    if bool(node_id) == bool(dag_id):
        raise InvalidParameterError("pass exactly one of nodeId (job:<ns>:<name> or dataset:<ns>:<name>) or dagId")
    if dag_id:
        query = select(Job.id).where(dag_jobs_clause(principal, dag_id, session=session))
        clause = visible_jobs_clause(principal)
        if clause is not None:
            query = query.where(clause)
        ids = session.execute(query).scalars().all()
        if not ids:
            raise NotFoundError(f"no lineage for DAG {dag_id!r}: it has sent no events, or you may not read it")
        return [job_key(i) for i in ids]
    assert node_id is not None
    return [_node_key(node_id, session=session, principal=principal, index=index)[0]]


def lineage_graph(
    *,
    session: Session,
    index: GraphIndex,
    principal: Principal,
    node_id: str | None,
    dag_id: str | None,
    direction: Direction,
    depth: int,
    as_of: datetime | None,
    collapse: bool,
    expand: list[str],
    max_nodes: int,
) -> Json:
    with index.current(session) as current:
        roots = _root_keys(node_id, dag_id, session=session, principal=principal, index=current)
        graph = graph_as_of(session, as_of, current.alias_of) if as_of else current.graph
        walk = traverse(graph, roots, direction, max_depth=depth, max_nodes=max_nodes)
        distances = walk.distances
        edges = graph.edges_among(distances)
        group_of = current.group_of if collapse else {}
        visible_groups = {k: group_of[k] for k in distances if k in group_of} if group_of else {}
        group_keys = set(visible_groups.values())
        all_aliases = current.aliases
        aliases = {k: all_aliases[k] for k in distances if k in all_aliases} if all_aliases else {}
        alias_keys = {a for keys in aliases.values() for a in keys}
        infos = current.details_including(chain(distances, group_keys, alias_keys), session=session)
        edge_notes = current.edge_notes

    hidden = _hidden_jobs(chain(distances, group_keys, alias_keys), infos, principal)
    shown: Collection[int] = distances.keys()
    if hidden or any(k not in infos for k in distances):  # (a node deleted by retention meanwhile)
        shown = {k for k in distances if k in infos and k not in hidden}
        edges = [(s, t) for s, t in edges if s in shown and t in shown]

    expand_ids = set(expand)
    expanded = {k for k in group_keys if k in infos and infos[k].id in expand_ids}
    visible_groups = {k: g for k, g in visible_groups.items() if k in shown and g in infos and g not in hidden}
    members: Mapping[int, Collection[int]]
    if visible_groups:
        members, shown_edges = collapse_groups(set(shown), edges, visible_groups, expanded)
    else:  # nothing to collapse: every node is itself
        members, shown_edges = dict.fromkeys(shown, _NO_MEMBERS), sorted((s, t) for s, t in edges if s != t)

    placed: list[tuple[tuple[int, str, str, str], bytes]] = []
    for key, inner in members.items():
        info = infos[key]
        distance = distances.get(key, 0)
        if inner or key in aliases or key in visible_groups:
            if inner:  # a collapsed group: as near as its nearest member (or itself)
                distance = min(distances.get(m, 10**9) for m in (*inner, key))
            node = _node_json(info, distance, aliases.get(key, ()), infos)
            if inner:
                node["isGroup"], node["childCount"] = True, len(inner)
            elif visible_groups.get(key) in expanded:  # a member of an expanded group
                node["parentId"] = infos[visible_groups[key]].id
            placed.append(((distance, info.type, info.namespace, info.name), _dumps(node)))
        else:
            placed.append(((distance, info.type, info.namespace, info.name), _plain_node_json(info, distance)))
    for group in expanded:
        if group not in members and any(visible_groups.get(k) == group for k in members):
            info = infos[group]
            node = _node_json(info, 0, (), infos)
            node["isGroup"], node["expanded"] = True, True
            node["childCount"] = sum(1 for k in members if visible_groups.get(k) == group)
            placed.append(((0, info.type, info.namespace, info.name), _dumps(node)))
    placed.sort(key=_first)

    edge_parts: list[bytes] = []
    for s, t in shown_edges:
        notes = edge_notes.get((infos[s].id, infos[t].id)) if edge_notes else None
        if notes:
            edge_parts.append(_dumps(_edge_json(infos[s].id, infos[t].id, annotations=_edge_annotations(notes))))
        else:
            edge_parts.append(_plain_edge_json(infos[s], infos[t]))

    def shown_as(key: int) -> int:
        group = visible_groups.get(key)
        return group if group is not None and group not in expanded else key

    root_ids = sorted({infos[shown_as(k)].id for k in roots if k in infos and k not in hidden})
    return {
        "rootIds": root_ids,
        "level": "job",
        "nodes": _json_array([node for _, node in placed]),
        "edges": _json_array(edge_parts),
        "truncated": walk.truncated,
    }


_NO_MEMBERS: frozenset[int] = frozenset()


def _hidden_jobs(keys: Iterable[int], infos: Mapping[int, NodeDetails], principal: Principal) -> set[int]:
    if sees_every_job(principal):
        return set()
    found = (infos[k] for k in keys if k in infos)
    return {
        info.key for info in found if info.type == "JOB" and not can_see_job(principal, info.namespace, info.dag_id)
    }


# A graph answer is mostly plain nodes and edges, the same bytes from one request to the next but for the
# node's distance: each node's JSON is written once and kept on its details (which are replaced, never
# changed, when the node changes), and the answer is spliced from such pieces. A 500-node answer is ~350 KB.


def _dumps(document: Json) -> bytes:
    return orjson.dumps(document, option=orjson.OPT_UTC_Z)


def _json_array(items: list[bytes]) -> orjson.Fragment:
    return orjson.Fragment(b"[%s]" % b",".join(items))


def _first(pair: tuple[Any, Any]) -> Any:
    return pair[0]


def _identity(info: NodeDetails, distance: int) -> Json:
    """The fields that graph nodes and impact items share, in their order."""
    return {"id": info.id, "type": info.type, "namespace": info.namespace, "name": info.name, "distance": distance}


def _impact_item(info: NodeDetails, distance: int, problems: list[str]) -> Json:
    """An ImpactItem, as JSON."""
    run = info.latest_run
    return {
        **_identity(info, distance),
        "owners": list(info.owners),
        "criticality": info.criticality,
        "sla": _sla(info),
        "lastRunState": run.state if run else None,
        "lastRunAt": (run.ended_at or run.started_at) if run else None,
        "problems": problems,
    }


def _impact_tail(info: NodeDetails) -> bytes:
    """An ImpactItem without problems, as JSON but for its opening and distance (kept: see
    prepare_node_json)."""
    tail = info.impact_json_tail
    if tail is None:
        document = _impact_item(info, 0, [])
        del document["distance"]
        tail = info.impact_json_tail = _dumps(document)[1:]  # a copy (see _escaped_id)
    return tail


def prepare_node_json(nodes: Iterable[NodeDetails]) -> None:
    """Write these nodes' graph-node and impact-item JSON now (the graph index calls this as it loads
    details): about 0.8 KB and 8 µs a node, ~80 MB and under a second for 100k nodes, so that the first
    answer around a node is as quick as the next ones (writing 500 nodes' JSON in a request doubled it)."""
    failed = 0
    for info in nodes:
        try:
            _plain_node_json(info, 0)
            _impact_tail(info)
            _escaped_id(info)
        except Exception:  # such a node fails the answers that show it, as it would anyway; not the index
            failed += 1
            if failed == 1:
                log.exception("could not write the answer JSON of %s", info.id)
    if failed > 1:
        log.error("could not write the answer JSON of %d nodes (the first logged above)", failed)


def _plain_node_json(info: NodeDetails, distance: int) -> bytes:
    """A node without aliases, group or parent, as GraphNodeResponse JSON."""
    tail = info.json_tail
    if tail is None:
        document = _node_json(info, 0, (), {})
        del document["distance"]
        tail = info.json_tail = _dumps(document)[1:]  # without its "{"; a copy (see _escaped_id)
    return _distance_field(distance) + tail


_DISTANCE_FIELDS = tuple(b'{"distance":%d,' % d for d in range(101))


def _distance_field(distance: int) -> bytes:
    """`{"distance":N,`, the start of a node or impact item."""
    return _DISTANCE_FIELDS[distance] if distance < len(_DISTANCE_FIELDS) else b'{"distance":%d,' % distance


_EDGE_REST = (  # after the target id
    b'","sourceField":null,"targetField":null,"transformationType":null,"transformationSubtype":null,"annotations":[]}'
)


def _plain_edge_json(source: NodeDetails, target: NodeDetails) -> bytes:
    """An edge without annotations or fields, as GraphEdgeResponse JSON."""
    a, b = _escaped_id(source), _escaped_id(target)
    return b"".join((b'{"id":"', a, b"->", b, b'","source":"', a, b'","target":"', b, _EDGE_REST))


def _escaped_id(info: NodeDetails) -> bytes:
    """The node id as inside a JSON string."""
    escaped = info.json_id
    if escaped is None:
        # A slice, not orjson's own bytes object, is kept: that one holds a few KB of spare capacity.
        escaped = info.json_id = orjson.dumps(info.id)[1:-1]
    return escaped


def _node_json(
    info: NodeDetails,
    distance: int,
    aliases: Collection[int],
    infos: Mapping[int, NodeDetails],
    fields: list[Json] | None = None,
) -> Json:
    """A GraphNodeResponse, as JSON."""
    return {
        **_identity(info, distance),
        "parentId": None,
        "isGroup": False,
        "expanded": False,
        "childCount": 0,
        "aliases": sorted(infos[a].id for a in aliases if a in infos) if aliases else [],
        "latestRun": _latest_run(info),
        "rowsWritten": info.rows_written,
        "owners": list(info.owners),
        "tags": list(info.tags),
        "criticality": info.criticality,
        "sla": _sla(info),
        "fields": fields or [],
    }


def _edge_json(source: str, target: str, **column: Any) -> Json:
    """A GraphEdgeResponse, as JSON."""
    return {
        "id": column.get("id") or f"{source}->{target}",
        "source": source,
        "target": target,
        "sourceField": column.get("source_field"),
        "targetField": column.get("target_field"),
        "transformationType": column.get("transformation_type"),
        "transformationSubtype": column.get("transformation_subtype"),
        "annotations": column.get("annotations") or [],
    }


def _edge_annotations(notes: list[dict[str, Any]]) -> list[Json]:
    return [AnnotationModel(**n).model_dump(mode="json", by_alias=True) for n in notes]


def column_graph(
    *,
    session: Session,
    index: GraphIndex,
    principal: Principal,
    node_id: str | None,
    dag_id: str | None,
    direction: Direction,
    depth: int,
    max_nodes: int,
) -> Json:
    """Field-to-field lineage: datasets with their fields, edges carrying fields and transformation."""
    with index.current(session) as current:
        roots = _root_keys(node_id, dag_id, session=session, principal=principal, index=current)
    start: set[int] = set()
    for key in roots:
        if is_job_key(key):  # a job's column lineage is that of the datasets it reads and writes
            start |= set(
                session.execute(select(LineageEdge.dataset_id).where(LineageEdge.job_id == row_id(key))).scalars()
            )
        else:
            start.add(row_id(key))
    distances = {dataset_id: 0 for dataset_id in start}
    frontier, rows, truncated = set(start), {}, False
    for level in range(1, depth + 1):
        if not frontier:
            break
        conditions = []
        if direction in ("downstream", "both"):
            conditions.append(ColumnEdge.input_dataset_id.in_(sorted(frontier)))
        if direction in ("upstream", "both"):
            conditions.append(ColumnEdge.output_dataset_id.in_(sorted(frontier)))
        found = session.execute(select(ColumnEdge).where(or_(*conditions))).scalars().all()
        frontier = set()
        for edge in found:
            rows[edge.id] = edge
            for dataset_id in (edge.input_dataset_id, edge.output_dataset_id):
                if dataset_id not in distances:
                    if len(distances) >= max_nodes:
                        truncated = True
                        continue
                    distances[dataset_id] = level
                    frontier.add(dataset_id)
    with index.current(session) as current:
        infos = current.details_of({dataset_key(d) for d in distances}, session=session)
    fields = _dataset_fields(sorted(distances), session=session)
    nodes = [
        _node_json(infos[dataset_key(d)], dist, (), infos, fields.get(d))
        for d, dist in distances.items()
        if dataset_key(d) in infos
    ]
    edges = []
    for e in rows.values():
        source, target = infos.get(dataset_key(e.input_dataset_id)), infos.get(dataset_key(e.output_dataset_id))
        if source is None or target is None:
            continue
        edges.append(
            _edge_json(
                source.id,
                target.id,
                id=f"{source.id}#{e.input_field}->{target.id}#{e.output_field}"
                f"#{e.transformation_type}/{e.transformation_subtype}",
                source_field=e.input_field or None,
                target_field=e.output_field or None,
                transformation_type=e.transformation_type or None,
                transformation_subtype=e.transformation_subtype or None,
            )
        )
    nodes.sort(key=lambda n: (n["distance"], n["namespace"], n["name"]))
    edges.sort(key=lambda e: e["id"])
    root_ids = [infos[dataset_key(d)].id for d in sorted(start) if dataset_key(d) in infos]
    return {"rootIds": root_ids, "level": "column", "nodes": nodes, "edges": edges, "truncated": truncated}


def impact(
    *,
    session: Session,
    index: GraphIndex,
    principal: Principal,
    node_id: str,
    depth: int | None,
    direction: Literal["downstream", "upstream"],
    limit: int | None = None,
    now: datetime | None = None,
) -> Json:
    """Downstream: everything that consumes this node, critical and SLA-bound first. Upstream (backward
    tracing): the producers, with the nearest failed, late or DQ-failing ones named as culprits (and listed
    first). `limit` keeps the first items only; the summary still counts them all."""
    now = now or datetime.now(timezone.utc)
    with index.current(session) as current:
        root, canonical_id = _node_key(node_id, session=session, principal=principal, index=current)
        walk = traverse(current.graph, [root], direction, max_depth=depth)
        distances = walk.distances
        details = current.details_including(distances, session=session)
    found = [details[k] for k in distances if k != root and k in details]
    infos = {info.key: info for info in found} if direction == "upstream" else {}
    problems = _problems(infos, session=session, now=now) if infos else {}
    culprit_walk = None
    if problems:
        with index.current(session) as current:  # the nearest problems: walk again, not past one
            culprit_walk = traverse(
                current.graph, [root], "upstream", max_depth=depth, stop_at=dict.fromkeys(problems, True)
            )
    visible = found
    if not sees_every_job(principal):
        visible = [
            info for info in found if info.type == "DATASET" or can_see_job(principal, info.namespace, info.dag_id)
        ]
    shown = {info.key for info in visible} if problems else set()
    culprit_keys = sorted(
        (k for k in problems if culprit_walk and k in culprit_walk.distances and k in shown),
        key=lambda k: (distances[k], infos[k].id),
    )
    if culprit_keys:
        first = dict.fromkeys(culprit_keys, 0)  # upstream: the culprits lead, so that a first page shows them
        visible.sort(
            key=lambda i: (
                first.get(i.key, 1),
                *impact_sort_key(distances[i.key], i.criticality, i.sla is not None, i.id),
            )
        )
    else:
        visible.sort(key=lambda i: impact_sort_key(distances[i.key], i.criticality, i.sla is not None, i.id))
    items: list[bytes] = []
    for info in visible if limit is None else visible[:limit]:
        if info.key in problems:
            items.append(_dumps(_impact_item(info, distances[info.key], problems[info.key])))
        else:
            items.append(_distance_field(distances[info.key]) + _impact_tail(info))
    culprits = [infos[k].id for k in culprit_keys]
    owners: Counter[str] = Counter()
    criticality: Counter[str] = Counter()
    datasets = sla_bound = 0
    for info in visible:  # one pass: a hub's blast radius is 10k+ nodes
        if info.owners:
            owners.update(info.owners)
        criticality[info.criticality or "unset"] += 1
        datasets += info.type == "DATASET"
        sla_bound += info.sla is not None
    summary = ImpactSummary(
        total=len(visible),
        datasets=datasets,
        jobs=len(visible) - datasets,
        by_owner=dict(owners.most_common()),
        by_criticality=dict(criticality.most_common()),
        sla_bound=sla_bound,
        critical=criticality["critical"],
        culprits=culprits,
    )
    return {
        "nodeId": canonical_id,
        "direction": direction,
        "items": _json_array(items),
        "truncated": len(items) < len(visible),
        "summary": summary.model_dump(mode="json", by_alias=True),
    }


def _problems(infos: Mapping[int, NodeDetails], *, session: Session, now: datetime) -> dict[int, list[str]]:
    problems: dict[int, list[str]] = {}
    job_runs = {k: i.latest_run.run_id for k, i in infos.items() if i.type == "JOB" and i.latest_run}
    dq_runs = _runs_with_dq_failures(list(job_runs.values()), session=session)
    for key, info in infos.items():
        found = []
        # A failed run is the job's problem; the datasets it left stale point back to it.
        if info.type == "JOB" and info.latest_run and info.latest_run.state in ("FAILED", "ABORTED"):
            found.append("FAILED")
        if info.sla:
            last_success = (
                info.latest_run.ended_at if info.latest_run and info.latest_run.state == "COMPLETED" else None
            )
            if is_late(info.sla, last_success, now):
                found.append("LATE")
        if info.dq_failed or (key in job_runs and job_runs[key] in dq_runs):
            found.append("DQ_FAILED")
        if found:
            problems[key] = found
    return problems


def _runs_with_dq_failures(run_ids: list[str], *, session: Session) -> set[str]:
    failing: set[str] = set()
    for start in range(0, len(run_ids), 500):
        chunk = run_ids[start : start + 500]
        for run_uuid, stats in session.execute(
            select(Run.run_uuid, Run.facets["flowlytics_stats"]).where(Run.run_uuid.in_(chunk))
        ):
            if isinstance(stats, dict) and (
                (stats.get("dqFailedRows") or 0) > 0 or (stats.get("rowsInvalid") or 0) > 0
            ):
                failing.add(run_uuid)
        for run_uuid, assertions in session.execute(
            select(RunDataset.run_uuid, RunDataset.facets["dataQualityAssertions"]).where(
                RunDataset.run_uuid.in_(chunk), RunDataset.direction == "IN"
            )
        ):
            if isinstance(assertions, dict) and any(
                isinstance(a, dict) and a.get("success") is False for a in assertions.get("assertions") or []
            ):
                failing.add(run_uuid)
    return failing


def search(*, session: Session, principal: Principal, q: str, type_: str | None, limit: int) -> SearchResponse:
    """Jobs and datasets by name and namespace: exact, then prefix, then word prefix, then substring."""
    text = q.strip().lower()
    if not text:
        raise InvalidParameterError("q: type part of a job or dataset name or namespace")
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    candidates: list[tuple[str, str, str]] = []
    cap = max(limit * 20, 200)
    if type_ in (None, "job"):
        query = select(Job.namespace, Job.name).where(
            or_(func.lower(Job.name).like(pattern, escape="\\"), func.lower(Job.namespace).like(pattern, escape="\\"))
        )
        clause = visible_jobs_clause(principal)  # in SQL, so that the cap counts visible jobs only
        if clause is not None:
            query = query.where(clause)
        candidates += [("JOB", ns, name) for ns, name in session.execute(query.limit(cap))]
    if type_ in (None, "dataset"):
        datasets = select(Dataset.namespace, Dataset.name).where(
            or_(
                func.lower(Dataset.name).like(pattern, escape="\\"),
                func.lower(Dataset.namespace).like(pattern, escape="\\"),
            )
        )
        candidates += [("DATASET", ns, name) for ns, name in session.execute(datasets.limit(cap))]
    scored = [
        SearchItem(
            id=(job_node_id if kind == "JOB" else dataset_node_id)(ns, name),
            type=kind,  # type: ignore[arg-type]
            namespace=ns,
            name=name,
            score=score_match(text, ns, name),
        )
        for kind, ns, name in candidates
    ]
    scored.sort(key=lambda item: (-item.score, len(item.name), item.id))
    return SearchResponse(items=scored[:limit], total_count=len(scored))


def score_match(text: str, namespace: str, name: str) -> float:
    lowered = name.lower()
    words = [w for w in lowered.replace("/", ".").replace(":", ".").replace("_", ".").split(".") if w]
    if lowered == text:
        return 100.0
    if lowered.startswith(text):
        return 80.0
    if any(word.startswith(text) for word in words):
        return 60.0
    if text in lowered:
        return 40.0
    return 20.0 if text in namespace.lower() else 0.0


def graph_version(*, session: Session) -> str:
    edge_max, event_max = session.execute(
        select(select(func.max(LineageEdge.id)).scalar_subquery(), select(func.max(RawEvent.id)).scalar_subquery())
    ).one()
    return f"{edge_max or 0}.{event_max or 0}"
