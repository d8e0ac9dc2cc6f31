"""`flowlytics` command: serve the API, migrate the database, replay event files, rebuild analytics."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="flowlytics", description="Flowlytics OpenLineage backend")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the HTTP API (standalone, without Airflow)")
    serve.add_argument("--db-url", default=os.environ.get("FLOWLYTICS_DB_URL"), help="SQLAlchemy URL")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--no-migrate", action="store_true", help="do not create or upgrade tables at start")

    db = commands.add_parser("db", help="database commands")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    migrate = db_commands.add_parser("migrate", help="create or upgrade Flowlytics' tables")
    migrate.add_argument("--db-url", default=os.environ.get("FLOWLYTICS_DB_URL"))
    clean = db_commands.add_parser(
        "clean", help="delete runs and raw events older than an age, in small chunks (lineage is kept)"
    )
    clean.add_argument("--db-url", default=os.environ.get("FLOWLYTICS_DB_URL"))
    clean.add_argument(
        "--older-than",
        default=f"{os.environ.get('FLOWLYTICS_RETENTION_DAYS', '90')}d",
        help="age such as 90d, 12h, 2w (default: FLOWLYTICS_RETENTION_DAYS or 90 days)",
    )
    clean.add_argument("--chunk-size", type=int, default=1000)
    clean.add_argument("--dry-run", action="store_true", help="only count what would be deleted")

    analytics = commands.add_parser("analytics", help="run-analytics commands")
    analytics_commands = analytics.add_subparsers(dest="analytics_command", required=True)
    rebuild = analytics_commands.add_parser(
        "rebuild",
        help="recount the rollups of stored runs (after changing cost_rates); rollups of deleted runs are kept",
    )
    rebuild.add_argument("--db-url", default=os.environ.get("FLOWLYTICS_DB_URL"))

    replay = commands.add_parser("replay", help="post the events of a file (JSON, JSON array or NDJSON)")
    replay.add_argument("file", type=Path)
    replay.add_argument("--url", default=os.environ.get("FLOWLYTICS_URL", "http://127.0.0.1:5000/"))
    replay.add_argument("--api-key", default=os.environ.get("FLOWLYTICS_API_KEY"))
    replay.add_argument("--batch-size", type=int, default=500)

    impact = commands.add_parser(
        "impact", help="print the downstream impact of nodes; exit 1 when a policy limit is hit (for CI)"
    )
    impact.add_argument("--node", action="append", required=True, help="node id, e.g. dataset:ns:name (repeatable)")
    impact.add_argument("--url", default=os.environ.get("FLOWLYTICS_URL"), help="Flowlytics base URL (FLOWLYTICS_URL)")
    impact.add_argument("--api-key", default=os.environ.get("FLOWLYTICS_API_KEY"), help="read key (FLOWLYTICS_API_KEY)")
    impact.add_argument(
        "--fail-on", choices=["low", "medium", "high", "critical"], help="fail on consumers at or above"
    )
    impact.add_argument("--max-datasets", type=int, help="fail when more downstream datasets than this")
    impact.add_argument("--sla-within-hours", type=float, help="fail when an SLA-bound consumer is due this soon")
    impact.add_argument("--owner", action="append", default=[], help="fail when a consumer has this owner")
    impact.add_argument("--depth", type=int, help="hops to follow (default: all)")
    impact.add_argument("--json", action="store_true", help="print the raw impact responses as JSON")

    workflow = commands.add_parser("workflow", help="workflow drafts from controlled English")
    workflow_commands = workflow.add_subparsers(dest="workflow_command", required=True)
    draft = workflow_commands.add_parser(
        "draft", help="read a description; print the paraphrase and issues; write the DAG draft (exit 1 on errors)"
    )
    draft.add_argument("file", type=Path, help="the description in controlled English ('-' for stdin)")
    draft.add_argument("--out", type=Path, help="write the DAG draft here (e.g. dags/orders.py) when there is no error")
    draft.add_argument("--mermaid", type=Path, help="write the Mermaid flowchart here (e.g. orders.mmd)")
    draft.add_argument("--test-events", type=Path, help="write the sample events, one per path, as JSON")
    draft.add_argument("--dag-id", help="DAG id (default: wf_<event or schedule>)")
    draft.add_argument(
        "--events",
        type=Path,
        help="YAML/JSON with the events (assets, datasets) drafts may use: a list, {events: [...]}, or the "
        "answer of GET /api/v1/workflows/catalog",
    )
    draft.add_argument(
        "--operations",
        default=os.environ.get("FLOWLYTICS_WORKFLOW_OPERATIONS", ""),
        help="the deployment's operations: YAML file or module path (FLOWLYTICS_WORKFLOW_OPERATIONS)",
    )
    draft.add_argument(
        "--db-url", default=os.environ.get("FLOWLYTICS_DB_URL"), help="also use the datasets Flowlytics has seen"
    )

    openapi = commands.add_parser(
        "openapi", help="print the API's OpenAPI document (the UI's TypeScript types are generated from it)"
    )
    openapi.add_argument("--out", type=Path, help="write it to this file instead of stdout")

    args = parser.parse_args(argv)
    if args.command == "openapi":
        return _openapi(args.out)
    if args.command == "workflow":
        return _workflow_draft(args)
    if args.command == "impact":
        return _impact(args)
    if args.command == "serve":
        return _serve(args)
    if args.command == "analytics":
        return _rebuild(args)
    if args.command == "db" and args.db_command == "clean":
        return _clean(args)
    if args.command == "db":
        return _migrate(args.db_url)
    return _replay(args)


def openapi_document() -> dict[str, Any]:
    """The API's contract as the UI sees it; needs no database (an in-memory SQLite is never opened)."""
    from lineage_backend.app import create_app
    from lineage_backend.config import Settings
    from lineage_backend.db import Database

    return create_app(Settings(db_url="sqlite://"), database=Database.from_url("sqlite://")).openapi()


def _openapi(out: Path | None) -> int:
    text = json.dumps(openapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        print(f"flowlytics: wrote {out}")
    return 0


def _require_db_url(url: str | None) -> str:
    if not url:
        raise SystemExit(
            "flowlytics: no database; pass --db-url (e.g. sqlite:///flowlytics.db) or set FLOWLYTICS_DB_URL"
        )
    return url


def _migrate(url: str | None) -> int:
    from lineage_backend.db import make_engine
    from lineage_backend.store.migrate import current_revision, upgrade

    engine = make_engine(_require_db_url(url))
    upgrade(engine)
    print(f"flowlytics: database at revision {current_revision(engine)}")
    return 0


def _impact(args: argparse.Namespace) -> int:
    """Exit 0 within policy, 1 when the policy is violated, 2 when the question could not be answered."""
    from datetime import datetime, timezone

    import httpx

    from lineage_backend.gates import ImpactPolicy, evaluate_impact

    if not args.url:
        print("flowlytics: pass --url (or set FLOWLYTICS_URL), e.g. http://airflow:8080/flowlytics/", file=sys.stderr)
        return 2
    policy = ImpactPolicy(
        max_downstream_datasets=args.max_datasets,
        fail_on_criticality=args.fail_on,
        sla_due_within_hours=args.sla_within_hours,
        blocked_owners=tuple(args.owner),
    )
    headers = {"Authorization": f"Bearer {args.api_key}"} if args.api_key else {}
    impacts = []
    with httpx.Client(base_url=args.url.rstrip("/") + "/", headers=headers, timeout=30) as client:
        for node in args.node:
            params: dict[str, str | int] = {"nodeId": node}
            if args.depth:
                params["depth"] = args.depth
            try:
                response = client.get("api/v1/impact", params=params)
            except httpx.HTTPError as error:
                print(f"flowlytics: cannot reach {args.url}: {error}", file=sys.stderr)
                return 2
            if response.status_code != 200:
                detail = response.json().get("detail") if "json" in response.headers.get("content-type", "") else ""
                print(
                    f"flowlytics: {node}: HTTP {response.status_code}: {detail or response.text[:200]}", file=sys.stderr
                )
                return 2
            impacts.append(response.json())
    decision = evaluate_impact(impacts, policy, datetime.now(timezone.utc))
    print(json.dumps(impacts, indent=2) if args.json else decision.report)
    return 0 if decision.passed else 1


def _workflow_draft(args: argparse.Namespace) -> int:
    """Exit 0 when the draft has no error, 1 when it has, 2 when the inputs cannot be read."""
    from lineage_backend.workflows.catalog import Catalog, CatalogConfigError, load_events, load_operations
    from lineage_backend.workflows.draft import make_draft

    try:
        text = sys.stdin.read() if str(args.file) == "-" else args.file.read_text()
        operations = load_operations(args.operations)
        events = load_events(args.events) if args.events else []
    except (OSError, CatalogConfigError) as error:
        print(f"flowlytics: {error}", file=sys.stderr)
        return 2
    if args.db_url:
        from lineage_backend.db import Database
        from lineage_backend.services.workflows import seen_datasets

        database = Database.from_url(args.db_url)
        events.extend(database.read(lambda session: seen_datasets(session=session)))
    draft = make_draft(text, Catalog(events, operations), dag_id=args.dag_id)
    name = str(args.file)
    for issue in draft.issues:
        where = f"{name}:{issue.line}:{issue.column}" if issue.line else name
        print(f"{where}: {issue.severity} {issue.code}: {issue.message}", file=sys.stderr)
    if draft.paraphrase:
        print(draft.paraphrase, end="")
    if args.mermaid and draft.mermaid:
        args.mermaid.parent.mkdir(parents=True, exist_ok=True)
        args.mermaid.write_text(draft.mermaid)
    if draft.has_errors:
        errors = sum(issue.severity == "error" for issue in draft.issues)
        print(f"flowlytics: {errors} error(s); no DAG written", file=sys.stderr)
        return 1
    if args.out and draft.dag_code:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(draft.dag_code)
        print(f"flowlytics: DAG draft written to {args.out}", file=sys.stderr)
    if args.test_events:
        args.test_events.parent.mkdir(parents=True, exist_ok=True)
        payload = [event.model_dump(mode="json", by_alias=True) for event in draft.test_events]
        args.test_events.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


def _clean(args: argparse.Namespace) -> int:
    from lineage_backend.db import Database
    from lineage_backend.services.retention import clean, parse_age

    try:
        age = parse_age(args.older_than)
    except ValueError as error:
        raise SystemExit(f"flowlytics: {error}") from None
    report = clean(
        Database.from_url(_require_db_url(args.db_url)), age, chunk_size=args.chunk_size, dry_run=args.dry_run
    )
    verb = "would delete" if args.dry_run else "deleted"
    print(
        f"flowlytics: {verb} {report.runs} runs and {report.raw_events} raw events "
        f"older than {report.cutoff:%Y-%m-%d %H:%M} UTC"
    )
    return 0


def _rebuild(args: argparse.Namespace) -> int:
    from lineage_backend.config import Settings
    from lineage_backend.db import Database
    from lineage_backend.ingest.rollups import rebuild_rollups

    try:
        rates = Settings.from_env(_require_db_url(args.db_url)).cost_rates
    except ValueError as error:
        raise SystemExit(f"flowlytics: {error}") from None
    database = Database.from_url(_require_db_url(args.db_url))
    counted = database.run(lambda session: rebuild_rollups(session=session, cost_rates=rates))
    print(f"flowlytics: recounted {counted} runs into the analytics rollups")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    url = _require_db_url(args.db_url)
    if not args.no_migrate:
        _migrate(url)
    os.environ["FLOWLYTICS_DB_URL"] = url
    uvicorn.run(
        "lineage_backend.app:create_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
    )
    return 0


def read_events(path: Path) -> list[Any]:
    text = path.read_text()
    stripped = text.strip()
    if stripped.startswith("["):
        return list(json.loads(stripped))
    try:
        return [json.loads(stripped)]
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]


def _replay(args: argparse.Namespace) -> int:
    import httpx

    events = read_events(args.file)
    headers = {"Authorization": f"Bearer {args.api_key}"} if args.api_key else {}
    endpoint = args.url.rstrip("/") + "/api/v1/lineage/batch"
    failed = 0
    with httpx.Client(timeout=60) as client:
        for start in range(0, len(events), args.batch_size):
            response = client.post(endpoint, json=events[start : start + args.batch_size], headers=headers)
            if response.status_code >= 400 and response.status_code != 422:
                print(f"flowlytics: {endpoint} answered {response.status_code}: {response.text}", file=sys.stderr)
                return 1
            body = response.json()
            failed += body["summary"]["failed"]
            for item in body["failedEvents"]:
                print(f"event {start + item['index']}: {item['reason']}", file=sys.stderr)
    print(f"flowlytics: posted {len(events)} events, {failed} rejected")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
