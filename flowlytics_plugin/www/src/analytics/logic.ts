/**
 * Pure logic of the Analytics page: the URL state, the chart's datasets from the executions series, and the KPI
 * cards' change against the previous period. No React, no DOM (unit-tested in tests/analytics-logic.test.ts).
 */
import {
  GRANULARITIES,
  RANKING_METRICS,
  type AnalyticsFigures,
  type AnalyticsFilters,
  type ExecutionSeries,
  type Granularity,
  type RankingMetric,
} from "../api/analytics";

export const METRICS = ["total", "failed", "successRate", "p95DurationSeconds", "rowsWritten", "cost"] as const;
export type Metric = (typeof METRICS)[number];

export const METRIC_LABELS: Readonly<Record<Metric, string>> = {
  total: "Runs",
  failed: "Failed",
  successRate: "Success rate (%)",
  p95DurationSeconds: "p95 duration (s)",
  rowsWritten: "Rows written",
  cost: "Cost",
};

/** Fixed colours per metric (readable on Airflow's light and dark backgrounds). */
export const METRIC_COLORS: Readonly<Record<Metric, string>> = {
  total: "#3b82f6",
  failed: "#ef4444",
  successRate: "#22c55e",
  p95DurationSeconds: "#f59e0b",
  rowsWritten: "#a855f7",
  cost: "#14b8a6",
};

export interface AnalyticsUrlState extends AnalyticsFilters {
  metrics: Metric[];
  ranking: RankingMetric;
  /** Overlay the previous range of equal length (dashed lines). */
  compare: boolean;
  /** The range dragged on the chart (ISO, to exclusive); while set, every query of the page uses it. */
  zoomFrom: string | null;
  zoomTo: string | null;
  /** The DAG run whose Gantt the DAG tab shows (null: the newest). */
  run: string | null;
}

export const DEFAULT_GRANULARITY: Granularity = "day";
export const DEFAULT_METRICS: readonly Metric[] = ["total", "failed"];
export const DEFAULT_RANKING: RankingMetric = "slowest";
const URL_KEYS = ["from", "to", "granularity", "metric", "ranking", "compare", "zoomFrom", "zoomTo", "run"] as const;
const RUN_ID = /^[0-9a-fA-F-]{32,36}$/;

function validIso(value: string | null): string | null {
  if (!value) return null;
  return Number.isNaN(new Date(value).getTime()) ? null : value;
}

/**
 * The page's state from the URL query (unknown values fall back to the defaults). On the DAG tab `dagId` comes
 * from the host's props, not the URL.
 */
export function readAnalyticsUrl(search: string, dagId: string | null = null): AnalyticsUrlState {
  const params = new URLSearchParams(search);
  const granularity = params.get("granularity");
  const metrics = params
    .getAll("metric")
    .flatMap((value) => value.split(","))
    .filter((value, index, all): value is Metric => (METRICS as readonly string[]).includes(value) && all.indexOf(value) === index);
  const ranking = params.get("ranking");
  return {
    from: validIso(params.get("from")),
    to: validIso(params.get("to")),
    granularity: (GRANULARITIES as readonly string[]).includes(granularity ?? "")
      ? (granularity as Granularity)
      : DEFAULT_GRANULARITY,
    dagId,
    metrics: metrics.length > 0 ? metrics : [...DEFAULT_METRICS],
    ranking: (RANKING_METRICS as readonly string[]).includes(ranking ?? "") ? (ranking as RankingMetric) : DEFAULT_RANKING,
    compare: params.get("compare") === "1",
    ...validZoom(validIso(params.get("zoomFrom")), validIso(params.get("zoomTo"))),
    run: RUN_ID.test(params.get("run") ?? "") ? params.get("run") : null,
  };
}

function validZoom(from: string | null, to: string | null): { zoomFrom: string | null; zoomTo: string | null } {
  return from && to && Date.parse(from) < Date.parse(to) ? { zoomFrom: from, zoomTo: to } : { zoomFrom: null, zoomTo: null };
}

/** `search` with the page's keys replaced by `state` (defaults left out, the host's own keys kept): "?…" or "". */
export function writeAnalyticsUrl(search: string, state: AnalyticsUrlState): string {
  const params = new URLSearchParams(search);
  for (const key of URL_KEYS) params.delete(key);
  if (state.from) params.set("from", state.from);
  if (state.to) params.set("to", state.to);
  if (state.granularity !== DEFAULT_GRANULARITY) params.set("granularity", state.granularity);
  const sameAsDefault =
    state.metrics.length === DEFAULT_METRICS.length && state.metrics.every((m, i) => m === DEFAULT_METRICS[i]);
  if (!sameAsDefault) params.set("metric", state.metrics.join(","));
  if (state.ranking !== DEFAULT_RANKING) params.set("ranking", state.ranking);
  if (state.compare) params.set("compare", "1");
  if (state.zoomFrom && state.zoomTo) {
    params.set("zoomFrom", state.zoomFrom);
    params.set("zoomTo", state.zoomTo);
  }
  if (state.run) params.set("run", state.run);
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** Adds or removes one metric of the overlay; the last one stays (a chart without a line says nothing). */
export function toggleMetric(metrics: readonly Metric[], metric: Metric): Metric[] {
  if (metrics.includes(metric)) return metrics.length > 1 ? metrics.filter((m) => m !== metric) : [...metrics];
  return METRICS.filter((m) => m === metric || metrics.includes(m));
}

/** The value a chart shows for one metric (success rate as a percentage; null: no run, a gap in the line). */
export function metricValue(figures: AnalyticsFigures, metric: Metric): number | null {
  if (metric === "successRate") return figures.successRate === null ? null : figures.successRate * 100;
  return figures[metric];
}

export interface ChartDataset {
  label: string;
  data: (number | null)[];
  borderColor: string;
  backgroundColor: string;
  yAxisID: string;
  spanGaps: boolean;
  borderDash?: number[];
}

export interface ChartData {
  labels: string[];
  datasets: ChartDataset[];
}

/** Bucket label in UTC (buckets are UTC): "2026-11-03" for day and coarser, "2026-11-03 14:00" for hours. */
export function bucketLabel(bucket: string, granularity: Granularity): string {
  const date = new Date(bucket);
  if (Number.isNaN(date.getTime())) return bucket;
  const iso = date.toISOString();
  if (granularity === "month") return iso.slice(0, 7);
  if (granularity === "hour") return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
  return iso.slice(0, 10);
}

/**
 * The chart's data from an ungrouped executions answer: one line per chosen metric over the buckets of the
 * (first) series. Counts share the left axis; a rate, a duration or a cost has its own scale on the right.
 */
export function seriesToChartData(series: readonly ExecutionSeries[], metrics: readonly Metric[], granularity: Granularity): ChartData {
  const points = series[0]?.points ?? [];
  return {
    labels: points.map((p) => bucketLabel(p.bucket, granularity)),
    datasets: metrics.map((metric) => ({
      label: METRIC_LABELS[metric],
      data: points.map((p) => metricValue(p, metric)),
      borderColor: METRIC_COLORS[metric],
      backgroundColor: METRIC_COLORS[metric],
      yAxisID: axisOf(metric),
      spanGaps: false,
    })),
  };
}

export function axisOf(metric: Metric): string {
  return metric === "total" || metric === "failed" || metric === "rowsWritten" ? "y" : `y-${metric}`;
}

export interface KpiDelta {
  /** Current − previous (null when either is unknown). */
  change: number | null;
  /** Relative change in percent (null when the previous value is 0 or unknown). */
  percent: number | null;
  /** Whether the change is good news (null when unchanged or unknown). */
  better: boolean | null;
}

/** Change of one figure against the previous period; `higherIsBetter` decides whether it reads as good news. */
export function kpiDelta(current: number | null, previous: number | null, higherIsBetter: boolean): KpiDelta {
  if (current === null || previous === null) return { change: null, percent: null, better: null };
  const change = current - previous;
  const percent = previous === 0 ? null : (change / Math.abs(previous)) * 100;
  return { change, percent, better: change === 0 ? null : change > 0 === higherIsBetter };
}

export interface KpiCard {
  key: string;
  label: string;
  value: string;
  previous: string;
  delta: KpiDelta;
  deltaText: string;
}

type Formatter = (value: number | null) => string;

export function formatCount(value: number | null): string {
  return value === null ? "–" : Math.round(value).toLocaleString("en-US");
}

export function formatPercent(rate: number | null): string {
  return rate === null ? "–" : `${(rate * 100).toFixed(1)} %`;
}

export function formatSeconds(value: number | null): string {
  if (value === null) return "–";
  if (value < 60) return `${value.toFixed(value < 10 ? 1 : 0)} s`;
  if (value < 3600) return `${Math.floor(value / 60)} min ${Math.round(value % 60)} s`;
  return `${Math.floor(value / 3600)} h ${Math.round((value % 3600) / 60)} min`;
}

export function formatMoney(value: number | null, currency: string): string {
  return value === null ? "–" : `${value.toFixed(2)} ${currency}`;
}

function deltaText(delta: KpiDelta, format: Formatter, points: boolean): string {
  if (delta.change === null) return "no previous period";
  if (delta.change === 0) return "unchanged";
  const sign = delta.change > 0 ? "+" : "−";
  if (points) return `${sign}${Math.abs(delta.change * 100).toFixed(1)} pts`;
  const abs = format(Math.abs(delta.change));
  return delta.percent === null ? `${sign}${abs}` : `${sign}${abs} (${sign}${Math.abs(delta.percent).toFixed(0)} %)`;
}

/** The KPI cards of a summary: runs, failed, success rate, p95 duration, rows written, cost. */
export function kpiCards(summary: AnalyticsFigures & { previous: AnalyticsFigures; currency: string }): KpiCard[] {
  const money: Formatter = (v) => formatMoney(v, summary.currency);
  const specs: [keyof AnalyticsFigures, string, Formatter, boolean, boolean][] = [
    ["total", "Runs", formatCount, true, false],
    ["failed", "Failed", formatCount, false, false],
    ["successRate", "Success rate", formatPercent, true, true],
    ["p95DurationSeconds", "p95 duration", formatSeconds, false, false],
    ["rowsWritten", "Rows written", formatCount, true, false],
    ["cost", "Cost", money, false, false],
  ];
  return specs.map(([key, label, format, higherIsBetter, points]) => {
    const delta = kpiDelta(summary[key], summary.previous[key], higherIsBetter);
    return {
      key,
      label,
      value: format(summary[key]),
      previous: format(summary.previous[key]),
      delta,
      deltaText: deltaText(delta, format, points),
    };
  });
}

/** One row per group of a grouped executions answer: the figures summed over the buckets. */
export interface BreakdownRow {
  key: string;
  total: number;
  succeeded: number;
  failed: number;
  successRate: number | null;
  rowsWritten: number;
  cost: number;
}

export function breakdownRows(series: readonly ExecutionSeries[]): BreakdownRow[] {
  return series
    .map((s) => {
      const sum = (field: "total" | "succeeded" | "failed" | "aborted" | "rowsWritten" | "cost") =>
        s.points.reduce((acc, p) => acc + p[field], 0);
      const total = sum("total");
      const finished = sum("succeeded") + sum("failed") + sum("aborted");
      return {
        key: s.key,
        total,
        succeeded: sum("succeeded"),
        failed: sum("failed"),
        successRate: finished === 0 ? null : sum("succeeded") / finished,
        rowsWritten: sum("rowsWritten"),
        cost: sum("cost"),
      };
    })
    .sort((a, b) => b.total - a.total || a.key.localeCompare(b.key));
}

const DAY_MS = 86_400_000;

/**
 * `<input type="date">` value (a UTC day) → the ISO bound sent to the API; `end` gives the start of the next day,
 * since `to` is exclusive and the picker's last day should be included. "" or invalid → null.
 */
export function dayInputToIso(value: string, end: boolean): string | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  const start = Date.parse(`${value}T00:00:00Z`);
  if (Number.isNaN(start)) return null;
  return new Date(end ? start + DAY_MS : start).toISOString();
}

/** The inverse of dayInputToIso for the picker's value ("" for null). */
export function isoToDayInput(iso: string | null, end: boolean): string {
  if (!iso) return "";
  const time = Date.parse(iso);
  if (Number.isNaN(time)) return "";
  return new Date(end ? time - DAY_MS : time).toISOString().slice(0, 10);
}

/** The range of equal length just before [from, to) (ISO strings as the executions answer gives them). */
export function previousRange(from: string, to: string): { from: string; to: string } | null {
  const start = Date.parse(from);
  const end = Date.parse(to);
  if (Number.isNaN(start) || Number.isNaN(end) || end <= start) return null;
  return { from: new Date(start - (end - start)).toISOString(), to: new Date(start).toISOString() };
}

/**
 * The comparison overlay: the previous range's lines, dashed, bucket by bucket against the current labels (the
 * n-th bucket of the previous range under the n-th of this one; missing buckets are gaps).
 */
export function withComparison(current: ChartData, previous: readonly ExecutionSeries[], metrics: readonly Metric[]): ChartData {
  const points = previous[0]?.points ?? [];
  const length = current.labels.length;
  const overlay = metrics.map((metric) => ({
    label: `${METRIC_LABELS[metric]} (previous period)`,
    data: Array.from({ length }, (_, i) => (i < points.length ? metricValue(points[i], metric) : null)),
    borderColor: `${METRIC_COLORS[metric]}99`,
    backgroundColor: `${METRIC_COLORS[metric]}99`,
    yAxisID: axisOf(metric),
    spanGaps: false,
    borderDash: [6, 4],
  }));
  return { labels: current.labels, datasets: [...current.datasets, ...overlay] };
}

/** The range the page's queries use: the zoomed one while there is one, else the chosen from/to. */
export function effectiveRange(state: AnalyticsUrlState): { from: string | null; to: string | null } {
  return state.zoomFrom && state.zoomTo ? { from: state.zoomFrom, to: state.zoomTo } : { from: state.from, to: state.to };
}

/**
 * The range of a drag over the chart from bucket index `a` to `b` (either order, clamped to the buckets): from the
 * first bucket's start to the next bucket's start after the last one (`answeredTo` after the final bucket), as the
 * API's `to` is exclusive. Null when there is no bucket to zoom to.
 */
export function zoomRange(
  buckets: readonly string[],
  answeredTo: string,
  a: number,
  b: number,
): { from: string; to: string } | null {
  if (buckets.length === 0 || !Number.isFinite(a) || !Number.isFinite(b)) return null;
  const clamp = (i: number) => Math.min(buckets.length - 1, Math.max(0, Math.round(i)));
  const first = clamp(Math.min(a, b));
  const last = clamp(Math.max(a, b));
  const from = new Date(buckets[first]);
  const to = new Date(last + 1 < buckets.length ? buckets[last + 1] : answeredTo);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || to <= from) return null;
  return { from: from.toISOString(), to: to.toISOString() };
}
