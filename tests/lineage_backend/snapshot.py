"""A comparable dump of everything ingestion derives (ids and wall-clock times left out)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lineage_backend.store.models import ColumnEdge, Dataset, DatasetSymlink, Job, LineageEdge, Run, RunDataset


def snapshot(session: Session) -> dict[str, Any]:
    jobs = {j.id: (j.namespace, j.name) for j in session.execute(select(Job)).scalars()}
    datasets = {d.id: (d.namespace, d.name) for d in session.execute(select(Dataset)).scalars()}
    return {
        "jobs": sorted(
            (
                j.namespace,
                j.name,
                j.dag_id,
                jobs.get(j.parent_job_id or -1),
                j.job_type,
                j.integration,
                _sorted(j.facets),
                _sorted(j.facet_times),
            )
            for j in session.execute(select(Job)).scalars()
        ),
        "datasets": sorted(
            (d.namespace, d.name, _sorted(d.facets), _sorted(d.facet_times))
            for d in session.execute(select(Dataset)).scalars()
        ),
        "runs": sorted(
            (
                r.run_uuid,
                jobs[r.job_id],
                r.state,
                r.state_rank,
                r.started_at,
                r.ended_at,
                r.first_event_at,
                r.last_event_at,
                r.nominal_start_at,
                r.parent_run_uuid,
                r.root_run_uuid,
                r.error_message,
                r.batch_run_uuid,
                r.is_root,
                r.env_tag,
                _sorted(r.facets),
                r.event_count,
            )
            for r in session.execute(select(Run)).scalars()
        ),
        "run_datasets": sorted(
            (
                rd.run_uuid,
                datasets[rd.dataset_id],
                rd.direction,
                rd.row_count,
                rd.bytes,
                rd.file_count,
                _sorted(rd.facets),
            )
            for rd in session.execute(select(RunDataset)).scalars()
        ),
        "edges": sorted(
            (jobs[e.job_id], datasets[e.dataset_id], e.direction, e.first_seen, e.last_seen)
            for e in session.execute(select(LineageEdge)).scalars()
        ),
        "column_edges": sorted(
            (
                datasets[c.output_dataset_id],
                c.output_field,
                datasets[c.input_dataset_id],
                c.input_field,
                c.transformation_type,
                c.transformation_subtype,
                c.first_seen,
                c.last_seen,
            )
            for c in session.execute(select(ColumnEdge)).scalars()
        ),
        "symlinks": sorted(
            (datasets[s.dataset_id], s.alias_namespace, s.alias_name)
            for s in session.execute(select(DatasetSymlink)).scalars()
        ),
    }


def _sorted(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True, default=str)
