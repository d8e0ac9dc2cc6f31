/**
 * Run analytics (`/analytics/...`, see README "Analytics"): response types, the query each view sends, and the
 * fetchers, all through the one HTTP helper (getJson).
 */
import { apiUrl, getJson, type QueryValue } from "./client";

export const GRANULARITIES = ["hour", "day", "week", "month"] as const;
export type Granularity = (typeof GRANULARITIES)[number];

export interface AnalyticsFigures {
  total: number;
  succeeded: number;
  failed: number;
  aborted: number;
  successRate: number | null;
  avgDurationSeconds: number | null;
  p50DurationSeconds: number | null;
  p95DurationSeconds: number | null;
  rowsRead: number;
  rowsWritten: number;
  dqErrors: number;
  cost: number;
  costEstimated: number;
  costBilled: number;
}

export interface ExecutionPoint extends AnalyticsFigures {
  bucket: string;
}

export interface ExecutionSeries {
  key: string;
  points: ExecutionPoint[];
}

export interface ExecutionsResponse {
  granularity: string;
  from: string;
  to: string;
  groupBy: string | null;
  level: string;
  currency: string;
  costBasis: string;
  series: ExecutionSeries[];
}

export interface PeriodFigures extends AnalyticsFigures {
  from: string;
  to: string;
  costBasis: string;
}

export interface ExecutionSummary extends PeriodFigures {
  level: string;
  currency: string;
  previous: PeriodFigures;
}

export interface ErrorCategory {
  fingerprint: string;
  pattern: string;
  exceptionType: string | null;
  example: string;
  exampleRunId: string;
  count: number;
  jobs: string[];
  firstSeen: string;
  lastSeen: string;
}

export interface StepTiming {
  jobNodeId: string;
  taskId: string;
  runs: number;
  failureRate: number | null;
  avgDurationSeconds: number | null;
  p50DurationSeconds: number | null;
  p95DurationSeconds: number | null;
  avgWaitSeconds: number | null;
  shareOfDagRunTime: number | null;
  criticalPathRuns: number;
  criticalPathShare: number | null;
}

export interface StepTimings {
  items: StepTiming[];
  totalCount: number;
  dagId: string;
  dagRuns: number;
  criticalPathRunsCounted: number;
  bottlenecks: { jobNodeId: string; criticalPathRuns: number; criticalPathShare: number | null }[];
}

export interface DagVersion {
  dagVersion: string | null;
  runs: number;
  successRate: number | null;
  avgDurationSeconds: number | null;
  p95DurationSeconds: number | null;
  firstRunAt: string;
  lastRunAt: string;
}

export interface RankingItem extends AnalyticsFigures {
  jobNodeId: string;
  value: number;
  previousP95DurationSeconds?: number | null;
}

export const RANKING_METRICS = ["slowest", "failing", "growing"] as const;
export type RankingMetric = (typeof RANKING_METRICS)[number];

export interface Collection<T> {
  items: T[];
  totalCount: number;
}

/** The filters every analytics view shares (what the URL keeps). */
export interface AnalyticsFilters {
  /** ISO-8601 or null (the server's default: the last 30 days). */
  from: string | null;
  to: string | null;
  granularity: Granularity;
  dagId: string | null;
}

/** Query of the range filters (null values are left out by apiUrl). */
export function rangeQuery(filters: AnalyticsFilters): Record<string, QueryValue> {
  return { from: filters.from, to: filters.to, dagId: filters.dagId };
}

/** Query of /analytics/executions: the chart's (groupBy absent) or a breakdown's. */
export function executionsQuery(
  filters: AnalyticsFilters,
  options: { groupBy?: "dag" | "triggerType" | null; format?: "csv" } = {},
): Record<string, QueryValue> {
  return {
    ...rangeQuery(filters),
    granularity: filters.granularity,
    groupBy: options.groupBy ?? null,
    format: options.format ?? null,
  };
}

/** "download data (CSV)": the chart's query plus format=csv. */
export function executionsCsvUrl(filters: AnalyticsFilters, base?: string): string {
  return apiUrl("analytics/executions", executionsQuery(filters, { format: "csv" }), base).href;
}

export function fetchExecutions(
  filters: AnalyticsFilters,
  groupBy: "dag" | "triggerType" | null,
  signal?: AbortSignal,
): Promise<ExecutionsResponse> {
  return getJson<ExecutionsResponse>("analytics/executions", executionsQuery(filters, { groupBy }), signal);
}

export function fetchSummary(filters: AnalyticsFilters, signal?: AbortSignal): Promise<ExecutionSummary> {
  return getJson<ExecutionSummary>("analytics/executions/summary", rangeQuery(filters), signal);
}

export function fetchErrorCategories(filters: AnalyticsFilters, signal?: AbortSignal): Promise<Collection<ErrorCategory>> {
  return getJson<Collection<ErrorCategory>>("analytics/errors", rangeQuery(filters), signal);
}

export function fetchRankings(
  filters: AnalyticsFilters,
  metric: RankingMetric,
  signal?: AbortSignal,
): Promise<Collection<RankingItem>> {
  return getJson<Collection<RankingItem>>(
    "analytics/rankings",
    { from: filters.from, to: filters.to, metric, limit: 10 },
    signal,
  );
}

export function fetchSteps(filters: AnalyticsFilters, dagId: string, signal?: AbortSignal): Promise<StepTimings> {
  return getJson<StepTimings>(
    `analytics/dags/${encodeURIComponent(dagId)}/steps`,
    { from: filters.from, to: filters.to },
    signal,
  );
}

export function fetchVersions(dagId: string, signal?: AbortSignal): Promise<Collection<DagVersion>> {
  return getJson<Collection<DagVersion>>(`analytics/dags/${encodeURIComponent(dagId)}/versions`, {}, signal);
}

export interface BudgetUse {
  dagId: string | null;
  owner: string | null;
  monthlyAmount: number;
  spentThisMonth: number;
  use: number;
  projectedMonthEnd: number;
  projectedUse: number;
  daysInMonth: number;
}

export interface CostOverview {
  currency: string;
  rateCardConfigured: boolean;
  days: { day: string; cost: number; costEstimated: number; costBilled: number }[];
  byDag: { dagId: string | null; cost: number; costEstimated: number; costBilled: number }[];
  projection: { basis: string; next30Days: number; dailyMean: number; weekdayFactors: number[] };
  budgets: BudgetUse[];
}

export function fetchCost(dagId: string | null, signal?: AbortSignal): Promise<CostOverview> {
  return getJson<CostOverview>("analytics/cost", { dagId }, signal);
}

export interface CriticalPathStep {
  jobNodeId: string;
  runId: string;
  startedAt: string;
  endedAt: string;
  waitSeconds: number;
  runSeconds: number;
  tries: number;
}

export interface TaskAttempt {
  runId: string;
  state: string | null;
  startedAt: string | null;
  endedAt: string | null;
}

/** A task of the DAG run with its tries (a retried task has several), for the Gantt. */
export interface GanttTask {
  jobNodeId: string;
  taskId: string;
  state: string | null;
  waitSeconds: number | null;
  attempts: TaskAttempt[];
}

export interface CriticalPath {
  runId: string;
  totalSeconds: number;
  steps: CriticalPathStep[];
  others: { jobNodeId: string; slackSeconds: number | null }[];
  dagRunStartedAt: string | null;
  dagRunEndedAt: string | null;
  state: string | null;
  tasks: GanttTask[];
}

export function fetchCriticalPath(runId: string, signal?: AbortSignal): Promise<CriticalPath> {
  return getJson<CriticalPath>(`analytics/runs/${encodeURIComponent(runId)}/critical-path`, {}, signal);
}
