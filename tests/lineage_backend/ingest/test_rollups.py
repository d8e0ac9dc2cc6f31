"""Rollups kept at ingest equal a naive recount from the events, whatever the order and duplication of
delivery; retention keeps them; a rebuild from stored runs gives the same rows."""

from __future__ import annotations

import json
import random
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, inspect, select, update

from lineage_backend.analytics.buckets import bucket_start
from lineage_backend.analytics.cost import CostRates, parse_cost_rates
from lineage_backend.analytics.sketch import sketch_of
from lineage_backend.db import Database
from lineage_backend.ingest.bulk import store_events
from lineage_backend.ingest.parse import parse_event
from lineage_backend.ingest.rollups import KEY_COLUMNS, flush_pending_rollups, rebuild_rollups
from lineage_backend.services.retention import clean
from lineage_backend.store.models import Run, RunFact, RunRollup
from tests.lineage_backend.events import dataset, output_stats, parent_facet, run_event

DAG_TYPE = {"jobType": {"jobType": "DAG", "integration": "AIRFLOW", "processingType": "BATCH"}}
TASK_TYPE = {"jobType": {"jobType": "TASK", "integration": "AIRFLOW", "processingType": "BATCH"}}
TERMINAL = {"COMPLETE": "COMPLETED", "FAIL": "FAILED", "ABORT": "ABORTED"}
RATES = parse_cost_rates('{"defaultRuntimePerHour": 3.6}')  # one unit per 1000 s of runtime


def when(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["eventTime"].replace("Z", "+00:00"))


def workload(rng: random.Random, *, dags: int = 6, runs_per_dag: int = 5) -> list[dict[str, Any]]:
    """DAG runs with tasks spread over days; some cross an hour or a day edge, some stay RUNNING."""
    events: list[dict[str, Any]] = []
    for d in range(dags):
        dag = f"dag_{d}"
        for r in range(runs_per_dag):
            dag_run = str(uuid.UUID(int=rng.getrandbits(128)))
            # Around midnight now and then, so that runs cross a day's edge.
            start = (r * 86400) + rng.choice([3000, 86400 - 120, 40000 + rng.randint(0, 9000)])
            trigger = rng.choice(["scheduled", "manual"])
            facets = {"airflowDagRun": {"dagRun": {"run_type": trigger, "dag_version_number": 1 + r // 3}}}
            events.append(
                run_event("START", run_id=dag_run, job=dag, seconds=start, job_facets=DAG_TYPE, run_facets=facets)
            )
            end = start
            for t in range(rng.randint(1, 3)):
                task_run = str(uuid.UUID(int=rng.getrandbits(128)))
                parent = {"parent": parent_facet(dag_run, dag)}
                t_start = end + rng.randint(1, 30)
                t_end = t_start + rng.randint(5, 4000)
                job = f"{dag}.t{t}"
                events.append(
                    run_event(
                        "START", run_id=task_run, job=job, seconds=t_start, run_facets=parent, job_facets=TASK_TYPE
                    )
                )
                events.append(
                    run_event(
                        "RUNNING",
                        run_id=task_run,
                        job=job,
                        seconds=t_start + 2,
                        inputs=[{**dataset("pg", f"in_{d}"), "inputFacets": {"inputStatistics": {"rowCount": 7}}}],
                        run_facets=parent,
                        job_facets=TASK_TYPE,
                    )
                )
                outcome = rng.choice(["COMPLETE", "COMPLETE", "FAIL", "ABORT", None])
                if outcome is None:  # still running
                    continue
                done_facets = dict(parent)
                if outcome == "FAIL":
                    done_facets["errorMessage"] = {
                        "message": f"order {rng.randint(1, 999)} missing",
                        "programmingLanguage": "python",
                    }
                    done_facets["flowlytics_stats"] = {"dqFailedRows": 3}
                events.append(
                    run_event(
                        outcome,
                        run_id=task_run,
                        job=job,
                        seconds=t_end,
                        outputs=[{**dataset("pg", f"out_{d}_{t}"), "outputFacets": output_stats(rng.randint(1, 100))}],
                        run_facets=done_facets,
                        job_facets=TASK_TYPE,
                    )
                )
                end = t_end
            events.append(
                run_event(rng.choice(["COMPLETE", "FAIL"]), run_id=dag_run, job=dag, seconds=end + 5, run_facets=facets)
            )
    return events


def naive(events: list[dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Expected day rollups, recounted from the events alone (no code shared with ingestion)."""
    runs: dict[str, dict[str, Any]] = {}
    for event in events:
        run = runs.setdefault(
            event["run"]["runId"],
            {
                "job": event["job"]["name"],
                "times": [],
                "final": None,
                "rows_in": 0,
                "rows_out": 0,
                "dq": 0,
                "parent": None,
                "trigger": "",
            },
        )
        moment = when(event)
        facets = event["run"]["facets"]
        if "parent" in facets:
            run["parent"] = facets["parent"]["run"]["runId"]
        if "airflowDagRun" in facets:
            run["trigger"] = facets["airflowDagRun"]["dagRun"]["run_type"]
        if event["eventType"] in TERMINAL:
            run["final"] = (TERMINAL[event["eventType"]], moment)
            run["dq"] = facets.get("flowlytics_stats", {}).get("dqFailedRows", 0)
        else:
            run["times"].append(moment)
        for item in event["inputs"]:
            run["rows_in"] = item["inputFacets"]["inputStatistics"]["rowCount"]
        for item in event["outputs"]:
            run["rows_out"] = item["outputFacets"]["outputStatistics"]["rowCount"]
    expected: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(
        lambda: {"runs": 0, "durations": [], "rows_read": 0, "rows_written": 0, "dq": 0}
    )
    # A DAG run's rows and DQ errors are its tasks' (each task has one try here), as Batch Health totals them.
    for dag_run_id, dag_run in runs.items():
        tasks = [run for run in runs.values() if run["parent"] == dag_run_id]
        if tasks:
            for figure in ("rows_in", "rows_out", "dq"):
                dag_run[figure] = sum(task[figure] for task in tasks)
    for run in runs.values():
        start = min(run["times"])
        state = run["final"][0] if run["final"] else "RUNNING"
        level = "task" if run["parent"] else "dag"
        key = (bucket_start(start, "day"), level, run["job"].split(".")[0], run["trigger"], state)
        entry = expected[key]
        entry["runs"] += 1
        if run["final"]:
            entry["durations"].append((run["final"][1] - start).total_seconds())
        entry["rows_read"] += run["rows_in"]
        entry["rows_written"] += run["rows_out"]
        entry["dq"] += run["dq"]
    return expected


def stored(database: Database, grain: str = "day") -> dict[tuple[Any, ...], dict[str, Any]]:
    rows = database.read(lambda s: s.execute(select(RunRollup.__table__).where(RunRollup.grain == grain)).all())
    found: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        if row.runs == 0:
            continue
        key = (row.bucket_start, row.level, row.dag_key, row.trigger_type, row.state)
        if grain == "hour":
            key = (*key, row.job_id)
        assert key not in found
        found[key] = {
            "runs": row.runs,
            "duration_count": row.duration_count,
            "duration_sum": round(row.duration_sum, 6),
            "sketch": row.sketch,
            "rows_read": row.rows_read,
            "rows_written": row.rows_written,
            "dq": row.dq_errors,
            "cost": round(row.cost_estimated, 6),
        }
    return found


def expected_rows(expected: dict[tuple[Any, ...], dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {
        key: {
            "runs": e["runs"],
            "duration_count": len(e["durations"]),
            "duration_sum": round(sum(e["durations"]), 6),
            "sketch": sketch_of(e["durations"]),
            "rows_read": e["rows_read"],
            "rows_written": e["rows_written"],
            "dq": e["dq"],
            "cost": round(sum(e["durations"]) / 1000, 6),
        }
        for key, e in expected.items()
    }


def flush(database: Database, rates: CostRates = RATES, limit: int = 50) -> int:
    """Recount every marked run as the background thread does, a batch per transaction; returns the runs."""
    total = 0
    while claimed := database.run(lambda s: flush_pending_rollups(session=s, cost_rates=rates, limit=limit)):
        total += claimed
    return total


def ingest(
    database: Database, events: list[dict[str, Any]], chunk: int, rates: CostRates = RATES, flush_every: int = 0
) -> None:
    """Store the events `chunk` at a time; the marked runs are recounted after every `flush_every` chunks
    (0: once, at the end), as the background thread would between requests."""
    received = datetime.now(timezone.utc)
    for number, start in enumerate(range(0, len(events), chunk), 1):
        parsed = [parse_event(e) for e in events[start : start + chunk]]
        database.run(lambda session, parsed=parsed: store_events(parsed, session=session, received_at=received))
        if flush_every and number % flush_every == 0:
            flush(database, rates)
    flush(database, rates)


@pytest.mark.parametrize("seed", [7, 8])
def test_rollups_equal_a_naive_recount_after_shuffled_and_duplicated_delivery(database: Database, seed: int) -> None:
    rng = random.Random(seed)
    events = workload(rng)
    delivered = events + rng.sample(events, len(events) // 3)  # a third delivered twice
    rng.shuffle(delivered)
    # Recounts between some requests: runs are counted, then move on (old contribution out, new one in).
    ingest(database, delivered, chunk=rng.randint(3, 17), flush_every=rng.randint(1, 4))
    want = expected_rows(naive(events))
    assert stored(database) == want
    # Hour rollups (per job) add up to the same figures per day.
    by_day: dict[tuple[Any, ...], int] = defaultdict(int)
    for (hour, *rest, _job), figures in stored(database, "hour").items():
        by_day[(bucket_start(hour, "day"), *rest)] += figures["runs"]
    assert dict(by_day) == {key: value["runs"] for key, value in want.items()}
    # The rollups over all DAGs hold the same runs with the DAG dropped.
    over_dags: dict[tuple[Any, ...], int] = defaultdict(int)
    for (day, level, _dag, *rest), figures in want.items():
        over_dags[(day, level, "", *rest)] += figures["runs"]
    assert {key: value["runs"] for key, value in stored(database, "dayall").items()} == dict(over_dags)
    # Sanity of the oracle: the workload has runs that stay RUNNING and runs crossing a day edge.
    assert any(key[-1] == "RUNNING" for key in want)


def test_a_run_moves_from_running_to_its_final_state_exactly_once(database: Database) -> None:
    run_id = str(uuid.uuid4())
    start = run_event("START", run_id=run_id, job="solo", seconds=0)
    fail = run_event("FAIL", run_id=run_id, job="solo", seconds=100)
    ingest(database, [start], chunk=1)
    assert [(k[-1], v["runs"]) for k, v in stored(database).items()] == [("RUNNING", 1)]
    ingest(database, [fail, start, fail], chunk=1)
    assert [(k[-1], v["runs"], v["duration_sum"]) for k, v in stored(database).items()] == [("FAILED", 1, 100.0)]


def test_retention_keeps_rollups_and_a_rebuild_recounts_the_same(database: Database) -> None:
    rng = random.Random(3)
    events = workload(rng, dags=3, runs_per_dag=3)
    ingest(database, events, chunk=25)
    before = stored(database)
    before_hours = stored(database, "hour")
    database.run(lambda s: rebuild_rollups(session=s, cost_rates=RATES))
    assert stored(database) == before and stored(database, "hour") == before_hours
    # Age every run past the retention cutoff: runs and facts go, the rollups stay.
    old = datetime.now(timezone.utc) - timedelta(days=400)
    database.run(lambda s: s.execute(update(Run).values(sort_time=old)))
    assert clean(database, timedelta(days=90)).runs > 0
    assert database.read(lambda s: s.execute(select(RunFact)).first()) is None
    assert stored(database) == before


@pytest.mark.parametrize("chunk_size", [1, 4, 13])
def test_a_rebuild_in_chunks_that_split_hours_and_days_recounts_what_ingest_counted(
    database: Database, chunk_size: int
) -> None:
    """The rebuild writes a bucket once its chunks have passed its end; chunks far smaller than a bucket
    must still give the rows ingest keeps, sketches included."""
    ingest(database, workload(random.Random(13)), chunk=9)
    before = {grain: rollup_rows(database, grain) for grain in ("hour", "day", "dayall")}
    assert all(before.values())
    database.run(lambda s: rebuild_rollups(session=s, cost_rates=RATES, chunk_size=chunk_size))
    assert {grain: rollup_rows(database, grain) for grain in before} == before


def test_a_rebuild_recounts_the_same_when_runs_sort_apart_from_their_buckets(database: Database) -> None:
    """A run whose sort time is not its bucket's moment (stored by an older version, say) comes after its
    bucket was written: the rebuild adds it into that row instead of losing it or writing a second row."""
    ingest(database, workload(random.Random(17)), chunk=11)
    before = {grain: rollup_rows(database, grain) for grain in ("hour", "day", "dayall")}
    runs = sorted(database.read(lambda s: s.execute(select(Run.run_uuid, Run.sort_time)).all()))
    for run_uuid, sort_time in runs[::3]:
        database.run(
            lambda s, u=run_uuid, t=sort_time: s.execute(
                update(Run).where(Run.run_uuid == u).values(sort_time=t + timedelta(days=3))
            )
        )
    database.run(lambda s: rebuild_rollups(session=s, cost_rates=RATES, chunk_size=5))
    assert {grain: rollup_rows(database, grain) for grain in before} == before


def test_the_rebuild_command_recounts_with_the_configured_rate_card(
    sqlite_database: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from lineage_backend.cli import main

    events = workload(random.Random(5), dags=2, runs_per_dag=2)
    ingest(sqlite_database, events, chunk=10, rates=CostRates())
    assert all(v["cost"] == 0 for v in stored(sqlite_database).values())
    monkeypatch.setenv("FLOWLYTICS_COST_RATES", '{"defaultRuntimePerHour": 3.6}')
    assert main(["analytics", "rebuild", "--db-url", str(sqlite_database.engine.url)]) == 0
    assert "recounted" in capsys.readouterr().out
    assert stored(sqlite_database) == expected_rows(naive(events))


def test_the_migration_backfills_rollups_of_stored_runs(database: Database) -> None:
    from alembic import command

    from lineage_backend.store.migrate import alembic_config, upgrade

    events = workload(random.Random(11), dags=2, runs_per_dag=3)
    ingest(database, events, chunk=20, rates=CostRates())
    before, before_hours = stored(database), stored(database, "hour")
    config = alembic_config(database.engine.url.render_as_string(hide_password=False))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    upgrade(database.engine)
    assert stored(database) == before and stored(database, "hour") == before_hours


def rollup_rows(database: Database, grain: str) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Rollup rows of a grain by their whole key (with the DAG's namespace when the table has it); rows
    whose runs all moved on (0 runs) count nothing and are left out."""
    table = RunRollup.__table__

    def read(session: Any) -> list[Any]:
        columns = {c["name"] for c in inspect(session.connection()).get_columns("flowlytics_run_rollup")}
        return session.execute(
            select(*(column for column in table.c if column.name in columns)).where(table.c.grain == grain)
        ).all()

    found = {}
    for row in database.read(read):
        data = row._asdict()
        if not data["runs"]:
            continue
        key = tuple(data.get(name) for name in (*KEY_COLUMNS,))
        found[key] = (data["runs"], data["duration_count"], round(data["duration_sum"], 6), data["sketch"])
    return found


def test_migration_0007_splits_day_rollups_by_namespace_and_keeps_those_of_deleted_runs(database: Database) -> None:
    from alembic import command

    from lineage_backend.store.migrate import alembic_config, upgrade

    here = workload(random.Random(21), dags=2, runs_per_dag=3)
    there = json.loads(json.dumps(workload(random.Random(22), dags=2, runs_per_dag=3)).replace('"airflow"', '"there"'))
    ingest(database, here + there, chunk=30)
    days, hours = rollup_rows(database, "day"), rollup_rows(database, "hour")
    assert {key[KEY_COLUMNS.index("dag_namespace")] for key in days} == {"airflow", "there"}
    # Retention deletes some runs (their sort time aged past the cutoff, the others' made recent); their
    # rollups must survive the migration both ways.
    now, old = datetime.now(timezone.utc), datetime.now(timezone.utc) - timedelta(days=400)
    oldest = database.read(lambda s: s.execute(select(Run.sort_time).order_by(Run.sort_time).limit(3)).scalars().all())
    database.run(lambda s: s.execute(update(Run).where(Run.sort_time > oldest[-1]).values(sort_time=now)))
    database.run(lambda s: s.execute(update(Run).where(Run.sort_time <= oldest[-1]).values(sort_time=old)))
    assert clean(database, timedelta(days=90)).runs >= 3
    kept = database.read(lambda s: s.execute(select(func.count()).select_from(RunFact)).scalar_one())
    assert kept > 0
    config = alembic_config(database.engine.url.render_as_string(hide_password=False))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
    merged: dict[tuple[Any, ...], list[Any]] = {}
    for key, (runs, count, total, sketch) in days.items():
        entry = merged.setdefault(
            tuple(k for n, k in zip(KEY_COLUMNS, key, strict=False) if n != "dag_namespace"), [0, 0, 0.0, {}]
        )
        entry[0] += runs
        entry[1] += count
        entry[2] = round(entry[2] + total, 6)
        for bucket, n in sketch.items():
            entry[3][bucket] = entry[3].get(bucket, 0) + n
    downgraded = {
        tuple(k for n, k in zip(KEY_COLUMNS, key, strict=False) if n != "dag_namespace"): value
        for key, value in rollup_rows(database, "day").items()
    }
    assert downgraded == {key: tuple(value) for key, value in merged.items()}
    upgrade(database.engine)
    assert rollup_rows(database, "day") == days and rollup_rows(database, "hour") == hours
    facts = database.read(lambda s: s.execute(select(RunFact.dag_key, RunFact.dag_namespace)).all())
    assert len(facts) == kept
    assert {namespace for dag, namespace in facts if dag} == {"airflow", "there"}


def test_the_sketch_merge_adds_bucket_by_bucket_and_drops_buckets_that_reach_zero(database: Database) -> None:
    """The upsert's SQL merge, bucket by bucket against a Python sum: negative and zero keys, the zero-duration
    bucket, a delta without a sketch (counts only), a bucket withdrawn to zero and one added afresh."""
    from lineage_backend.ingest.rollups import apply_deltas

    key = ("hour", datetime(2026, 1, 5, 3, tzinfo=timezone.utc), "task", "dag", "ns", 7, "ns:ns", "", "COMPLETED")
    zero = {"runs": 0, "duration_count": 0, "duration_sum": 0.0, "rows_read": 0, "rows_written": 0, "dq_errors": 0}
    steps = [
        {"-3": 2, "0": 1, "z": 4, "117": 1},
        {},  # counts only: the sketch is left as it is
        {"-3": -2, "5": 3},
        {"z": -4, "117": 2, "-40": 1},
        {"0": -1, "5": -3, "-40": -1, "117": -3},
    ]
    expected: dict[str, int] = {}
    for step in steps:
        delta = zero | {"runs": 1, "cost_estimated": 0.0, "cost_billed": 0.0, "sketch": step}
        database.run(lambda s, delta=delta: apply_deltas({key: delta}, session=s))
        for bucket, count in step.items():
            expected[bucket] = expected.get(bucket, 0) + count
        expected = {bucket: count for bucket, count in expected.items() if count}
        stored = database.read(lambda s: s.execute(select(RunRollup.sketch, RunRollup.runs)).one())
        assert {k: int(v) for k, v in stored.sketch.items()} == expected
    assert stored.runs == len(steps)
    assert stored.sketch == {}
