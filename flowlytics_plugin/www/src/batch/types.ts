/**
 * Shapes of the batch-health endpoints (`batches`, `batches/<id>`,
 * `…/processes`, `…/dq`, `batches/trends`) and of the run drill-down
 * (`runs/<id>`). Names, error messages, SQL and facets come from OpenLineage
 * events: UNTRUSTED, render as React text only.
 */
import type { JobRef, RunState } from "../types";
import type { DetailRun, Sla } from "../lineage/types";

export const PROCESS_STATUSES = ["PENDING", "RUNNING", "SUCCESS", "FAILED", "ABORTED", "SKIPPED"] as const;
export type KnownProcessStatus = (typeof PROCESS_STATUSES)[number];
export type ProcessStatus = KnownProcessStatus | (string & {});

export const HEALTHS = ["GREEN", "YELLOW", "RED"] as const;
export type Health = (typeof HEALTHS)[number];

export type SlaStatus = "MET" | "MISSED" | "PENDING";

export interface BatchSummary {
  batchId: string;
  job: JobRef;
  jobId: string;
  dagId: string | null;
  state: RunState;
  startedAt: string | null;
  endedAt: string | null;
  durationSeconds: number | null;
  env: string;
  totalProcesses: number;
  succeeded: number;
  failed: number;
  aborted: number;
  running: number;
  pending: number;
  skipped: number;
  /** (succeeded + skipped) / finished; null while nothing finished. */
  successRate: number | null;
  /** null when the server sent something this UI does not know. */
  health: Health | null;
}

export interface Batch extends BatchSummary {
  rowsRead: number;
  rowsWritten: number;
  dqErrors: number;
  dqErrorRate: number | null;
  /** Processes whose DQ error rate is above 1 %. */
  dqWarnings: string[];
  /** Job ids of failed processes marked critical. */
  criticalFailures: string[];
  sla: Sla | null;
  slaStatus: SlaStatus | null;
  /** Seconds until the next refresh, set while anything runs. */
  refreshAfterSeconds: number | null;
}

export interface BatchList {
  items: BatchSummary[];
  totalCount: number;
}

/** A stored anomaly of a run (`anomalies` on process rows and trends): `ratio` is value over the usual median. */
export interface AnomalyMark {
  id: number;
  runId: string | null;
  jobNodeId: string;
  metric: string;
  value: number;
  median: number | null;
  ratio: number | null;
  expectedLow: number | null;
  expectedHigh: number | null;
  direction: "HIGH" | "LOW";
  level: "warn" | "error";
  eventTime: string;
  markedNormalBy: string | null;
  markedNormalAt: string | null;
}

/** How much history the job's baseline has; below `minHistory` runs the detector gives no verdict. */
export interface LearningState {
  runs: number;
  minHistory: number;
  learning: boolean;
}

export interface Process {
  runId: string | null;
  jobId: string;
  name: string;
  status: ProcessStatus;
  startedAt: string | null;
  endedAt: string | null;
  durationSeconds: number | null;
  rowsRead: number | null;
  rowsWritten: number | null;
  rowsUpdated: number | null;
  rowsInserted: number | null;
  dqErrors: number | null;
  dqErrorRate: number | null;
  dqWarning: boolean;
  readThroughput: number | null;
  writeThroughput: number | null;
  tries: number;
  errorMessage: string | null;
  logUrl: string | null;
  critical: boolean;
  anomalies: AnomalyMark[];
  learning: LearningState | null;
}

export interface ProcessPage {
  items: Process[];
  totalCount: number;
  page: number;
  pageSize: number;
  /** The caller may mark an anomaly normal (editors). */
  canMarkNormal: boolean;
}

/** Server-side sort keys of `…/processes` (one per table column). */
export const SORT_KEYS = [
  "name",
  "status",
  "startedAt",
  "endedAt",
  "durationSeconds",
  "rowsRead",
  "rowsWritten",
  "rowsUpdated",
  "rowsInserted",
  "dqErrors",
  "dqErrorRate",
  "readThroughput",
  "writeThroughput",
  "tries",
] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortOrder = "asc" | "desc";

export const PAGE_SIZES = [25, 50, 100] as const;
export type PageSize = (typeof PAGE_SIZES)[number];

export interface ProcessQuery {
  sort: SortKey;
  order: SortOrder;
  /** Statuses to keep (empty: all). */
  status: string[];
  /** 1-based. */
  page: number;
  pageSize: PageSize;
}

export interface DqAssertion {
  /** Dataset node id (`dataset:<namespace>:<name>`). */
  dataset: string;
  column: string | null;
  assertion: string;
  success: boolean;
  severity: string | null;
  process: string;
  runId: string;
}

export interface DqSummary {
  items: DqAssertion[];
  total: number;
  failed: number;
  dqErrors: number;
  dqErrorRate: number | null;
}

export interface TrendPoint {
  /** `YYYY-MM-DD` (UTC day). */
  date: string;
  batches: number;
  avgDurationSeconds: number | null;
  successRate: number | null;
  rowsProcessed: number;
  dqErrorRate: number | null;
}

export interface TrendAnomaly extends AnomalyMark {
  /** The UTC day of the run's batch: the trend point it marks. */
  date: string;
  /** The task's name, or null for the batch's own run. */
  process: string | null;
}

export interface Trends {
  jobId: string;
  days: number;
  points: TrendPoint[];
  anomalies: TrendAnomaly[];
}

export interface BaselineBand {
  median: number;
  expectedLow: number;
  expectedHigh: number;
  seasonal: boolean;
}

export interface BaselinePoint {
  runId: string;
  at: string;
  value: number;
  status: "learning" | "normal" | "anomaly";
  band: BaselineBand | null;
  anomaly: AnomalyMark | null;
}

/** `GET anomalies/baseline?jobId=&metric=`: a job's runs with the detector's band of normal. */
export interface Baseline {
  jobNodeId: string;
  metric: string;
  minHistory: number;
  historyRuns: number;
  learning: boolean;
  current: BaselineBand | null;
  points: BaselinePoint[];
}

/** `GET runs/<id>`: one run with everything the drill-down shows. */
export interface RunDetail extends DetailRun {
  facets: Record<string, unknown>;
  jobId: string | null;
  batchId: string | null;
  stackTrace: string | null;
  sql: string | null;
  logUrl: string | null;
  tryNumber: number | null;
}

/** One output column's sources, from the `columnLineage` dataset facet. */
export interface ColumnLineageRow {
  /** Output dataset name. */
  dataset: string;
  column: string;
  inputDataset: string;
  inputField: string;
  /** e.g. `DIRECT/IDENTITY`; empty when not given. */
  transformation: string;
}
