/**
 * Client for the batch-health endpoints. Every response goes through a
 * defensive normaliser (a missing or mistyped field never crashes rendering);
 * ids are URL-encoded in paths.
 */
import type { RunsResponse } from "../types";
import { apiUrl, getJson, sendJson } from "./client";
import { arr, int, num, obj, str, strOrNull } from "./coerce";
import { normalizeDetailRun, normalizeSla } from "./lineage";
import { normalizeRunsResponse } from "./runs";
import type { DetailRun } from "../lineage/types";
import {
  HEALTHS,
  PAGE_SIZES,
  type AnomalyMark,
  type Baseline,
  type BaselineBand,
  type BaselinePoint,
  type LearningState,
  type TrendAnomaly,
  type Batch,
  type BatchList,
  type BatchSummary,
  type DqAssertion,
  type DqSummary,
  type Health,
  type PageSize,
  type Process,
  type ProcessPage,
  type ProcessQuery,
  type RunDetail,
  type SlaStatus,
  type TrendPoint,
  type Trends,
} from "../batch/types";

function health(v: unknown): Health | null {
  const upper = String(v ?? "").toUpperCase();
  return (HEALTHS as readonly string[]).includes(upper) ? (upper as Health) : null;
}

function slaStatus(v: unknown): SlaStatus | null {
  const upper = String(v ?? "").toUpperCase();
  return upper === "MET" || upper === "MISSED" || upper === "PENDING" ? upper : null;
}

export function normalizeBatchSummary(raw: unknown): BatchSummary {
  const o = obj(raw);
  const job = obj(o.job);
  return {
    batchId: str(o.batchId),
    job: { namespace: str(job.namespace), name: str(job.name) },
    jobId: str(o.jobId),
    dagId: strOrNull(o.dagId),
    state: strOrNull(o.state),
    startedAt: strOrNull(o.startedAt),
    endedAt: strOrNull(o.endedAt),
    durationSeconds: num(o.durationSeconds),
    env: str(o.env),
    totalProcesses: int(o.totalProcesses),
    succeeded: int(o.succeeded),
    failed: int(o.failed),
    aborted: int(o.aborted),
    running: int(o.running),
    pending: int(o.pending),
    skipped: int(o.skipped),
    successRate: num(o.successRate),
    health: health(o.health),
  };
}

export function normalizeBatch(raw: unknown): Batch {
  const o = obj(raw);
  return {
    ...normalizeBatchSummary(raw),
    rowsRead: int(o.rowsRead),
    rowsWritten: int(o.rowsWritten),
    dqErrors: int(o.dqErrors),
    dqErrorRate: num(o.dqErrorRate),
    dqWarnings: arr(o.dqWarnings).map((x) => str(x)),
    criticalFailures: arr(o.criticalFailures).map((x) => str(x)),
    sla: normalizeSla(o.sla),
    slaStatus: slaStatus(o.slaStatus),
    refreshAfterSeconds: num(o.refreshAfterSeconds),
  };
}

export function normalizeBatchList(raw: unknown): BatchList {
  const o = obj(raw);
  const items = arr(o.items).map(normalizeBatchSummary).filter((b) => b.batchId !== "");
  return { items, totalCount: num(o.totalCount) ?? items.length };
}

export function normalizeProcess(raw: unknown): Process {
  const o = obj(raw);
  return {
    runId: strOrNull(o.runId),
    jobId: str(o.jobId),
    name: str(o.name),
    status: str(o.status, "PENDING").toUpperCase(),
    startedAt: strOrNull(o.startedAt),
    endedAt: strOrNull(o.endedAt),
    durationSeconds: num(o.durationSeconds),
    rowsRead: num(o.rowsRead),
    rowsWritten: num(o.rowsWritten),
    rowsUpdated: num(o.rowsUpdated),
    rowsInserted: num(o.rowsInserted),
    dqErrors: num(o.dqErrors),
    dqErrorRate: num(o.dqErrorRate),
    dqWarning: o.dqWarning === true,
    readThroughput: num(o.readThroughput),
    writeThroughput: num(o.writeThroughput),
    tries: int(o.tries),
    errorMessage: strOrNull(o.errorMessage),
    logUrl: strOrNull(o.logUrl),
    critical: o.critical === true,
    anomalies: arr(o.anomalies).map(normalizeAnomalyMark),
    learning: normalizeLearning(o.learning),
  };
}

export function normalizeAnomalyMark(raw: unknown): AnomalyMark {
  const a = obj(raw);
  return {
    id: int(a.id),
    runId: strOrNull(a.runId),
    jobNodeId: str(a.jobNodeId),
    metric: str(a.metric),
    value: num(a.value) ?? 0,
    median: num(a.median),
    ratio: num(a.ratio),
    expectedLow: num(a.expectedLow),
    expectedHigh: num(a.expectedHigh),
    direction: a.direction === "LOW" ? "LOW" : "HIGH",
    level: a.level === "error" ? "error" : "warn",
    eventTime: str(a.eventTime),
    markedNormalBy: strOrNull(a.markedNormalBy),
    markedNormalAt: strOrNull(a.markedNormalAt),
  };
}

function normalizeLearning(raw: unknown): LearningState | null {
  if (!raw || typeof raw !== "object") return null;
  const l = obj(raw);
  return { runs: int(l.runs), minHistory: int(l.minHistory), learning: l.learning === true };
}

function normalizeBand(raw: unknown): BaselineBand | null {
  if (!raw || typeof raw !== "object") return null;
  const b = obj(raw);
  const median = num(b.median);
  const low = num(b.expectedLow);
  const high = num(b.expectedHigh);
  if (median === null || low === null || high === null) return null;
  return { median, expectedLow: low, expectedHigh: high, seasonal: b.seasonal === true };
}

export function normalizeBaseline(raw: unknown): Baseline {
  const o = obj(raw);
  return {
    jobNodeId: str(o.jobNodeId),
    metric: str(o.metric),
    minHistory: int(o.minHistory),
    historyRuns: int(o.historyRuns),
    learning: o.learning === true,
    current: normalizeBand(o.current),
    points: arr(o.points).map((r): BaselinePoint => {
      const p = obj(r);
      const status = p.status === "anomaly" || p.status === "normal" ? p.status : "learning";
      return {
        runId: str(p.runId),
        at: str(p.at),
        value: num(p.value) ?? 0,
        status,
        band: normalizeBand(p.band),
        anomaly: p.anomaly && typeof p.anomaly === "object" ? normalizeAnomalyMark(p.anomaly) : null,
      };
    }),
  };
}

export function normalizeProcessPage(raw: unknown): ProcessPage {
  const o = obj(raw);
  const items = arr(o.items).map(normalizeProcess);
  const size = num(o.pageSize);
  return {
    items,
    totalCount: num(o.totalCount) ?? items.length,
    page: num(o.page) ?? 1,
    pageSize: (PAGE_SIZES as readonly number[]).includes(size ?? 0) ? (size as PageSize) : 25,
    canMarkNormal: o.canMarkNormal === true,
  };
}

export function normalizeDq(raw: unknown): DqSummary {
  const o = obj(raw);
  const items = arr(o.items).map((r): DqAssertion => {
    const a = obj(r);
    return {
      dataset: str(a.dataset),
      column: strOrNull(a.column),
      assertion: str(a.assertion, "assertion"),
      success: a.success === true,
      severity: strOrNull(a.severity),
      process: str(a.process),
      runId: str(a.runId),
    };
  });
  return {
    items,
    total: num(o.total) ?? items.length,
    failed: num(o.failed) ?? items.filter((a) => !a.success).length,
    dqErrors: int(o.dqErrors),
    dqErrorRate: num(o.dqErrorRate),
  };
}

export function normalizeTrends(raw: unknown): Trends {
  const o = obj(raw);
  return {
    jobId: str(o.jobId),
    days: num(o.days) ?? 0,
    points: arr(o.points).map((r): TrendPoint => {
      const p = obj(r);
      return {
        date: str(p.date),
        batches: int(p.batches),
        avgDurationSeconds: num(p.avgDurationSeconds),
        successRate: num(p.successRate),
        rowsProcessed: int(p.rowsProcessed),
        dqErrorRate: num(p.dqErrorRate),
      };
    }),
    anomalies: arr(o.anomalies).map(
      (r): TrendAnomaly => ({ ...normalizeAnomalyMark(r), date: str(obj(r).date), process: strOrNull(obj(r).process) }),
    ),
  };
}

export function normalizeRunDetail(raw: unknown): RunDetail {
  const o = obj(raw);
  const base: DetailRun = normalizeDetailRun(raw);
  return {
    ...base,
    facets: obj(o.facets),
    jobId: strOrNull(o.jobId),
    batchId: strOrNull(o.batchId),
    stackTrace: strOrNull(o.stackTrace),
    sql: strOrNull(o.sql),
    logUrl: strOrNull(o.logUrl),
    tryNumber: num(o.tryNumber),
  };
}

export interface BatchListQuery {
  since?: string | null;
  until?: string | null;
  env?: string | null;
  dagId?: string | null;
  airflowRunId?: string | null;
  limit: number;
  offset?: number;
}

/** Query parameters of `GET batches` (exported for tests). */
export function batchListParams(q: BatchListQuery): Record<string, string | number | undefined> {
  return {
    since: q.since || undefined,
    until: q.until || undefined,
    env: q.env || undefined,
    dagId: q.dagId || undefined,
    airflowRunId: q.airflowRunId || undefined,
    limit: q.limit,
    offset: q.offset ? q.offset : undefined,
  };
}

/** `GET batches?since=&until=&env=&dagId=&airflowRunId=&limit=&offset=`, newest first. */
export function fetchBatches(q: BatchListQuery, signal?: AbortSignal): Promise<BatchList> {
  return getJson<unknown>("batches", batchListParams(q), signal).then(normalizeBatchList);
}

/** `GET batches/<id>`: metrics and health. */
export function fetchBatch(batchId: string, signal?: AbortSignal): Promise<Batch> {
  return getJson<unknown>(`batches/${encodeURIComponent(batchId)}`, {}, signal).then(normalizeBatch);
}

/** Query parameters of `…/processes` and `…/processes.csv` (the CSV has no paging). */
export function processParams(
  q: Pick<ProcessQuery, "sort" | "order" | "status"> & Partial<Pick<ProcessQuery, "page" | "pageSize">>,
): Record<string, string | number | undefined> {
  return {
    sort: q.sort,
    order: q.order,
    status: q.status.length > 0 ? [...q.status].sort().join(",") : undefined,
    page: q.page,
    page_size: q.pageSize,
  };
}

/** `GET batches/<id>/processes?sort=&order=&status=&page=&page_size=` */
export function fetchProcesses(batchId: string, q: ProcessQuery, signal?: AbortSignal): Promise<ProcessPage> {
  return getJson<unknown>(`batches/${encodeURIComponent(batchId)}/processes`, processParams(q), signal).then(
    normalizeProcessPage,
  );
}

/** Absolute URL of the CSV export with the table's current sort and status filter. */
export function processesCsvUrl(
  batchId: string,
  q: Pick<ProcessQuery, "sort" | "order" | "status">,
  base?: string,
): string {
  const params = processParams({ sort: q.sort, order: q.order, status: q.status });
  return apiUrl(`batches/${encodeURIComponent(batchId)}/processes.csv`, params, base).href;
}

/** `GET batches/<id>/dq`: assertions per dataset and column, failed first. */
export function fetchBatchDq(batchId: string, signal?: AbortSignal): Promise<DqSummary> {
  return getJson<unknown>(`batches/${encodeURIComponent(batchId)}/dq`, {}, signal).then(normalizeDq);
}

/** `GET batches/trends?dagId=…&days=…` (or `jobNodeId=` for batches that are not Airflow DAG runs). */
export function fetchTrends(
  target: { dagId: string | null; jobId: string },
  days: number,
  signal?: AbortSignal,
): Promise<Trends> {
  const query = target.dagId ? { dagId: target.dagId, days } : { jobNodeId: target.jobId, days };
  return getJson<unknown>("batches/trends", query, signal).then(normalizeTrends);
}

/** `GET runs/<id>` with facets, error, stack trace, SQL and log URL. */
export function fetchRunDetail(runId: string, signal?: AbortSignal): Promise<RunDetail> {
  return getJson<unknown>(`runs/${encodeURIComponent(runId)}`, {}, signal).then(normalizeRunDetail);
}

/** `GET runs?jobNodeId=…&limit=…`: the job's latest runs (inputs/outputs with row counts), newest first. */
export function fetchJobRuns(jobId: string, limit: number, signal?: AbortSignal): Promise<RunsResponse & { items: DetailRun[] }> {
  return getJson<unknown>("runs", { jobNodeId: jobId, limit }, signal).then((raw) => {
    const base = normalizeRunsResponse(raw);
    return { totalCount: base.totalCount, items: arr(obj(raw).items).map(normalizeDetailRun) };
  });
}

/** `GET datasets/<id>`: only the facets (for column lineage). */
export function fetchDatasetFacets(datasetId: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
  return getJson<unknown>(`datasets/${encodeURIComponent(datasetId)}`, {}, signal).then((raw) => obj(obj(raw).facets));
}

/** `GET anomalies/baseline?jobNodeId=&metric=&limit=`: the job's last runs with the detector's band of normal. */
export function fetchBaseline(jobId: string, metric: string, limit: number, signal?: AbortSignal): Promise<Baseline> {
  return getJson<unknown>("anomalies/baseline", { jobNodeId: jobId, metric, limit }, signal).then(normalizeBaseline);
}

/** `POST anomalies/<id>/mark-normal`: the flagged value was fine, let it teach the baseline. */
export function markAnomalyNormal(anomalyId: number): Promise<unknown> {
  return sendJson<unknown>("POST", `anomalies/${encodeURIComponent(String(anomalyId))}/mark-normal`, {});
}
