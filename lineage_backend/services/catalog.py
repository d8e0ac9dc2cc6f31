"""Reading what was ingested: namespaces, jobs and datasets."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Select, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from lineage_backend.api.schemas import (
    DatasetResponse,
    DatasetStatusResponse,
    DatasetSummaryResponse,
    JobResponse,
    JobSummaryResponse,
    LastWriteResponse,
    LatestRunResponse,
    NamespaceResponse,
    NodeMetadataResponse,
)
from lineage_backend.auth import Principal
from lineage_backend.errors import InvalidParameterError, NotFoundError
from lineage_backend.services.batches import dq_failed_rows
from lineage_backend.services.nodes import dataset_node_id, job_node_id, resolve_dataset, resolve_job
from lineage_backend.services.runs import newest_first, summaries
from lineage_backend.services.visibility import can_see_job, dag_jobs_clause, visible_jobs_clause
from lineage_backend.store.models import Dataset, DatasetSymlink, Job, LineageEdge, Run, RunDataset

LATEST_RUNS = 10


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_namespaces(
    *, session: Session, principal: Principal, q: str | None, limit: int, offset: int
) -> tuple[list[NamespaceResponse], int]:
    jobs = select(Job.namespace.label("name"), literal(1).label("job"), literal(0).label("dataset"))
    clause = visible_jobs_clause(principal)
    if clause is not None:
        jobs = jobs.where(clause)
    datasets = select(Dataset.namespace.label("name"), literal(0).label("job"), literal(1).label("dataset"))
    both = union_all(jobs, datasets).subquery()
    query = select(both.c.name, func.sum(both.c.job), func.sum(both.c.dataset)).group_by(both.c.name)
    if q:
        query = query.where(both.c.name.ilike(_like(q), escape="\\"))
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(both.c.name).limit(limit).offset(offset)).all()
    items = [NamespaceResponse(name=name, job_count=int(j), dataset_count=int(d)) for name, j, d in rows]
    return items, int(total)


def list_jobs(
    *,
    session: Session,
    principal: Principal,
    namespace: str | None,
    q: str | None,
    limit: int,
    offset: int,
    dag_id: str | None = None,
    task_id: str | None = None,
) -> tuple[list[JobSummaryResponse], int]:
    query: Select = select(Job)
    if dag_id:
        query = query.where(dag_jobs_clause(principal, dag_id, session=session))
        if task_id:
            query = query.where(Job.name == f"{dag_id}.{task_id}")
    elif task_id:
        raise InvalidParameterError("taskId needs dagId: pass both to find the job of an Airflow task")
    if namespace:
        query = query.where(Job.namespace == namespace)
    if q:
        query = query.where(or_(Job.name.ilike(_like(q), escape="\\"), Job.namespace.ilike(_like(q), escape="\\")))
    clause = visible_jobs_clause(principal)
    if clause is not None:
        query = query.where(clause)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    jobs = session.execute(query.order_by(Job.namespace, Job.name).limit(limit).offset(offset)).scalars().all()
    latest = _latest_runs([job.id for job in jobs], session=session)
    return [_job_summary(job, latest.get(job.id)) for job in jobs], int(total)


def get_job(node_id: str, *, session: Session, principal: Principal) -> JobResponse:
    job = resolve_job(node_id, session=session)
    if not can_see_job(principal, job.namespace, job.dag_id):
        raise NotFoundError(f"no job with id {node_id!r}; list them with GET /api/v1/jobs")
    runs = (
        session.execute(
            select(Run)
            .where(Run.job_id == job.id, Run.state.is_not(None))
            .order_by(Run.sort_time.desc())
            .limit(LATEST_RUNS)
        )
        .scalars()
        .all()
    )
    edges = session.execute(
        select(LineageEdge.direction, Dataset.namespace, Dataset.name)
        .join(Dataset, Dataset.id == LineageEdge.dataset_id)
        .where(LineageEdge.job_id == job.id)
        .order_by(Dataset.namespace, Dataset.name)
    ).all()
    latest_runs = summaries([(run, job) for run in runs], session=session)
    summary = _job_summary(job, runs[0] if runs else None)
    return JobResponse(
        **summary.model_dump(),
        facets=job.facets or {},
        metadata=metadata_from_facets(job.facets or {}),
        inputs=[dataset_node_id(ns, name) for direction, ns, name in edges if direction == "IN"],
        outputs=[dataset_node_id(ns, name) for direction, ns, name in edges if direction == "OUT"],
        latest_runs=latest_runs,
    )


def list_datasets(
    *, session: Session, namespace: str | None, q: str | None, limit: int, offset: int
) -> tuple[list[DatasetSummaryResponse], int]:
    query: Select = select(Dataset)
    if namespace:
        query = query.where(Dataset.namespace == namespace)
    if q:
        query = query.where(
            or_(Dataset.name.ilike(_like(q), escape="\\"), Dataset.namespace.ilike(_like(q), escape="\\"))
        )
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(Dataset.namespace, Dataset.name).limit(limit).offset(offset)).scalars()
    return [_dataset_summary(dataset) for dataset in rows], int(total)


def get_dataset(node_id: str, *, session: Session, principal: Principal) -> DatasetResponse:
    dataset = resolve_dataset(node_id, session=session)
    edge_query = (
        select(LineageEdge.direction, Job.namespace, Job.name)
        .join(Job, Job.id == LineageEdge.job_id)
        .where(LineageEdge.dataset_id == dataset.id)
        .order_by(Job.namespace, Job.name)
    )
    clause = visible_jobs_clause(principal)
    run_query = (
        select(Run, Job)
        .join(RunDataset, RunDataset.run_uuid == Run.run_uuid)
        .join(Job, Job.id == Run.job_id)
        .where(RunDataset.dataset_id == dataset.id, RunDataset.direction == "OUT", Run.state.is_not(None))
        .order_by(newest_first())
        .limit(LATEST_RUNS)
    )
    if clause is not None:
        edge_query = edge_query.where(clause)
        run_query = run_query.where(clause)
    edges = session.execute(edge_query).all()
    aliases = session.execute(
        select(DatasetSymlink.alias_namespace, DatasetSymlink.alias_name).where(DatasetSymlink.dataset_id == dataset.id)
    ).all()
    runs = [(run, job) for run, job in session.execute(run_query).all()]
    return DatasetResponse(
        **_dataset_summary(dataset).model_dump(),
        facets=dataset.facets or {},
        metadata=metadata_from_facets(dataset.facets or {}),
        aliases=[dataset_node_id(ns, name) for ns, name in aliases],
        producers=[job_node_id(ns, name) for direction, ns, name in edges if direction == "OUT"],
        consumers=[job_node_id(ns, name) for direction, ns, name in edges if direction == "IN"],
        latest_runs=summaries(runs, session=session),
    )


def metadata_from_facets(facets: dict[str, Any]) -> NodeMetadataResponse:
    owners = [str(o["name"]) for o in (facets.get("ownership") or {}).get("owners") or [] if isinstance(o, dict)]
    tags = []
    for tag in (facets.get("tags") or {}).get("tags") or []:
        if isinstance(tag, dict) and "key" in tag:
            tags.append(
                f"{tag['key']}:{tag.get('value')}" if tag.get("value") not in (None, "", "true") else str(tag["key"])
            )
    description = (facets.get("documentation") or {}).get("description")
    return NodeMetadataResponse(owners=owners, tags=tags, description=description)


def _latest_runs(job_ids: list[int], *, session: Session) -> dict[int, Run]:
    if not job_ids:
        return {}
    ranked = (
        select(
            Run.run_uuid,
            func.row_number().over(partition_by=Run.job_id, order_by=Run.sort_time.desc()).label("position"),
        )
        .where(Run.job_id.in_(job_ids), Run.state.is_not(None))
        .subquery()
    )
    rows = session.execute(
        select(Run).join(ranked, ranked.c.run_uuid == Run.run_uuid).where(ranked.c.position == 1)
    ).scalars()
    return {run.job_id: run for run in rows}


def _job_summary(job: Job, latest: Run | None) -> JobSummaryResponse:
    return JobSummaryResponse(
        id=job_node_id(job.namespace, job.name),
        namespace=job.namespace,
        name=job.name,
        job_type=job.job_type,
        integration=job.integration,
        dag_id=job.dag_id,
        created_at=job.created_at,
        updated_at=job.updated_at,
        latest_run=(
            LatestRunResponse(
                run_id=latest.run_uuid,
                state=latest.state,  # type: ignore[arg-type]
                started_at=latest.started_at,
                ended_at=latest.ended_at,
            )
            if latest is not None
            else None
        ),
    )


def _dataset_summary(dataset: Dataset) -> DatasetSummaryResponse:
    return DatasetSummaryResponse(
        id=dataset_node_id(dataset.namespace, dataset.name),
        namespace=dataset.namespace,
        name=dataset.name,
        created_at=dataset.created_at,
        updated_at=dataset.updated_at,
    )


def dataset_status(node_id: str, *, session: Session, principal: Principal) -> DatasetStatusResponse:
    dataset = resolve_dataset(node_id, session=session)
    query = (
        select(Run, Job, RunDataset.row_count)
        .join(RunDataset, RunDataset.run_uuid == Run.run_uuid)
        .join(Job, Job.id == Run.job_id)
        .where(RunDataset.dataset_id == dataset.id, RunDataset.direction == "OUT", Run.state.is_not(None))
        .order_by(newest_first())
        .limit(1)
    )
    clause = visible_jobs_clause(principal)
    if clause is not None:
        query = query.where(clause)
    row = session.execute(query).first()
    failed_assertions = _latest_failed_assertions(dataset, session=session)
    node = dataset_node_id(dataset.namespace, dataset.name)
    if row is None:
        return DatasetStatusResponse(
            node_id=node,
            last_write=None,
            age_seconds=None,
            dq_errors=None,
            dq_error_rate=None,
            failed_assertions=failed_assertions,
        )
    run, job, rows_written = row
    dq_errors = dq_failed_rows((run.facets or {}).get("flowlytics_stats") or {})
    rows_read = session.execute(
        select(func.sum(RunDataset.row_count)).where(RunDataset.run_uuid == run.run_uuid, RunDataset.direction == "IN")
    ).scalar_one()
    base = rows_read or rows_written
    ended = run.ended_at
    return DatasetStatusResponse(
        node_id=node,
        last_write=LastWriteResponse(
            run_id=run.run_uuid,
            job=job_node_id(job.namespace, job.name),
            state=run.state,  # type: ignore[arg-type]
            started_at=run.started_at,
            ended_at=ended,
            rows_written=rows_written,
        ),
        age_seconds=(datetime.now(timezone.utc) - ended).total_seconds() if ended else None,
        dq_errors=dq_errors,
        dq_error_rate=dq_errors / base if dq_errors is not None and base else None,
        failed_assertions=failed_assertions,
    )


def _latest_failed_assertions(dataset: Dataset, *, session: Session) -> int:
    """Failed assertions of the newest check on this dataset: assertions arrive as input facets of the run
    that checked it (dbt tests, validation tasks), or as a dataset facet."""
    # JSON "key absent" is NULL on PostgreSQL but JSON null on SQLite: pick the first real facet here.
    recent = session.execute(
        select(RunDataset.facets["dataQualityAssertions"])
        .join(Run, Run.run_uuid == RunDataset.run_uuid)
        .where(RunDataset.dataset_id == dataset.id)
        .order_by(newest_first())
        .limit(50)
    ).scalars()
    latest = next((facet for facet in recent if isinstance(facet, dict)), None)
    facet = latest if latest is not None else (dataset.facets or {}).get("dataQualityAssertions") or {}
    return sum(1 for a in facet.get("assertions") or [] if isinstance(a, dict) and a.get("success") is False)
