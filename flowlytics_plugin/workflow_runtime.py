"""What generated workflow DAGs call at run time: the event, the facts decisions read, and the built-in
operations. Reviewed platform code, so that the generated files hold no logic of their own.

Runs in task processes: no metadata-DB access, only the task context, XCom and Connections.
A deployment operation is a callable `op(*, event, dataset, dataset_id, params, item=None, context=None)`
returning a dict (its facts, e.g. `{"invalid_rows_percent": 0.4}`) or None.

`FLOWLYTICS_WORKFLOW_DRY_RUN=1` makes the built-ins log what they would do instead of doing it
(for `dag.test()` on the sample events).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

Facts = dict[str, Any]


def _dry_run() -> bool:
    return os.environ.get("FLOWLYTICS_WORKFLOW_DRY_RUN", "").lower() in {"1", "true", "yes"}


def event_payload(context: Mapping[str, Any]) -> Facts:
    """The event that started this run: `{"event": {...}}` in the run's conf (manual runs, dag.test), else the
    `extra` of the newest triggering asset event."""
    dag_run = context.get("dag_run")
    conf = getattr(dag_run, "conf", None) or {}
    if isinstance(conf.get("event"), dict):
        return dict(conf["event"])
    events = context.get("triggering_asset_events") or {}
    newest: Facts = {}
    try:
        for asset_events in events.values():
            for asset_event in asset_events:
                newest = dict(getattr(asset_event, "extra", None) or {})
    except (AttributeError, TypeError):
        return newest
    return newest


def facts_for(context: Mapping[str, Any], task_ids: Sequence[str]) -> Facts:
    """The event's fields, overlaid by what upstream tasks returned (dicts), nearest last."""
    facts = event_payload(context)
    ti = context.get("ti")
    for task_id in task_ids:
        value = ti.xcom_pull(task_ids=task_id) if ti is not None else None
        if isinstance(value, dict):
            facts.update(value)
    return facts


def number(facts: Mapping[str, Any], field: str) -> float:
    if field not in facts:
        raise ValueError(
            f"the decision needs the value {field!r}: send it in the event or return it from an earlier step "
            f"(known values: {sorted(facts)})"
        )
    try:
        return float(facts[field])
    except (TypeError, ValueError):
        raise ValueError(f"{field!r} should be a number, got {facts[field]!r}") from None


def same(facts: Mapping[str, Any], field: str, value: Any) -> bool:
    if field not in facts:
        raise ValueError(f"the decision needs the value {field!r} (known values: {sorted(facts)})")
    found = facts[field]
    if isinstance(value, str) or isinstance(found, str):
        return str(found).strip().lower() == str(value).strip().lower()
    return bool(found == value)


def list_items(context: Mapping[str, Any], collection: str) -> list[Any]:
    """The items of `for each … in <collection>`: the event's field of that name (snake_case), or `items`."""
    payload = event_payload(context)
    key = re.sub(r"[^a-z0-9]+", "_", collection.lower()).strip("_")
    items = payload.get(key, payload.get("items", []))
    return list(items) if isinstance(items, list | tuple) else [items]


def run_callable(
    function: Callable[..., Any],
    context: Mapping[str, Any],
    *,
    operation: str,
    dataset: str | None,
    dataset_id: str | None,
    params: Mapping[str, str],
    item: Any = None,
) -> Facts | None:
    log.info(
        "workflow step %s on %s (%s) with %s%s",
        operation,
        dataset,
        dataset_id,
        dict(params),
        "" if item is None else f", item {item!r}",
    )
    result = function(
        event=event_payload(context),
        dataset=dataset,
        dataset_id=dataset_id,
        params=dict(params),
        item=item,
        context=context,
    )
    return result if isinstance(result, dict) else None


# Built-in operations.


def dry_run(*, event: Facts, dataset: str | None, params: Mapping[str, str], **_: Any) -> Facts:
    """Does nothing but log: a stand-in for operations that are still to be written."""
    log.info("dry run: dataset=%s params=%s event=%s", dataset, dict(params), event)
    return {}


def run_sql(*, dataset: str | None, dataset_id: str | None, params: Mapping[str, str], **_: Any) -> Facts:
    statement = params.get("with") or params.get("using") or ""
    conn_id = params.get("via") or params.get("on") or "flowlytics_sql_default"
    if _dry_run() or not statement:
        log.info("run sql on %s (%s) via %s: %s", dataset, dataset_id, conn_id, statement or "(no statement given)")
        return {}
    from airflow.sdk import BaseHook

    hook = BaseHook.get_connection(conn_id).get_hook()
    hook.run(statement)
    return {}


def copy_file(*, dataset: str | None, params: Mapping[str, str], item: Any = None, **_: Any) -> Facts:
    source = str(item) if item is not None else (dataset or "")
    target = params.get("to", "")
    if _dry_run():
        log.info("copy %s to %s", source, target)
        return {}
    Path(target).mkdir(parents=True, exist_ok=True)
    copied = shutil.copy2(source, target)
    return {"copied_to": str(copied)}


def call_http(*, dataset: str | None, params: Mapping[str, str], event: Facts, **_: Any) -> Facts:
    url = params.get("to") or dataset or ""
    if _dry_run() or not url.startswith(("http://", "https://")):
        log.info("call http %s with %s", url, event)
        return {}
    import httpx

    response = httpx.post(url, json=event, timeout=30)
    response.raise_for_status()
    return {"http_status": response.status_code}


def notify(*, params: Mapping[str, str], event: Facts, **_: Any) -> Facts:
    owner = params.get("owner", "")
    log.warning("NOTIFY %s: workflow event %s", owner, event)
    return {"notified": owner}
