"""Lineage graph, impact analysis and search over the graph index and the node tables."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from lineage_backend.api.schemas import (
    AnnotationModel,
    FieldModel,
    GraphEdgeResponse,
    GraphNodeResponse,
    GraphResponse,
    ImpactItem,
    ImpactResponse,
    ImpactSummary,
    LatestRunRef,
    SearchItem,
    SearchResponse,
    SlaModel,
)
from lineage_backend.auth import Principal
from lineage_backend.errors import InvalidParameterError, NotFoundError
from lineage_backend.graph.index import GraphIndex, dataset_key, graph_as_of, is_job_key, job_key, row_id
from lineage_backend.graph.sla import is_late
from lineage_backend.graph.traversal import Direction, Graph, collapse_groups, impact_sort_key, traverse
from lineage_backend.services.metadata import effective, stored_metadata
from lineage_backend.services.nodes import can_see_dag, dataset_node_id, job_node_id, resolve_node
from lineage_backend.services.runs import newest_first
from lineage_backend.store.models import ColumnEdge, Dataset, EdgeMetadata, Job, LineageEdge, RawEvent, Run, RunDataset

DEFAULT_MAX_NODES = 2000
FACET_KEYS = ("ownership", "tags", "documentation")


@dataclass
class NodeInfo:
    key: int
    id: str
    type: Literal["JOB", "DATASET"]
    namespace: str
    name: str
    dag_id: str | None
    meta: dict[str, Any]
    latest_run: LatestRunRef | None = None
    rows_written: int | None = None
    fields: list[FieldModel] = field(default_factory=list)
    dq_failed: bool = False


def load_nodes(keys: set[int], *, session: Session, with_fields: bool = False) -> dict[int, NodeInfo]:
    """Names, effective metadata and latest run of the given nodes, in a few set-based queries."""
    job_ids = sorted(row_id(k) for k in keys if is_job_key(k))
    dataset_ids = sorted(row_id(k) for k in keys if not is_job_key(k))
    infos: dict[int, NodeInfo] = {}
    facet_columns = [Job.facets[key] for key in FACET_KEYS]
    for chunk in _chunks(job_ids):
        for job_id, namespace, name, dag_id, *facets in session.execute(
            select(Job.id, Job.namespace, Job.name, Job.dag_id, *facet_columns).where(Job.id.in_(chunk))
        ):
            infos[job_key(job_id)] = NodeInfo(
                key=job_key(job_id),
                id=job_node_id(namespace, name),
                type="JOB",
                namespace=namespace,
                name=name,
                dag_id=dag_id,
                meta=dict(zip(FACET_KEYS, facets, strict=True)),
            )
        latest = (
            select(Run.run_uuid)
            .where(Run.job_id == Job.id, Run.state.is_not(None))
            .order_by(Run.sort_time.desc())
            .limit(1)
            .correlate(Job)
            .scalar_subquery()
        )
        # Two steps: the correlated subquery as a column is an index probe per job, whereas used as a join
        # condition PostgreSQL may evaluate it against every run.
        latest_ids: dict[int, str | None] = dict(
            session.execute(select(Job.id, latest).where(Job.id.in_(chunk))).tuples().all()
        )
        runs = _runs_by_id([r for r in latest_ids.values() if r], session=session)
        for job_id, run_uuid in latest_ids.items():
            if run_uuid in runs:
                infos[job_key(job_id)].latest_run = _run_ref(runs[run_uuid])

    extra = ("dataQualityAssertions", "schema") if with_fields else ("dataQualityAssertions",)
    dataset_columns = [Dataset.facets[key] for key in (*FACET_KEYS, *extra)]
    for chunk in _chunks(dataset_ids):
        for dataset_id, namespace, name, *facets in session.execute(
            select(Dataset.id, Dataset.namespace, Dataset.name, *dataset_columns).where(Dataset.id.in_(chunk))
        ):
            info = NodeInfo(
                key=dataset_key(dataset_id),
                id=dataset_node_id(namespace, name),
                type="DATASET",
                namespace=namespace,
                name=name,
                dag_id=None,
                meta=dict(zip(FACET_KEYS, facets[:3], strict=True)),
            )
            assertions = (facets[3] or {}).get("assertions") or []
            info.dq_failed = any(isinstance(a, dict) and a.get("success") is False for a in assertions)
            if with_fields:
                info.fields = [
                    FieldModel(name=str(f.get("name")), type=f.get("type"))
                    for f in (facets[4] or {}).get("fields") or []
                    if isinstance(f, dict) and f.get("name")
                ]
            infos[info.key] = info
        last_write = (
            select(RunDataset.id)
            .join(Run, Run.run_uuid == RunDataset.run_uuid)
            .where(RunDataset.dataset_id == Dataset.id, RunDataset.direction == "OUT", Run.state.is_not(None))
            .order_by(newest_first())
            .limit(1)
            .correlate(Dataset)
            .scalar_subquery()
        )
        write_ids: dict[int, int | None] = dict(
            session.execute(select(Dataset.id, last_write).where(Dataset.id.in_(chunk))).tuples().all()
        )
        wanted = [w for w in write_ids.values() if w is not None]
        writes = (
            {
                link_id: (run_uuid, rows)
                for link_id, run_uuid, rows in session.execute(
                    select(RunDataset.id, RunDataset.run_uuid, RunDataset.row_count).where(RunDataset.id.in_(wanted))
                )
            }
            if wanted
            else {}
        )
        runs = _runs_by_id([run_uuid for run_uuid, _ in writes.values()], session=session)
        for dataset_id, link_id in write_ids.items():
            if link_id in writes and writes[link_id][0] in runs:
                infos[dataset_key(dataset_id)].latest_run = _run_ref(runs[writes[link_id][0]])
                infos[dataset_key(dataset_id)].rows_written = writes[link_id][1]

    stored = stored_metadata([info.id for info in infos.values()], session=session)
    for info in infos.values():
        info.meta = effective({k: v for k, v in info.meta.items() if v is not None}, stored.get(info.id))
    return infos


def _runs_by_id(run_ids: list[str], *, session: Session) -> dict[str, Any]:
    """State and times only: whole run rows carry large facet blobs that a graph node never shows."""
    found: dict[str, Any] = {}
    for start in range(0, len(run_ids), 500):
        rows = session.execute(
            select(Run.run_uuid, Run.state, Run.started_at, Run.ended_at).where(
                Run.run_uuid.in_(run_ids[start : start + 500])
            )
        )
        found.update({row.run_uuid: row for row in rows})
    return found


def _run_ref(run: Any) -> LatestRunRef:
    return LatestRunRef(run_id=run.run_uuid, state=run.state, started_at=run.started_at, ended_at=run.ended_at)


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def _root_keys(
    node_id: str | None, dag_id: str | None, *, session: Session, principal: Principal, index: GraphIndex
) -> list[int]:
    if bool(node_id) == bool(dag_id):
        raise InvalidParameterError("pass exactly one of nodeId (job:<ns>:<name> or dataset:<ns>:<name>) or dagId")
    if dag_id:
        if not can_see_dag(principal, dag_id):
            raise NotFoundError(f"no lineage for DAG {dag_id!r}: it has sent no events, or you may not read it")
        ids = session.execute(select(Job.id).where(Job.dag_id == dag_id)).scalars().all()
        if not ids:
            raise NotFoundError(f"no lineage for DAG {dag_id!r}: it has sent no events, or you may not read it")
        return [job_key(i) for i in ids]
    assert node_id is not None
    node = resolve_node(node_id, session=session, principal=principal)
    key = job_key(node.row.id) if node.type == "JOB" else dataset_key(node.row.id)
    return [index.canonical(key)]


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
) -> GraphResponse:
    roots = _root_keys(node_id, dag_id, session=session, principal=principal, index=index)
    with index.current(session) as current:
        graph = graph_as_of(session, as_of, current.alias_of) if as_of else current.graph
        walk = traverse(graph, roots, direction, max_depth=depth, max_nodes=max_nodes)
        edges = graph.edges_among(set(walk.distances))
        group_of = dict(current.group_of)
        aliases = {k: set(v) for k, v in current.aliases.items() if k in walk.distances}

    group_keys = {group_of[k] for k in walk.distances if k in group_of}
    infos = load_nodes(set(walk.distances) | group_keys | {a for v in aliases.values() for a in v}, session=session)
    hidden = {k for k, info in infos.items() if info.type == "JOB" and not can_see_dag(principal, info.dag_id)}
    shown = {k for k in walk.distances if k in infos and k not in hidden}
    edges = [(s, t) for s, t in edges if s in shown and t in shown]

    expanded = {infos[k].key for k in group_keys if k in infos and infos[k].id in set(expand)}
    visible_groups = {k: g for k, g in group_of.items() if k in shown and g in infos and g not in hidden}
    members, shown_edges = collapse_groups(shown, edges, visible_groups if collapse else {}, expanded)

    nodes: list[GraphNodeResponse] = []
    for key, inner in members.items():
        info = infos[key]
        distance = min((walk.distances.get(m, 10**9) for m in inner | {key}), default=0)
        node = _node_response(info, distance if distance < 10**9 else 0, aliases.get(key, set()), infos)
        if inner:
            node.is_group, node.child_count = True, len(inner)
        elif collapse and key in visible_groups and visible_groups[key] in expanded:
            node.parent_id = infos[visible_groups[key]].id
        nodes.append(node)
    for group in expanded:
        if group not in members and any(visible_groups.get(k) == group for k in members):
            node = _node_response(infos[group], 0, set(), infos)
            node.is_group, node.expanded = True, True
            node.child_count = sum(1 for k in members if visible_groups.get(k) == group)
            nodes.append(node)

    edge_notes = _edge_annotations([(infos[s].id, infos[t].id) for s, t in shown_edges], session=session)
    edge_responses = [
        GraphEdgeResponse(
            id=f"{infos[s].id}->{infos[t].id}",
            source=infos[s].id,
            target=infos[t].id,
            annotations=edge_notes.get((infos[s].id, infos[t].id), []),
        )
        for s, t in shown_edges
    ]
    nodes.sort(key=lambda n: (n.distance, n.type, n.namespace, n.name))

    def shown_as(key: int) -> int:
        group = visible_groups.get(key) if collapse else None
        return group if group is not None and group not in expanded else key

    root_ids = sorted({infos[shown_as(k)].id for k in roots if k in infos and k not in hidden})
    return GraphResponse(
        root_ids=root_ids,
        level="job",
        nodes=nodes,
        edges=edge_responses,
        truncated=walk.truncated,
    )


def _node_response(info: NodeInfo, distance: int, aliases: set[int], infos: dict[int, NodeInfo]) -> GraphNodeResponse:
    meta = info.meta
    return GraphNodeResponse(
        id=info.id,
        type=info.type,
        namespace=info.namespace,
        name=info.name,
        distance=distance,
        aliases=sorted(infos[a].id for a in aliases if a in infos),
        latest_run=info.latest_run,
        rows_written=info.rows_written,
        owners=meta["owners"],
        tags=meta["tags"],
        criticality=meta["criticality"],
        sla=SlaModel(**meta["sla"]) if meta.get("sla") else None,
        fields=info.fields,
    )


def _edge_annotations(
    pairs: list[tuple[str, str]], *, session: Session
) -> dict[tuple[str, str], list[AnnotationModel]]:
    if not pairs:
        return {}
    sources = sorted({s for s, _ in pairs})
    wanted = set(pairs)
    notes: dict[tuple[str, str], list[AnnotationModel]] = {}
    for start in range(0, len(sources), 500):
        for row in session.execute(
            select(EdgeMetadata).where(EdgeMetadata.source_id.in_(sources[start : start + 500]))
        ).scalars():
            if (row.source_id, row.target_id) in wanted and row.annotations:
                notes[(row.source_id, row.target_id)] = [AnnotationModel(**n) for n in row.annotations]
    return notes


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
) -> GraphResponse:
    """Field-to-field lineage: datasets with their fields, edges carrying fields and transformation."""
    roots = _root_keys(node_id, dag_id, session=session, principal=principal, index=index)
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
    infos = load_nodes({dataset_key(d) for d in distances}, session=session, with_fields=True)
    nodes = [_node_response(infos[dataset_key(d)], dist, set(), infos) for d, dist in distances.items()]
    edges = [
        GraphEdgeResponse(
            id=f"{infos[dataset_key(e.input_dataset_id)].id}#{e.input_field}->{infos[dataset_key(e.output_dataset_id)].id}#{e.output_field}#{e.transformation_type}/{e.transformation_subtype}",
            source=infos[dataset_key(e.input_dataset_id)].id,
            target=infos[dataset_key(e.output_dataset_id)].id,
            source_field=e.input_field or None,
            target_field=e.output_field or None,
            transformation_type=e.transformation_type or None,
            transformation_subtype=e.transformation_subtype or None,
        )
        for e in rows.values()
        if e.input_dataset_id in distances and e.output_dataset_id in distances
    ]
    nodes.sort(key=lambda n: (n.distance, n.namespace, n.name))
    edges.sort(key=lambda e: e.id)
    root_ids = [infos[dataset_key(d)].id for d in sorted(start) if dataset_key(d) in infos]
    return GraphResponse(root_ids=root_ids, level="column", nodes=nodes, edges=edges, truncated=truncated)


def impact(
    *,
    session: Session,
    index: GraphIndex,
    principal: Principal,
    node_id: str,
    depth: int | None,
    direction: Literal["downstream", "upstream"],
    now: datetime | None = None,
) -> ImpactResponse:
    """Downstream: everything that consumes this node, critical and SLA-bound first. Upstream (backward
    tracing): the producers, with the nearest failed, late or DQ-failing ones named as culprits."""
    now = now or datetime.now(timezone.utc)
    node = resolve_node(node_id, session=session, principal=principal)
    root = index.canonical(job_key(node.row.id) if node.type == "JOB" else dataset_key(node.row.id))
    with index.current(session) as current:
        walk = traverse(current.graph, [root], direction, max_depth=depth)
        graph = Graph(downstream=current.graph.downstream, upstream=current.graph.upstream)
    keys = set(walk.distances) - {root}
    infos = load_nodes(keys, session=session)
    problems = _problems(infos, session=session, now=now) if direction == "upstream" else {}
    items = []
    for key, info in infos.items():
        if info.type == "JOB" and not can_see_dag(principal, info.dag_id):
            continue
        meta = info.meta
        items.append(
            ImpactItem(
                id=info.id,
                type=info.type,
                namespace=info.namespace,
                name=info.name,
                distance=walk.distances[key],
                owners=meta["owners"],
                criticality=meta["criticality"],
                sla=SlaModel(**meta["sla"]) if meta.get("sla") else None,
                last_run_state=info.latest_run.state if info.latest_run else None,
                last_run_at=(info.latest_run.ended_at or info.latest_run.started_at) if info.latest_run else None,
                problems=problems.get(key, []),  # type: ignore[arg-type]
            )
        )
    items.sort(key=lambda i: impact_sort_key(i.distance, i.criticality, i.sla is not None, i.id))
    culprits: list[str] = []
    if direction == "upstream" and problems:
        # The nearest problems: walk again, not past a problematic node.
        nearest = traverse(graph, [root], "upstream", max_depth=depth, stop_at={k: True for k in problems})
        culprits = sorted(
            (infos[k].id for k in problems if k in nearest.distances and k in infos),
            key=lambda i: next(x.distance for x in items if x.id == i),
        )
    owners = Counter(owner for item in items for owner in item.owners)
    return ImpactResponse(
        node_id=node.id,
        direction=direction,
        items=items,
        summary=ImpactSummary(
            total=len(items),
            datasets=sum(1 for i in items if i.type == "DATASET"),
            jobs=sum(1 for i in items if i.type == "JOB"),
            by_owner=dict(owners.most_common()),
            by_criticality=dict(Counter(i.criticality or "unset" for i in items).most_common()),
            sla_bound=sum(1 for i in items if i.sla is not None),
            critical=sum(1 for i in items if i.criticality == "critical"),
            culprits=culprits,
        ),
    )


def _problems(infos: dict[int, NodeInfo], *, session: Session, now: datetime) -> dict[int, list[str]]:
    problems: dict[int, list[str]] = {}
    job_runs = {k: i.latest_run.run_id for k, i in infos.items() if i.type == "JOB" and i.latest_run}
    dq_runs = _runs_with_dq_failures(list(job_runs.values()), session=session)
    for key, info in infos.items():
        found = []
        # A failed run is the job's problem; the datasets it left stale point back to it.
        if info.type == "JOB" and info.latest_run and info.latest_run.state in ("FAILED", "ABORTED"):
            found.append("FAILED")
        if info.meta.get("sla"):
            last_success = (
                info.latest_run.ended_at if info.latest_run and info.latest_run.state == "COMPLETED" else None
            )
            if is_late(info.meta["sla"], last_success, now):
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
    candidates: list[tuple[str, str, str, str | None]] = []
    cap = max(limit * 20, 200)
    if type_ in (None, "job"):
        query = select(Job.namespace, Job.name, Job.dag_id).where(
            or_(func.lower(Job.name).like(pattern, escape="\\"), func.lower(Job.namespace).like(pattern, escape="\\"))
        )
        candidates += [("JOB", ns, name, dag) for ns, name, dag in session.execute(query.limit(cap))]
    if type_ in (None, "dataset"):
        datasets = select(Dataset.namespace, Dataset.name).where(
            or_(
                func.lower(Dataset.name).like(pattern, escape="\\"),
                func.lower(Dataset.namespace).like(pattern, escape="\\"),
            )
        )
        candidates += [("DATASET", ns, name, None) for ns, name in session.execute(datasets.limit(cap))]
    scored = [
        SearchItem(
            id=(job_node_id if kind == "JOB" else dataset_node_id)(ns, name),
            type=kind,  # type: ignore[arg-type]
            namespace=ns,
            name=name,
            score=score_match(text, ns, name),
        )
        for kind, ns, name, dag in candidates
        if kind == "DATASET" or can_see_dag(principal, dag)
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
