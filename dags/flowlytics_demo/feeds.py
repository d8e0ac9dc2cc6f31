"""The orders feed as its sender drops it, controlled by the demo and the e2e tests (no Airflow needed).

    python -m flowlytics_demo.feeds drift DATA_DIR     the sender renamed `amount` to `order_amount`: the
                                                       pipeline's extract_orders fails on the next run
    python -m flowlytics_demo.feeds restore DATA_DIR   the agreed feed again: the next run recovers

(run with `dags/` on PYTHONPATH). The file is the control: a rerun reads whatever the sender left there.
"""

from __future__ import annotations

import csv
import os
import sys
import tempfile
from pathlib import Path

from flowlytics_demo.steps import ORDERS_FEED, Table, orders_feed

DRIFTED_COLUMN = ("amount", "order_amount")  # (agreed name, the name the sender's new export uses)


def drifted_orders_feed() -> Table:
    old, new = DRIFTED_COLUMN
    feed = orders_feed()
    columns = [(new if name == old else name, kind) for name, kind in feed.columns]
    rows = [{(new if key == old else key): value for key, value in row.items()} for row in feed.rows]
    return Table(columns, rows)


def write_feed(base: Path, table: Table) -> Path:
    path = base / ORDERS_FEED
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[name for name, _ in table.columns])
        writer.writeheader()
        writer.writerows(table.rows)
    os.replace(tmp, path)  # atomic: a running extract never reads half a file
    return path


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("drift", "restore"):
        print(__doc__, file=sys.stderr)
        return 2
    table = drifted_orders_feed() if argv[0] == "drift" else orders_feed()
    print(write_feed(Path(argv[1]), table))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
