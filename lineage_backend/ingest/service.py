"""Ingestion: decode a body, parse its events, store them in one transaction (2xx only after commit)."""

from __future__ import annotations

import logging
import threading
import weakref
import zlib
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timezone
from typing import Any, Literal

import orjson

from lineage_backend.db import Database, is_contention, is_unavailable
from lineage_backend.errors import BodyTooLargeError, FlowlyticsError, InvalidEventError, MalformedBodyError
from lineage_backend.ingest.bulk import store_events
from lineage_backend.ingest.group_commit import GroupCommit, StoreFunction
from lineage_backend.ingest.id_cache import StaleIdCacheError, forget
from lineage_backend.ingest.parse import ParsedEvent, parse_event
from lineage_backend.ingest.projection import IngestOutcome
from lineage_backend.ingest.results import BatchIngestResponse, BatchSummary, FailedEvent

log = logging.getLogger(__name__)


def _size(limit: int) -> str:
    mib = 1024 * 1024
    return f"{limit // mib} MiB" if limit % mib == 0 else f"{limit} bytes"


def _too_large(limit: int, *, decompressed: bool = False) -> BodyTooLargeError:
    what = "the decompressed body" if decompressed else "the body"
    return BodyTooLargeError(
        f"body too large: the limit is {_size(limit)} (max_body_bytes), before and after gzip, and {what} is "
        "larger; send fewer events per request, or raise [flowlytics] max_body_bytes "
        "(FLOWLYTICS_MAX_BODY_BYTES for `flowlytics serve`)"
    )


async def read_body(
    chunks: AsyncIterator[bytes], *, content_length: str | None, content_encoding: str | None, limit: int
) -> bytes:
    """The request body, gunzipped when sent with gzip; both forms capped at `limit` bytes. (The rest of
    a body over the limit is read before the 413 goes out: `api/drain.py`.)"""
    if content_length and content_length.isdigit() and int(content_length) > limit:
        raise _too_large(limit)
    received = bytearray()
    async for chunk in chunks:
        received.extend(chunk)
        if len(received) > limit:
            raise _too_large(limit)
    encoding = (content_encoding or "identity").strip().lower()
    if encoding in ("", "identity"):
        return bytes(received)
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise MalformedBodyError(f"unsupported Content-Encoding {content_encoding!r}: send gzip or no encoding")
    wbits = 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS
    decompressor = zlib.decompressobj(wbits)
    try:
        body = decompressor.decompress(bytes(received), limit + 1)
    except zlib.error as error:
        raise MalformedBodyError(f"the body is not valid {encoding} data: {error}") from None
    if len(body) > limit or decompressor.unconsumed_tail:
        raise _too_large(limit, decompressed=True)
    if not decompressor.eof:
        raise MalformedBodyError(f"the body is truncated {encoding} data: it ends before the end of the stream")
    return body


def decode_json(body: bytes) -> Any:
    if not body.strip():
        raise MalformedBodyError("empty body: send one OpenLineage event as JSON")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise MalformedBodyError(f"the body is not valid JSON: {error}") from None


def ingest_one(
    database: Database,
    document: Any,
    *,
    rollups: bool = True,
    body: bytes | None = None,
) -> IngestOutcome:
    """Store one event; concurrent calls in this process share a transaction (`group_commit`). `body`:
    the JSON as received, stored as the raw event instead of writing the document out again."""
    if isinstance(document, list):
        raise InvalidEventError("this endpoint takes one event; post a JSON array to /api/v1/lineage/batch")
    event = parse_event(document, payload=body)
    return group_commit_for(database, rollups=rollups).submit(event)


# database -> rollups on/off -> its committer (one app has one setting; tests switch it)
_group_commits: weakref.WeakKeyDictionary[Database, dict[bool, GroupCommit]] = weakref.WeakKeyDictionary()
_group_commits_lock = threading.Lock()


def group_commit_for(database: Database, *, rollups: bool = True) -> GroupCommit:
    """The one group committer of this database (and rollup setting) in this process."""
    committer = _group_commits.get(database, {}).get(rollups)
    if committer is None:
        with _group_commits_lock:
            committers = _group_commits.setdefault(database, {})
            committer = committers.get(rollups)
            if committer is None:
                committer = GroupCommit(_store_in(weakref.ref(database), rollups=rollups))
                committers[rollups] = committer
    return committer


def _store_in(database_ref: weakref.ReferenceType[Database], *, rollups: bool) -> StoreFunction:
    """A store function that does not keep its database alive (the committers' map is weak on it)."""

    def store_events_in_database(events: Sequence[ParsedEvent]) -> list[IngestOutcome]:
        database = database_ref()
        if database is None:
            raise RuntimeError("the database of this group commit is gone")
        return store(database, events, rollups=rollups)

    return store_events_in_database


def store(
    database: Database,
    events: Sequence[ParsedEvent],
    *,
    rollups: bool = True,
) -> list[IngestOutcome]:
    """Store parsed events in one transaction (retried on lock contention by `Database.run`)."""
    received_at = datetime.now(timezone.utc)

    def work(session: Any) -> list[IngestOutcome]:
        return store_events(events, session=session, received_at=received_at, rollups=rollups)

    try:
        return database.run(work)
    except StaleIdCacheError as error:
        # Jobs or datasets were deleted behind this process's back: forget what it knew, store again.
        log.warning("%s; storing again without the id cache", error)
        forget(database.engine)
        return database.run(work)


def ingest_batch(
    database: Database,
    document: Any,
    *,
    max_events: int,
    rollups: bool = True,
) -> BatchIngestResponse:
    if not isinstance(document, list):
        raise InvalidEventError(
            "the batch endpoint takes a JSON array of events; post a single event to /api/v1/lineage"
        )
    if len(document) > max_events:
        raise BodyTooLargeError(f"a batch holds at most {max_events} events, this one has {len(document)}; split it")
    failed: list[FailedEvent] = []
    parsed: list[tuple[int, ParsedEvent]] = []
    for index, item in enumerate(document):
        try:
            parsed.append((index, parse_event(item, where=f"[{index}]")))
        except FlowlyticsError as error:
            failed.append(FailedEvent(index=index, reason=error.detail, retriable=False))

    events = [event for _, event in parsed]
    try:
        store(database, events, rollups=rollups)
    except Exception as error:
        if is_contention(error) or is_unavailable(error):
            raise  # a retriable 503 for the whole batch, not one "could not be stored" per event
        # One event the projection cannot take must not sink the others: store them one by one.
        log.warning("batch insert failed (%s); storing its events one by one", error)
        for index, event in parsed:
            try:
                store(database, [event], rollups=rollups)
            except Exception as single_error:
                if is_contention(single_error) or is_unavailable(single_error):
                    raise
                log.exception("could not store event %s of a batch", index)
                failed.append(FailedEvent(index=index, reason=f"could not be stored: {single_error}", retriable=True))

    failed.sort(key=lambda item: item.index)
    retriable = sum(1 for item in failed if item.retriable)
    successful = len(document) - len(failed)
    status: Literal["success", "partial_success", "failure"] = "success"
    if failed:
        status = "failure" if successful == 0 else "partial_success"
    detail = None
    if status == "failure":
        first = failed[0].reason if failed else ""
        detail = f"none of the {len(document)} events was stored; the first problem: {first}"
    return BatchIngestResponse(
        detail=detail,
        status=status,
        summary=BatchSummary(
            received=len(document),
            successful=successful,
            failed=len(failed),
            retriable=retriable,
            non_retriable=len(failed) - retriable,
        ),
        failed_events=failed,
    )
