import { useCallback, useEffect, useRef, useState, type CSSProperties } from "react";
import { fetchBatch, fetchProcesses, markAnomalyNormal, processesCsvUrl } from "../api/batches";
import { ApiError } from "../api/client";
import { Pagination } from "../components/Pagination";
import * as s from "../components/styles";
import { formatTimestamp } from "../lib/format";
import { usePolledQuery } from "../lib/usePolledQuery";
import { useRefreshOnChange } from "../lib/useLiveVersion";
import { lineagePageHref } from "../lineage/urlState";
import { DqPanel } from "./DqPanel";
import { DEFAULT_ORDER, DEFAULT_SORT, formatRows, jobLabel, nextSort, shortId } from "./format";
import { MetricsCards } from "./MetricsCards";
import { ProcessDetails } from "./ProcessDetails";
import { ProcessTable } from "./ProcessTable";
import { TrendsPanel } from "./TrendsPanel";
import { PAGE_SIZES, PROCESS_STATUSES, type PageSize, type Process, type SortKey, type SortOrder } from "./types";

type Tab = "processes" | "dq" | "trends";

/** Process names listed in the DQ warning; the rest are counted. */
export const DQ_WARNINGS_SHOWN = 12;

/** Status filter choices: all, the problems, or one status. */
export const STATUS_FILTERS: ReadonlyArray<{ value: string; label: string }> = [
  { value: "", label: "All statuses" },
  { value: "ABORTED,FAILED", label: "Failed or aborted" },
  ...PROCESS_STATUSES.map((status) => ({ value: status, label: status })),
];

const tabButton = (active: boolean): CSSProperties => ({
  font: "inherit",
  color: "inherit",
  background: "transparent",
  border: "none",
  borderBottom: `2px solid ${active ? "currentColor" : "transparent"}`,
  padding: "6px 12px",
  fontWeight: active ? 700 : 400,
  cursor: "pointer",
  opacity: active ? 1 : 0.75,
});

const warningBox: CSSProperties = {
  ...s.notice,
  border: "1px solid #a16207",
  background: "color-mix(in srgb, #a16207 12%, transparent)",
  padding: "8px 12px",
};

export interface BatchViewProps {
  batchId: string;
  /** `graph/version`: the view reloads when it changes (new events arrived). */
  version?: string;
  /** `performance.now()` when the page showing this view mounted (for `data-ready-ms`). */
  mountedAt?: number;
}

/**
 * One batch: metrics, data-quality warnings, and tabs for the process table
 * (sorted and paged on the server, with a drill-down per row and a CSV
 * export), the data-quality detail and the trends of the batch's DAG. Reloads
 * every `refreshAfterSeconds` while anything runs and whenever `version`
 * changes, without a page reload.
 */
export function BatchView({ batchId, version, mountedAt }: BatchViewProps) {
  const [tab, setTab] = useState<Tab>("processes");
  const [sort, setSort] = useState<SortKey>(DEFAULT_SORT);
  const [order, setOrder] = useState<SortOrder>(DEFAULT_ORDER);
  const [statusFilter, setStatusFilter] = useState("");
  const [pageSize, setPageSize] = useState<PageSize>(25);
  const [page, setPage] = useState(1);
  const [openKey, setOpenKey] = useState<string | null>(null);

  // Another batch: first page, nothing open.
  const [shownBatch, setShownBatch] = useState(batchId);
  if (shownBatch !== batchId) {
    setShownBatch(batchId);
    setPage(1);
    setOpenKey(null);
  }

  const loadBatch = useCallback((signal: AbortSignal) => fetchBatch(batchId, signal), [batchId]);
  const [intervalMs, setIntervalMs] = useState(0);
  const batch = usePolledQuery(loadBatch, batchId, intervalMs);
  const refreshAfter = batch.data?.refreshAfterSeconds ?? null;
  useEffect(() => setIntervalMs(refreshAfter && refreshAfter > 0 ? refreshAfter * 1000 : 0), [refreshAfter]);
  useRefreshOnChange(version, batch.refresh);

  const status = statusFilter ? statusFilter.split(",") : [];
  const processQuery = { sort, order, status, page, pageSize };
  const processKey = `${batchId}|${sort}|${order}|${statusFilter}|${page}|${pageSize}`;
  const loadProcesses = useCallback(
    (signal: AbortSignal) => fetchProcesses(batchId, { sort, order, status: statusFilter ? statusFilter.split(",") : [], page, pageSize }, signal),
    [batchId, sort, order, statusFilter, page, pageSize],
  );
  const processes = usePolledQuery(loadProcesses, processKey, 0);
  // The table follows the metrics: one refresh signal (new events, or the running-batch interval).
  const batchUpdatedAt = batch.updatedAt;
  useRefreshOnChange(batchUpdatedAt, processes.refresh, batchId);

  // Re-render "running for" durations on every refresh.
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => setNow(Date.now()), [batchUpdatedAt, processes.updatedAt]);

  // A page that vanished (fewer rows after a refresh or a filter): step back to the last one.
  const procData = processes.data;
  useEffect(() => {
    if (procData && procData.items.length === 0 && page > 1 && procData.totalCount > 0) {
      setPage(Math.max(1, Math.ceil(procData.totalCount / pageSize)));
    }
  }, [procData, page, pageSize]);

  const rootRef = useRef<HTMLDivElement>(null);
  useInteractiveMark(rootRef, batchId, batch.data !== undefined && procData !== undefined, mountedAt);

  const onSort = useCallback(
    (key: SortKey) => {
      const next = nextSort({ sort, order }, key);
      setSort(next.sort);
      setOrder(next.order);
      setPage(1);
    },
    [sort, order],
  );
  const refreshProcesses = processes.refresh;
  const onMarkNormal = useCallback(
    async (anomalyId: number) => {
      await markAnomalyNormal(anomalyId);
      refreshProcesses();
    },
    [refreshProcesses],
  );
  const onToggle = useCallback((key: string) => setOpenKey((current) => (current === key ? null : key)), []);
  const renderDetails = useCallback(
    (process: Process) => (
      <ProcessDetails process={process} refreshToken={batchUpdatedAt} />
    ),
    [batchUpdatedAt],
  );

  const b = batch.data;
  const notFound = batch.error instanceof ApiError && batch.error.status === 404;

  return (
    <div
      ref={rootRef}
      data-testid="flowlytics-batch-view"
      data-batch-id={batchId}
      data-health={b?.health ?? undefined}
      data-loaded={b ? "true" : undefined}
    >
      {b ? (
        <div style={{ display: "flex", flexWrap: "wrap", alignItems: "baseline", gap: "6px 14px", margin: "0 0 10px 0" }}>
          <h3 style={{ fontSize: "17px", fontWeight: 600, margin: 0, wordBreak: "break-all" }} data-testid="flowlytics-batch-title">
            {b.dagId ?? b.job.name}
          </h3>
          <span style={s.muted} title={b.batchId}>
            batch <code style={s.code}>{b.batchId}</code>
          </span>
          <span style={s.muted}>
            env <strong>{b.env}</strong>
          </span>
          <a href={lineagePageHref(b.jobId)} style={s.link}>
            Lineage
          </a>
          <span style={{ ...s.muted, fontSize: "12px" }} data-testid="flowlytics-batch-status">
            {batch.loading
              ? "Refreshing…"
              : batch.updatedAt
                ? `Updated ${formatTimestamp(new Date(batch.updatedAt).toISOString()).slice(11)}${
                    refreshAfter ? ` · running: refreshes every ${refreshAfter} s` : ""
                  } · live`
                : null}
          </span>
          <button type="button" data-testid="flowlytics-batch-refresh" style={{ ...s.button, padding: "2px 10px" }} onClick={batch.refresh}>
            Refresh
          </button>
        </div>
      ) : null}

      {batch.error ? (
        <div data-testid="flowlytics-error" role="alert" style={s.errorBox}>
          {notFound ? (
            <>
              Batch <code style={s.code}>{shortId(batchId)}</code> was not found: it may have been cleaned up, or you may not
              be allowed to read its DAG.
            </>
          ) : (
            <>
              <strong>Could not load the batch</strong>
              {batch.error instanceof ApiError ? ` (HTTP ${batch.error.status})` : ""}: {batch.error.message}
            </>
          )}
        </div>
      ) : null}
      {!b && batch.loading ? (
        <div data-testid="flowlytics-loading" style={{ ...s.notice, ...s.muted }}>
          Loading the batch…
        </div>
      ) : null}

      {b ? <MetricsCards batch={b} now={now} /> : null}

      {b && b.criticalFailures.length > 0 ? (
        <div data-testid="flowlytics-critical-failures" role="alert" style={{ ...s.errorBox, padding: "8px 12px" }}>
          <strong>Critical process failed:</strong>{" "}
          {b.criticalFailures.map((id, i) => (
            <span key={id} title={id}>
              {i > 0 ? ", " : ""}
              <code style={s.code}>{jobLabel(id, b.job)}</code>
            </span>
          ))}
        </div>
      ) : null}
      {b && b.dqWarnings.length > 0 ? (
        <div data-testid="flowlytics-dq-warnings" style={warningBox}>
          <strong>Data-quality warning:</strong> DQ error rate above 1 % in {b.dqWarnings.length} process
          {b.dqWarnings.length === 1 ? "" : "es"}:{" "}
          {b.dqWarnings.slice(0, DQ_WARNINGS_SHOWN).map((name, i) => (
            <span key={`${i}:${name}`}>
              {i > 0 ? ", " : ""}
              <code style={s.code} data-testid="flowlytics-dq-warning">
                {name}
              </code>
            </span>
          ))}
          {b.dqWarnings.length > DQ_WARNINGS_SHOWN ? (
            <span style={s.muted}> and {b.dqWarnings.length - DQ_WARNINGS_SHOWN} more (sort by DQ rate)</span>
          ) : null}
        </div>
      ) : null}

      {b ? (
        <>
          <div role="tablist" style={{ display: "flex", gap: "4px", borderBottom: `1px solid ${s.tint(20)}`, margin: "8px 0 10px 0" }}>
            <button type="button" role="tab" aria-selected={tab === "processes"} data-testid="flowlytics-tab-processes" style={tabButton(tab === "processes")} onClick={() => setTab("processes")}>
              Processes ({b.totalProcesses})
            </button>
            <button type="button" role="tab" aria-selected={tab === "dq"} data-testid="flowlytics-tab-dq" style={tabButton(tab === "dq")} onClick={() => setTab("dq")}>
              Data quality{b.dqErrors > 0 ? ` (${formatRows(b.dqErrors)} errors)` : ""}
            </button>
            <button type="button" role="tab" aria-selected={tab === "trends"} data-testid="flowlytics-tab-trends" style={tabButton(tab === "trends")} onClick={() => setTab("trends")}>
              Trends
            </button>
          </div>

          {tab === "processes" ? (
            <div data-testid="flowlytics-processes">
              <div style={{ ...s.toolbar, marginBottom: "8px" }}>
                <label style={{ display: "flex", alignItems: "center", gap: "6px" }}>
                  Status
                  <select
                    data-testid="flowlytics-status-filter"
                    style={s.select}
                    value={statusFilter}
                    onChange={(event) => {
                      setStatusFilter(event.target.value);
                      setPage(1);
                    }}
                  >
                    {STATUS_FILTERS.map((f) => (
                      <option key={f.value} value={f.value}>
                        {f.label}
                      </option>
                    ))}
                  </select>
                </label>
                <label style={{ display: "flex", alignItems: "center", gap: "6px" }}>
                  Rows per page
                  <select
                    data-testid="flowlytics-page-size"
                    style={s.select}
                    value={pageSize}
                    onChange={(event) => {
                      setPageSize(Number(event.target.value) as PageSize);
                      setPage(1);
                    }}
                  >
                    {PAGE_SIZES.map((n) => (
                      <option key={n} value={n}>
                        {n}
                      </option>
                    ))}
                  </select>
                </label>
                <a
                  data-testid="flowlytics-csv"
                  href={processesCsvUrl(batchId, processQuery)}
                  download
                  style={{ ...s.button, textDecoration: "none", display: "inline-block" }}
                  title="The process list as CSV, with the current sort and status filter (all pages)"
                >
                  Download CSV
                </a>
                <span style={{ ...s.muted, fontSize: "12px" }}>Click a column to sort, a process to drill down.</span>
              </div>
              {processes.error ? (
                <div data-testid="flowlytics-error" role="alert" style={s.errorBox}>
                  <strong>Could not load the processes</strong>
                  {processes.error instanceof ApiError ? ` (HTTP ${processes.error.status})` : ""}: {processes.error.message}
                </div>
              ) : null}
              {!procData && processes.loading ? (
                <div data-testid="flowlytics-loading" style={{ ...s.notice, ...s.muted }}>
                  Loading processes…
                </div>
              ) : null}
              {procData && procData.totalCount === 0 ? (
                <div data-testid="flowlytics-empty" data-reason={statusFilter ? "filter" : "no-processes"} style={s.notice}>
                  {statusFilter ? "No process with this status." : "This batch has no processes yet."}
                </div>
              ) : null}
              {procData && procData.items.length > 0 ? (
                <ProcessTable
                  processes={procData.items}
                  sort={sort}
                  order={order}
                  onSort={onSort}
                  openKey={openKey}
                  onToggle={onToggle}
                  renderDetails={renderDetails}
                  now={now}
                  day={b.startedAt}
                  canMarkNormal={procData.canMarkNormal}
                  onMarkNormal={onMarkNormal}
                />
              ) : null}
              {procData && procData.totalCount > 0 ? (
                <Pagination
                  offset={(page - 1) * pageSize}
                  limit={pageSize}
                  shown={procData.items.length}
                  total={procData.totalCount}
                  onChange={(offset) => setPage(Math.floor(offset / pageSize) + 1)}
                />
              ) : null}
            </div>
          ) : null}
          {tab === "dq" ? <DqPanel batch={b} refreshToken={batchUpdatedAt} /> : null}
          {tab === "trends" ? <TrendsPanel dagId={b.dagId} jobId={b.jobId} refreshToken={batchUpdatedAt} /> : null}
        </>
      ) : null}
    </div>
  );
}

/**
 * Marks when a batch first became usable (metrics and the first page of
 * processes painted): `data-interactive-ms` on the view's root (milliseconds
 * since the navigation started, `performance.now()`), `data-ready-ms` (since
 * the plugin's page mounted, i.e. without the host's own start-up) and a
 * `flowlytics:batch-interactive` performance mark. Read by the UI benchmark
 * and the browser tests.
 */
function useInteractiveMark(
  ref: { current: HTMLElement | null },
  batchId: string,
  ready: boolean,
  mountedAt: number | undefined,
): void {
  const marked = useRef<string | null>(null);
  useEffect(() => {
    if (!ready || marked.current === batchId) return undefined;
    let cancelled = false;
    // After the commit: the next frame, then one more task so that the frame has been painted.
    requestAnimationFrame(() =>
      setTimeout(() => {
        if (cancelled || typeof performance === "undefined") return;
        marked.current = batchId;
        const at = performance.now();
        if (ref.current) {
          ref.current.dataset.interactiveMs = at.toFixed(1);
          if (mountedAt !== undefined) ref.current.dataset.readyMs = (at - mountedAt).toFixed(1);
        }
        if (performance.mark) performance.mark("flowlytics:batch-interactive", { detail: { batchId, at } });
      }, 0),
    );
    return () => {
      cancelled = true;
    };
  }, [ready, batchId, ref, mountedAt]);
}
