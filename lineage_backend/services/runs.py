"""Reading runs: lists, one run, inputs/outputs with statistics, root resolution."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from lineage_backend.api.schemas import RunCostResponse, RunDatasetResponse, RunResponse, RunSummaryResponse
from lineage_backend.auth import Principal
from lineage_backend.errors import InvalidParameterError, NotFoundError
from lineage_backend.ingest.parse import normalise_run_id
from lineage_backend.services.analytics import run_cost_of
from lineage_backend.services.nodes import resolve_job
from lineage_backend.services.visibility import visible_jobs_clause
from lineage_backend.store.models import Dataset, Job, Run, RunDataset

RUN_STATES = ("RUNNING", "COMPLETED", "FAILED", "ABORTED")
MAX_ROOT_DEPTH = 20


def newest_first():
    """Newest runs first, for queries that start from a dataset's links. An expression, not the bare
    column: with the bare column PostgreSQL walks the global sort_time index backwards and filters every
    run by dataset (seconds on a million runs) instead of probing the dataset's links and sorting those."""
    return func.coalesce(Run.sort_time, Run.first_event_at).desc()


def list_runs(
    *,
    session: Session,
    principal: Principal,
    job_node_id: str | None,
    state: str | None,
    since: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[RunSummaryResponse], int]:
    query: Select = select(Run, Job).join(Job, Job.id == Run.job_id).where(Run.state.is_not(None))
    if job_node_id:
        query = query.where(Run.job_id == resolve_job(job_node_id, session=session).id)
    if state:
        if state.upper() not in RUN_STATES:
            raise InvalidParameterError(f"state {state!r} is not one of {', '.join(RUN_STATES)}")
        query = query.where(Run.state == state.upper())
    if since is not None:
        query = query.where(Run.sort_time >= since)
    clause = visible_jobs_clause(principal)
    if clause is not None:
        query = query.where(clause)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(Run.sort_time.desc(), Run.run_uuid.desc()).limit(limit).offset(offset)).all()
    return summaries([(run, job) for run, job in rows], session=session), int(total)


def get_run(run_id: str, *, session: Session, principal: Principal, currency: str = "USD") -> RunResponse:
    run_uuid = normalise_run_id(run_id, "runId")
    query = select(Run, Job).join(Job, Job.id == Run.job_id).where(Run.run_uuid == run_uuid)
    clause = visible_jobs_clause(principal)
    if clause is not None:
        query = query.where(clause)
    row = session.execute(query).first()
    if row is None or row[0].state is None:
        raise NotFoundError(f"no run {run_id!r}; list runs with GET /api/v1/runs")
    run, job = row
    summary = summaries([(run, job)], session=session)[0]
    facets = run.facets or {}
    instance = (facets.get("airflow") or {}).get("taskInstance") or {}
    return RunResponse(
        **summary.model_dump(),
        facets=facets,
        event_count=run.event_count,
        job_id=f"job:{job.namespace}:{job.name}",
        batch_id=run.batch_run_uuid,
        stack_trace=(facets.get("errorMessage") or {}).get("stackTrace"),
        sql=((job.facets or {}).get("sql") or {}).get("query"),
        log_url=instance.get("log_url") if isinstance(instance.get("log_url"), str) else None,
        try_number=instance.get("try_number") if isinstance(instance.get("try_number"), int) else None,
        anomalies=_anomalies(run.run_uuid, session=session),
        cost=_cost(run_cost_of(run.run_uuid, currency, session=session)),
    )


def _anomalies(run_uuid: str, *, session: Session) -> list[dict[str, Any]]:
    from lineage_backend.services.alerts import run_anomalies

    return [a.model_dump(mode="json", by_alias=True) for a in run_anomalies(run_uuid, session=session)]


def _cost(document: dict[str, Any] | None) -> RunCostResponse | None:
    return RunCostResponse.model_validate(document) if document is not None else None


def summaries(rows: Sequence[tuple[Run, Job]], *, session: Session) -> list[RunSummaryResponse]:
    run_ids = [run.run_uuid for run, _ in rows]
    io = _inputs_outputs(run_ids, session=session)
    roots = resolve_roots([run for run, _ in rows], session=session)
    result = []
    for run, job in rows:
        duration = None
        if run.started_at and run.ended_at:
            duration = max(0.0, (run.ended_at - run.started_at).total_seconds())
        result.append(
            RunSummaryResponse(
                run_id=run.run_uuid,
                state=run.state,  # type: ignore[arg-type]
                job={"namespace": job.namespace, "name": job.name},  # type: ignore[arg-type]
                started_at=run.started_at,
                ended_at=run.ended_at,
                duration_seconds=duration,
                nominal_start_time=run.nominal_start_at,
                nominal_end_time=run.nominal_end_at,
                parent_run_id=run.parent_run_uuid,
                root_run_id=roots.get(run.run_uuid),
                error_message=run.error_message,
                inputs=io[(run.run_uuid, "IN")],
                outputs=io[(run.run_uuid, "OUT")],
            )
        )
    return result


def _inputs_outputs(run_ids: list[str], *, session: Session) -> dict[tuple[str, str], list[RunDatasetResponse]]:
    found: dict[tuple[str, str], list[RunDatasetResponse]] = defaultdict(list)
    if not run_ids:
        return found
    rows = session.execute(
        select(RunDataset, Dataset.namespace, Dataset.name)
        .join(Dataset, Dataset.id == RunDataset.dataset_id)
        .where(RunDataset.run_uuid.in_(run_ids))
        .order_by(Dataset.namespace, Dataset.name)
    ).all()
    for link, namespace, name in rows:
        found[(link.run_uuid, link.direction)].append(
            RunDatasetResponse(
                namespace=namespace,
                name=name,
                row_count=link.row_count,
                bytes=link.bytes,
                file_count=link.file_count,
            )
        )
    return found


def resolve_roots(runs: Sequence[Run], *, session: Session) -> dict[str, str | None]:
    """The root of each run: its facet's root, else the top of its parent chain (bounded depth)."""
    roots: dict[str, str | None] = {}
    climbing: dict[str, str] = {}  # run -> ancestor reached so far
    for run in runs:
        if run.root_run_uuid:
            roots[run.run_uuid] = run.root_run_uuid
        elif run.parent_run_uuid:
            climbing[run.run_uuid] = run.parent_run_uuid
        else:
            roots[run.run_uuid] = None
    for _ in range(MAX_ROOT_DEPTH):
        if not climbing:
            break
        ancestors = session.execute(
            select(Run.run_uuid, Run.parent_run_uuid, Run.root_run_uuid).where(Run.run_uuid.in_(set(climbing.values())))
        ).all()
        by_id = {row[0]: (row[1], row[2]) for row in ancestors}
        next_round = {}
        for run_uuid, ancestor in climbing.items():
            parent, root = by_id.get(ancestor, (None, None))
            if root:
                roots[run_uuid] = root
            elif parent and parent != ancestor:
                next_round[run_uuid] = parent
            else:
                roots[run_uuid] = ancestor
        climbing = next_round
    for run_uuid, ancestor in climbing.items():
        roots[run_uuid] = ancestor
    return roots
