/**
 * What the Batch Health charts draw, as Chart.js data and options built by pure functions (unit-tested): the
 * daily trends with their anomaly marks, and a job's runs over the detector's band of normal. The band comes
 * from the backend (the detector's own verdicts); nothing here re-derives it. Names from events reach Chart.js
 * tooltips only, which draw text on the canvas: never markup.
 */
import type { ChartData, ChartOptions, TooltipItem } from "chart.js";
import { formatDuration } from "../lib/format";
import type { Palette } from "../lineage/theme";
import { formatPercent, formatRows } from "./format";
import type { AnomalyMark, Baseline, LearningState, TrendAnomaly, TrendPoint } from "./types";

export type TrendMetricKey = "avgDurationSeconds" | "successRate" | "rowsProcessed" | "dqErrorRate";

export interface TrendMetric {
  key: TrendMetricKey;
  title: string;
  kind: "line" | "bar";
  colour: string;
  /** Fixed top of the y axis (rates), else Chart.js picks one from the data. */
  fixedMax?: number;
  format: (v: number | null) => string;
}

export const TREND_METRICS: readonly TrendMetric[] = [
  { key: "avgDurationSeconds", title: "Average duration", kind: "line", colour: "#1d4ed8", format: formatDuration },
  { key: "successRate", title: "Success rate", kind: "line", colour: "#15803d", fixedMax: 1, format: formatPercent },
  { key: "rowsProcessed", title: "Rows processed", kind: "bar", colour: "#6d28d9", format: (v) => formatRows(v) },
  { key: "dqErrorRate", title: "DQ error rate", kind: "line", colour: "#b91c1c", format: formatPercent },
];

/** The trend chart on which a run metric's anomaly is marked (rows read and written both mark "rows"). */
const MARKED_ON: Readonly<Record<string, TrendMetricKey>> = {
  durationSeconds: "avgDurationSeconds",
  rowsRead: "rowsProcessed",
  rowsWritten: "rowsProcessed",
  dqErrorRate: "dqErrorRate",
};

export const METRIC_NAMES: Readonly<Record<string, string>> = {
  durationSeconds: "duration",
  rowsRead: "rows read",
  rowsWritten: "rows written",
  dqErrorRate: "DQ error rate",
  freshness: "freshness",
};

export const LEVEL_COLOURS: Readonly<Record<AnomalyMark["level"], string>> = { warn: "#d97706", error: "#dc2626" };

/** `1.0`, `3.4`, `0.12`: enough digits to tell "a bit" from "a lot". */
function ratioText(ratio: number): string {
  if (ratio >= 10) return ratio.toFixed(0);
  if (ratio >= 0.1) return ratio.toFixed(1);
  return ratio.toPrecision(1);
}

/** "duration 3.4× usual"; without a usual median (0): "duration 120 (usual 0)". */
export function anomalyLabel(a: Pick<AnomalyMark, "metric" | "ratio" | "value" | "median">): string {
  const name = METRIC_NAMES[a.metric] ?? a.metric;
  if (a.ratio !== null && Number.isFinite(a.ratio)) return `${name} ${ratioText(a.ratio)}× usual`;
  return `${name} ${formatMetric(a.metric, a.value)} (usual ${formatMetric(a.metric, a.median)})`;
}

/** A run metric's value in its unit. */
export function formatMetric(metric: string, value: number | null): string {
  if (value === null) return "–";
  if (metric === "durationSeconds" || metric === "freshness") return formatDuration(value);
  if (metric === "dqErrorRate") return formatPercent(value);
  return formatRows(value);
}

/** "expected 00:09:30 – 00:12:40": the band a flagged value left. */
export function expectedRange(a: Pick<AnomalyMark, "metric" | "expectedLow" | "expectedHigh">): string {
  return `expected ${formatMetric(a.metric, a.expectedLow)} – ${formatMetric(a.metric, a.expectedHigh)}`;
}

/** "learning: 3 of 7 runs" while the job has too little history for a verdict, else null. */
export function learningLabel(state: LearningState | null | undefined): string | null {
  if (!state || !state.learning) return null;
  return `learning: ${state.runs} of ${state.minHistory} runs`;
}

/** `2026-11-22` -> `11-22` (axis labels). */
export function shortDate(date: string): string {
  return /^\d{4}-\d{2}-\d{2}$/.test(date) ? date.slice(5) : date;
}

/** Each point's anomalies that mark this chart (not those marked normal), by index of `points`. */
export function marksByPoint(
  metric: TrendMetricKey,
  points: readonly TrendPoint[],
  anomalies: readonly TrendAnomaly[],
): TrendAnomaly[][] {
  const index = new Map(points.map((p, i) => [p.date, i]));
  const out: TrendAnomaly[][] = points.map(() => []);
  for (const a of anomalies) {
    const i = index.get(a.date);
    if (i === undefined || MARKED_ON[a.metric] !== metric || a.markedNormalAt) continue;
    out[i].push(a);
  }
  return out;
}

/** The tooltip line of one anomaly on a trend: "duration 3.4× usual (load_orders)". */
export function trendAnomalyText(a: TrendAnomaly): string {
  return `${anomalyLabel(a)}${a.process ? ` (${a.process})` : " (the batch)"}`;
}

function worst(marks: readonly AnomalyMark[]): AnomalyMark["level"] | null {
  if (marks.length === 0) return null;
  return marks.some((m) => m.level === "error") ? "error" : "warn";
}

export interface TrendChart {
  data: ChartData<"line" | "bar", (number | null)[], string>;
  /** The anomalies marked on each point (index of the data). */
  marks: TrendAnomaly[][];
  /** The latest known value (shown beside the title). */
  latest: number | null;
  /** Whether any day has data. */
  empty: boolean;
}

/** One trend chart: a value per day (null on days without batches), anomalous days drawn larger in red/amber. */
export function trendChart(
  metric: TrendMetric,
  points: readonly TrendPoint[],
  anomalies: readonly TrendAnomaly[] = [],
): TrendChart {
  const values = points.map((p) => (p.batches > 0 ? p[metric.key] : null));
  const marks = marksByPoint(metric.key, points, anomalies);
  const levels = marks.map(worst);
  const colours = levels.map((level) => (level ? LEVEL_COLOURS[level] : metric.colour));
  const small = points.length > 10;
  const dataset =
    metric.kind === "bar"
      ? {
          label: metric.title,
          data: values,
          backgroundColor: colours,
          borderColor: levels.map((level) => (level ? LEVEL_COLOURS[level] : metric.colour)),
          borderWidth: levels.map((level) => (level ? 2 : 0)),
        }
      : {
          label: metric.title,
          data: values,
          borderColor: metric.colour,
          backgroundColor: metric.colour,
          borderWidth: 2,
          spanGaps: false,
          pointBackgroundColor: colours,
          pointBorderColor: colours,
          pointRadius: levels.map((level) => (level ? 6 : small ? 2 : 3)),
          pointStyle: levels.map((level) => (level ? "triangle" : "circle")),
        };
  const latest = [...values].reverse().find((v): v is number => v !== null) ?? null;
  return {
    data: { labels: points.map((p) => shortDate(p.date)), datasets: [dataset] } as TrendChart["data"],
    marks,
    latest,
    empty: values.every((v) => v === null),
  };
}

export interface ChartTheme {
  grid: string;
  ticks: string;
  fg: string;
}

/** Grid and text colours of Airflow's light or dark mode. */
export function chartTheme(mode: "light" | "dark", palette: Pick<Palette, "muted" | "fg">): ChartTheme {
  return { grid: mode === "dark" ? "rgba(255,255,255,0.12)" : "rgba(0,0,0,0.08)", ticks: palette.muted, fg: palette.fg };
}

/** Options of a trend chart: its unit on the axis and in the tooltip, which lists the day's anomalies. */
export function trendOptions(
  metric: TrendMetric,
  chart: Pick<TrendChart, "marks">,
  points: readonly TrendPoint[],
  theme: ChartTheme,
): ChartOptions<"line" | "bar"> {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    // A day's tooltip anywhere above it: the small points are hard to hit.
    interaction: { mode: "index", intersect: false },
    plugins: {
      legend: { display: false },
      tooltip: {
        callbacks: {
          title: (items: TooltipItem<"line" | "bar">[]) => (items[0] ? points[items[0].dataIndex]?.date ?? "" : ""),
          label: (item: TooltipItem<"line" | "bar">) => {
            const p = points[item.dataIndex];
            const value = typeof item.raw === "number" ? item.raw : null;
            return `${metric.format(value)} (${p?.batches ?? 0} batch${p?.batches === 1 ? "" : "es"})`;
          },
          afterLabel: (item: TooltipItem<"line" | "bar">) => (chart.marks[item.dataIndex] ?? []).map(trendAnomalyText),
        },
      },
    },
    scales: {
      x: { grid: { display: false }, ticks: { color: theme.ticks, maxTicksLimit: 6, maxRotation: 0, font: { size: 10 } } },
      y: {
        beginAtZero: true,
        max: metric.fixedMax,
        grid: { color: theme.grid },
        ticks: {
          color: theme.ticks,
          maxTicksLimit: 4,
          font: { size: 10 },
          // Rows are whole: no 0.5 tick shown as "1".
          precision: metric.key === "rowsProcessed" ? 0 : undefined,
          callback: (value: string | number) => metric.format(Number(value)),
        },
      },
    },
  };
}

/** `2026-11-22T01:02:03Z` -> `11-22 01:02` (UTC, as the trends' days). */
export function runLabel(iso: string): string {
  const m = /^\d{4}-(\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}` : iso;
}

export const BAND_FILL = "rgba(34,197,94,0.18)";

export interface BaselineChart {
  data: ChartData<"line", (number | null)[], string>;
  /** Points outside their band (an anomaly stored, not marked normal): what the chart marks. */
  flagged: number;
}

/**
 * A job's runs over its band of normal: the band's low and high edges (the high one filled down to the low one),
 * the median dashed, the runs' values on top, anomalies as red/amber triangles. Runs judged while learning have
 * no band: a gap.
 */
export function baselineChart(baseline: Baseline, colour = "#1d4ed8"): BaselineChart {
  const points = baseline.points;
  const marked = points.map((p) => (p.anomaly && !p.anomaly.markedNormalAt ? p.anomaly : null));
  const colours = marked.map((a) => (a ? LEVEL_COLOURS[a.level] : colour));
  return {
    data: {
      labels: points.map((p) => runLabel(p.at)),
      datasets: [
        {
          label: "expected low",
          data: points.map((p) => p.band?.expectedLow ?? null),
          borderColor: "rgba(34,197,94,0.6)",
          borderWidth: 1,
          pointRadius: 0,
          fill: false,
          order: 3,
        },
        {
          label: "expected high",
          data: points.map((p) => p.band?.expectedHigh ?? null),
          borderColor: "rgba(34,197,94,0.6)",
          backgroundColor: BAND_FILL,
          borderWidth: 1,
          pointRadius: 0,
          fill: "-1",
          order: 3,
        },
        {
          label: "usual (median)",
          data: points.map((p) => p.band?.median ?? null),
          borderColor: "rgba(34,197,94,0.9)",
          borderDash: [4, 3],
          borderWidth: 1,
          pointRadius: 0,
          fill: false,
          order: 2,
        },
        {
          label: formatMetricName(baseline.metric),
          data: points.map((p) => p.value),
          borderColor: colour,
          backgroundColor: colour,
          borderWidth: 2,
          pointBackgroundColor: colours,
          pointBorderColor: colours,
          pointRadius: marked.map((a) => (a ? 6 : 3)),
          pointStyle: marked.map((a) => (a ? "triangle" : "circle")),
          fill: false,
          order: 1,
        },
      ],
    },
    flagged: marked.filter(Boolean).length,
  };
}

function formatMetricName(metric: string): string {
  const name = METRIC_NAMES[metric] ?? metric;
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** Options of the band chart: the value, its band and, for a flagged run, how far from usual it was. */
export function baselineOptions(baseline: Baseline, theme: ChartTheme): ChartOptions<"line"> {
  const metric = baseline.metric;
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    interaction: { mode: "index", intersect: false },
    plugins: {
      legend: { labels: { color: theme.fg, boxWidth: 12, font: { size: 11 } } },
      tooltip: {
        filter: (item: TooltipItem<"line">) => item.datasetIndex === 3,
        callbacks: {
          title: (items: TooltipItem<"line">[]) => (items[0] ? baseline.points[items[0].dataIndex]?.at ?? "" : ""),
          label: (item: TooltipItem<"line">) => {
            const p = baseline.points[item.dataIndex];
            return p ? `${formatMetricName(metric)} ${formatMetric(metric, p.value)}` : "";
          },
          afterLabel: (item: TooltipItem<"line">) => {
            const p = baseline.points[item.dataIndex];
            if (!p) return [];
            const lines = p.band
              ? [`usual ${formatMetric(metric, p.band.median)}, ${expectedRange({ metric, ...p.band })}`]
              : ["learning: no band yet"];
            if (p.anomaly) {
              lines.push(
                `${anomalyLabel(p.anomaly)} (${p.anomaly.level})${p.anomaly.markedNormalAt ? ", marked normal" : ""}`,
              );
            }
            return lines;
          },
        },
      },
    },
    scales: {
      x: { grid: { display: false }, ticks: { color: theme.ticks, maxTicksLimit: 6, maxRotation: 0, font: { size: 10 } } },
      y: {
        beginAtZero: true,
        grid: { color: theme.grid },
        ticks: { color: theme.ticks, maxTicksLimit: 5, font: { size: 10 }, callback: (v: string | number) => formatMetric(metric, Number(v)) },
      },
    },
  };
}
