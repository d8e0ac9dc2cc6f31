"""The database behind `npm run bench:analytics-ui`: months of synthetic runs (benchmarks/synthetic.py, the
analytics benchmark's generator) in a SQLite file, counted into the rollups as `flowlytics analytics rebuild`
does. Prints one JSON line: the range the page should open (the last 30 days of the generated history) and
the sizes, for the page-speed script to start `flowlytics serve` over the file.

    .venv/bin/python benchmarks/analytics_ui_fixture.py --db /tmp/analytics-ui.db [--nodes 3000] [--runs 200000]
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import timedelta
from pathlib import Path

import synthetic  # beside this file: the script's folder is on sys.path

from lineage_backend.analytics.cost import CostRates
from lineage_backend.db import Database
from lineage_backend.ingest.rollups import rebuild_rollups


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, type=Path, help="SQLite file to create (must not exist)")
    parser.add_argument("--nodes", type=int, default=3_000, help="jobs + datasets")
    parser.add_argument("--runs", type=int, default=200_000, help="runs over the 90 days of history")
    args = parser.parse_args(argv)
    if args.db.exists():
        parser.error(f"{args.db} exists: give a new path (the fixture fills an empty database)")
    url = f"sqlite:///{args.db}"
    began = time.monotonic()
    graph = synthetic.generate(args.nodes)
    report = synthetic.load(graph, url, args.runs)
    database = Database.from_url(url)
    counted = database.run(lambda session: rebuild_rollups(session=session, cost_rates=CostRates()))
    with database.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    database.engine.dispose()
    end = synthetic.END_TIME
    print(
        json.dumps(
            {
                "dbUrl": url,
                "from": (end - timedelta(days=30)).isoformat().replace("+00:00", "Z"),
                "to": end.isoformat().replace("+00:00", "Z"),
                "jobs": report.jobs,
                "runs": report.runs,
                "historyDays": synthetic.HISTORY_DAYS,
                "rollupsCounted": counted,
                "seconds": round(time.monotonic() - began, 1),
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
