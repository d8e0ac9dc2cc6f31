import { useCallback, useEffect, useState } from "react";
import { fetchBatches } from "../api/batches";
import { ApiError } from "../api/client";
import { Pagination } from "../components/Pagination";
import * as s from "../components/styles";
import { BatchList } from "../batch/BatchList";
import { BatchView } from "../batch/BatchView";
import {
  rangeBounds,
  readBatchUrl,
  TIME_RANGES,
  writeBatchUrl,
  type BatchUrlState,
  type TimeRange,
} from "../batch/format";
import { usePolledQuery } from "../lib/usePolledQuery";
import { useLiveVersion, useRefreshOnChange } from "../lib/useLiveVersion";
import { isoToLocalInput, localInputToIso } from "../lineage/urlState";
import type { PluginProps } from "../types";

export const BATCH_PAGE_SIZE = 50;
/** Free-text filters apply after this pause in typing. */
const TYPING_MS = 400;

function initialState(): BatchUrlState {
  return typeof window !== "undefined" ? readBatchUrl(window.location.search) : readBatchUrl("");
}

/** A text filter that applies after a pause in typing, on Enter or on leaving the field. */
function FilterInput({
  label,
  value,
  options,
  testId,
  onCommit,
}: {
  label: string;
  value: string | null;
  options: string[];
  testId: string;
  onCommit: (value: string | null) => void;
}) {
  const [text, setText] = useState(value ?? "");
  useEffect(() => setText(value ?? ""), [value]);
  useEffect(() => {
    if (text === (value ?? "")) return undefined;
    const id = setTimeout(() => onCommit(text.trim() || null), TYPING_MS);
    return () => clearTimeout(id);
  }, [text, value, onCommit]);
  const listId = `${testId}-options`;
  return (
    <label style={{ display: "flex", alignItems: "center", gap: "6px" }}>
      {label}
      <input
        data-testid={testId}
        list={listId}
        value={text}
        placeholder="all"
        onChange={(event) => setText(event.target.value)}
        onKeyDown={(event) => {
          if (event.key === "Enter") onCommit(text.trim() || null);
        }}
        onBlur={() => {
          if (text !== (value ?? "")) onCommit(text.trim() || null);
        }}
        style={{ ...s.select, width: "170px" }}
      />
      <datalist id={listId}>
        {options.map((o) => (
          <option key={o} value={o} />
        ))}
      </datalist>
    </label>
  );
}

/**
 * The "Batch Health" nav page: batches newest first with filters (time range,
 * environment, DAG), the newest (or `?batch=`) selected, and its metrics,
 * processes, data quality and trends. Live: reloads on new events.
 */
export function BatchHealthPage(_props: PluginProps) {
  const [view, setView] = useState<BatchUrlState>(initialState);
  const [offset, setOffset] = useState(0);
  const version = useLiveVersion();
  const [mountedAt] = useState(() => (typeof performance !== "undefined" ? performance.now() : 0));

  // Deep link: keep the URL in step, without adding history entries.
  useEffect(() => {
    if (typeof window === "undefined") return;
    const search = writeBatchUrl(window.location.search, view);
    if (search !== window.location.search) {
      window.history.replaceState(window.history.state, "", `${window.location.pathname}${search}${window.location.hash}`);
    }
  }, [view]);
  useEffect(() => {
    const onPop = () => setView(readBatchUrl(window.location.search));
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);

  const update = useCallback((patch: Partial<BatchUrlState>) => {
    setView((current) => ({ ...current, ...patch }));
    if (!("batch" in patch)) setOffset(0);
  }, []);

  const listKey = [view.range, view.since ?? "", view.until ?? "", view.env ?? "", view.dag ?? "", offset].join("|");
  const loadList = useCallback(
    (signal: AbortSignal) => {
      const bounds = rangeBounds(view);
      return fetchBatches(
        { since: bounds.since, until: bounds.until, env: view.env, dagId: view.dag, limit: BATCH_PAGE_SIZE, offset },
        signal,
      );
    },
    [view, offset],
  );
  const list = usePolledQuery(loadList, listKey, 0);
  useRefreshOnChange(version, list.refresh);

  // Suggestions for the free-text filters: every environment and DAG seen so far.
  const [seen, setSeen] = useState<{ envs: string[]; dags: string[] }>({ envs: [], dags: [] });
  const items = list.data?.items;
  useEffect(() => {
    if (!items) return;
    setSeen((prev) => {
      const envs = new Set(prev.envs);
      const dags = new Set(prev.dags);
      for (const b of items) {
        if (b.env) envs.add(b.env);
        dags.add(b.dagId ?? b.job.name);
      }
      if (envs.size === prev.envs.length && dags.size === prev.dags.length) return prev;
      return { envs: [...envs].sort(), dags: [...dags].sort() };
    });
  }, [items]);

  const newest = offset === 0 ? (items?.[0]?.batchId ?? null) : null;
  const selectedId = view.batch ?? newest;
  const selectedListed = !!items?.some((b) => b.batchId === selectedId);
  const filtered = !!(view.env || view.dag || view.range !== "7d");

  const commitEnv = useCallback((env: string | null) => update({ env }), [update]);
  const commitDag = useCallback((dag: string | null) => update({ dag }), [update]);

  return (
    <div data-testid="flowlytics-batch-health" style={s.page}>
      <h2 style={s.title}>Batch health</h2>
      <div style={s.toolbar}>
        <label style={{ display: "flex", alignItems: "center", gap: "6px" }}>
          Time range
          <select
            data-testid="flowlytics-batch-range"
            style={s.select}
            value={view.range}
            onChange={(event) => {
              const range = event.target.value as TimeRange;
              if (range === "custom" && !view.since) {
                const bounds = rangeBounds(view);
                update({ range, since: bounds.since, until: null });
              } else {
                update({ range });
              }
            }}
          >
            {TIME_RANGES.map((r) => (
              <option key={r.value} value={r.value}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        {view.range === "custom" ? (
          <>
            <label style={{ display: "flex", alignItems: "center", gap: "6px" }}>
              From
              <input
                type="datetime-local"
                data-testid="flowlytics-batch-since"
                style={s.select}
                value={isoToLocalInput(view.since)}
                onChange={(event) => update({ since: localInputToIso(event.target.value) })}
              />
            </label>
            <label style={{ display: "flex", alignItems: "center", gap: "6px" }}>
              To
              <input
                type="datetime-local"
                data-testid="flowlytics-batch-until"
                style={s.select}
                value={isoToLocalInput(view.until)}
                onChange={(event) => update({ until: localInputToIso(event.target.value) })}
              />
            </label>
          </>
        ) : null}
        <FilterInput label="Environment" value={view.env} options={seen.envs} testId="flowlytics-batch-env" onCommit={commitEnv} />
        <FilterInput label="DAG" value={view.dag} options={seen.dags} testId="flowlytics-batch-dag" onCommit={commitDag} />
        {filtered ? (
          <button
            type="button"
            style={s.button}
            data-testid="flowlytics-batch-clear"
            onClick={() => update({ range: "7d", since: null, until: null, env: null, dag: null })}
          >
            Clear filters
          </button>
        ) : null}
        <span style={{ ...s.muted, fontSize: "12px" }}>
          {list.data ? `${list.data.totalCount} batch${list.data.totalCount === 1 ? "" : "es"}` : ""}
        </span>
      </div>

      {list.error ? (
        <div data-testid="flowlytics-error" role="alert" style={s.errorBox}>
          <strong>Could not load batches</strong>
          {list.error instanceof ApiError ? ` (HTTP ${list.error.status})` : ""}: {list.error.message}
        </div>
      ) : null}
      {!list.data && list.loading ? (
        <div data-testid="flowlytics-loading" style={{ ...s.notice, ...s.muted }}>
          Loading batches…
        </div>
      ) : null}
      {list.data && list.data.totalCount === 0 ? (
        <div data-testid="flowlytics-empty" data-reason={filtered ? "filter" : "no-batches"} style={s.notice}>
          {filtered
            ? "No batch matches these filters."
            : "No batches in the last 7 days. A batch is a DAG run (or a dbt invocation, a Spark application) that sent OpenLineage events to Flowlytics."}
        </div>
      ) : null}
      {items && items.length > 0 ? (
        <BatchList batches={items} selectedId={selectedId} onSelect={(batch) => update({ batch })} />
      ) : null}
      {list.data && list.data.totalCount > BATCH_PAGE_SIZE ? (
        <Pagination offset={offset} limit={BATCH_PAGE_SIZE} shown={list.data.items.length} total={list.data.totalCount} onChange={setOffset} />
      ) : null}
      {view.batch && list.data && !selectedListed ? (
        <div style={{ ...s.muted, fontSize: "12px", marginTop: "6px" }} data-testid="flowlytics-batch-outside">
          The selected batch is not in this list (other filters or page).{" "}
          <button type="button" style={{ ...s.button, padding: "0 8px" }} onClick={() => update({ batch: null })}>
            Show the newest
          </button>
        </div>
      ) : null}

      {selectedId ? (
        <div style={{ marginTop: "16px" }}>
          <BatchView batchId={selectedId} version={version} mountedAt={mountedAt} />
        </div>
      ) : null}
    </div>
  );
}
