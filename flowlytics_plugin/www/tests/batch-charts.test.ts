import { describe, expect, it } from "vitest";
import { normalizeBaseline, normalizeProcessPage, normalizeTrends } from "../src/api/batches";
import {
  anomalyLabel,
  BAND_FILL,
  baselineChart,
  baselineOptions,
  chartTheme,
  expectedRange,
  LEVEL_COLOURS,
  learningLabel,
  marksByPoint,
  shortDate,
  TREND_METRICS,
  trendAnomalyText,
  trendChart,
  trendOptions,
} from "../src/batch/charts";
import type { TrendAnomaly, TrendPoint } from "../src/batch/types";
import { PALETTES } from "../src/lineage/theme";

const points: TrendPoint[] = [
  { date: "2026-11-20", batches: 1, avgDurationSeconds: 600, successRate: 1, rowsProcessed: 1000, dqErrorRate: 0 },
  { date: "2026-11-21", batches: 0, avgDurationSeconds: null, successRate: null, rowsProcessed: 0, dqErrorRate: null },
  { date: "2026-11-22", batches: 2, avgDurationSeconds: 2040, successRate: 0.5, rowsProcessed: 100, dqErrorRate: 0.01 },
];

function anomaly(over: Partial<TrendAnomaly>): TrendAnomaly {
  return {
    id: 1,
    runId: "r",
    jobNodeId: "job:airflow:nightly.load",
    metric: "durationSeconds",
    value: 2040,
    median: 600,
    ratio: 3.4,
    expectedLow: 300,
    expectedHigh: 900,
    direction: "HIGH",
    level: "warn",
    eventTime: "2026-11-22T01:00:00Z",
    markedNormalBy: null,
    markedNormalAt: null,
    date: "2026-11-22",
    process: "load",
    ...over,
  };
}

const duration = TREND_METRICS.find((m) => m.key === "avgDurationSeconds")!;
const rows = TREND_METRICS.find((m) => m.key === "rowsProcessed")!;
const theme = chartTheme("light", PALETTES.light);

describe("anomaly labels", () => {
  it("say how far from usual, in the metric's words", () => {
    expect(anomalyLabel({ metric: "durationSeconds", ratio: 3.4, value: 2040, median: 600 })).toBe("duration 3.4× usual");
    expect(anomalyLabel({ metric: "rowsWritten", ratio: 0.1, value: 100, median: 1000 })).toBe("rows written 0.1× usual");
    expect(anomalyLabel({ metric: "rowsRead", ratio: 0.004, value: 4, median: 1000 })).toBe("rows read 0.004× usual");
    expect(anomalyLabel({ metric: "rowsRead", ratio: 25.4, value: 25400, median: 1000 })).toBe("rows read 25× usual");
    // A usual value of 0 has no ratio: the values themselves.
    expect(anomalyLabel({ metric: "dqErrorRate", ratio: null, value: 0.2, median: 0 })).toBe("DQ error rate 20% (usual 0%)");
    expect(expectedRange({ metric: "durationSeconds", expectedLow: 300, expectedHigh: 900 })).toBe(
      "expected 00:05:00 – 00:15:00",
    );
  });

  it("name the learning state only while learning", () => {
    expect(learningLabel({ runs: 3, minHistory: 7, learning: true })).toBe("learning: 3 of 7 runs");
    expect(learningLabel({ runs: 7, minHistory: 7, learning: false })).toBeNull();
    expect(learningLabel(null)).toBeNull();
  });
});

describe("trend charts", () => {
  it("keep a value per day, none on days without batches", () => {
    const chart = trendChart(duration, points);
    expect(chart.data.labels).toEqual(["11-20", "11-21", "11-22"]);
    expect(chart.data.datasets[0].data).toEqual([600, null, 2040]);
    expect(chart.latest).toBe(2040);
    expect(chart.empty).toBe(false);
    expect(trendChart(duration, [points[1]]).empty).toBe(true);
    expect(shortDate("2026-11-22")).toBe("11-22");
  });

  it("mark the day of an anomaly on the chart of its metric only, not once marked normal", () => {
    const slow = anomaly({});
    const fewRows = anomaly({ id: 2, metric: "rowsWritten", ratio: 0.1, level: "error" });
    const forgiven = anomaly({ id: 3, date: "2026-11-20", markedNormalAt: "2026-11-22T02:00:00Z" });
    const marks = marksByPoint("avgDurationSeconds", points, [slow, fewRows, forgiven]);
    expect(marks.map((m) => m.map((a) => a.id))).toEqual([[], [], [1]]);
    expect(marksByPoint("rowsProcessed", points, [slow, fewRows]).map((m) => m.length)).toEqual([0, 0, 1]);
    expect(marksByPoint("successRate", points, [slow, fewRows]).flat()).toEqual([]);

    const line = trendChart(duration, points, [slow]);
    const dataset = line.data.datasets[0] as unknown as { pointBackgroundColor: string[]; pointRadius: number[]; pointStyle: string[] };
    expect(dataset.pointBackgroundColor).toEqual([duration.colour, duration.colour, LEVEL_COLOURS.warn]);
    expect(dataset.pointStyle).toEqual(["circle", "circle", "triangle"]);
    expect(dataset.pointRadius[2]).toBeGreaterThan(dataset.pointRadius[0]);

    const bar = trendChart(rows, points, [fewRows]);
    expect((bar.data.datasets[0] as unknown as { backgroundColor: string[] }).backgroundColor).toEqual([
      rows.colour,
      rows.colour,
      LEVEL_COLOURS.error,
    ]);
  });

  it("put the day's anomalies in the tooltip, as text", () => {
    const hostile = anomaly({ process: "<img src=x onerror=alert(1)>" });
    const chart = trendChart(duration, points, [hostile, anomaly({ id: 9, process: null, ratio: 3.4 })]);
    const options = trendOptions(duration, chart, points, theme);
    const callbacks = options.plugins!.tooltip!.callbacks! as unknown as {
      title: (items: { dataIndex: number }[]) => string;
      label: (item: { dataIndex: number; raw: unknown }) => string;
      afterLabel: (item: { dataIndex: number }) => string[];
    };
    expect(callbacks.title([{ dataIndex: 2 }])).toBe("2026-11-22");
    expect(callbacks.label({ dataIndex: 2, raw: 2040 })).toBe("00:34:00 (2 batches)");
    expect(callbacks.afterLabel({ dataIndex: 2 })).toEqual([
      "duration 3.4× usual (<img src=x onerror=alert(1)>)",
      "duration 3.4× usual (the batch)",
    ]);
    expect(callbacks.afterLabel({ dataIndex: 0 })).toEqual([]);
    expect(trendAnomalyText(anomaly({ process: "load" }))).toBe("duration 3.4× usual (load)");
  });

  it("follow the colour mode and fix the top of rate axes", () => {
    const dark = chartTheme("dark", PALETTES.dark);
    expect(dark.ticks).toBe(PALETTES.dark.muted);
    expect(dark.grid).not.toBe(theme.grid);
    const rate = TREND_METRICS.find((m) => m.key === "successRate")!;
    const options = trendOptions(rate, trendChart(rate, points), points, dark) as {
      scales: { y: { max?: number; ticks: { color: string } } };
    };
    expect(options.scales.y.max).toBe(1);
    expect(options.scales.y.ticks.color).toBe(PALETTES.dark.muted);
  });

  it("read the trends' anomalies", () => {
    const t = normalizeTrends({ days: 7, points: [], anomalies: [{ ...anomaly({}), ratio: "x", level: "bogus" }] });
    expect(t.anomalies[0]).toMatchObject({ id: 1, date: "2026-11-22", process: "load", ratio: null, level: "warn" });
    expect(normalizeTrends({ days: 7, points: [] }).anomalies).toEqual([]);
  });
});

describe("the band of normal", () => {
  const raw = {
    jobNodeId: "job:airflow:nightly.load",
    metric: "durationSeconds",
    minHistory: 7,
    historyRuns: 9,
    learning: false,
    current: { median: 600, expectedLow: 300, expectedHigh: 1200, seasonal: false },
    points: [
      { runId: "a", at: "2026-11-20T01:00:00Z", value: 610, status: "learning", band: null, anomaly: null },
      {
        runId: "b",
        at: "2026-11-21T01:00:00Z",
        value: 590,
        status: "normal",
        band: { median: 600, expectedLow: 300, expectedHigh: 1200, seasonal: false },
        anomaly: null,
      },
      {
        runId: "c",
        at: "2026-11-22T01:00:00Z",
        value: 2040,
        status: "anomaly",
        band: { median: 600, expectedLow: 310, expectedHigh: 1190, seasonal: false },
        anomaly: { ...anomaly({ runId: "c", level: "error" }) },
      },
    ],
  };

  it("draws the band the backend sent, the runs on top, the flagged one marked", () => {
    const baseline = normalizeBaseline(raw);
    const chart = baselineChart(baseline);
    const [low, high, median, runs] = chart.data.datasets;
    expect(low.data).toEqual([null, 300, 310]);
    expect(high.data).toEqual([null, 1200, 1190]);
    expect(high.fill).toBe("-1");
    expect(high.backgroundColor).toBe(BAND_FILL);
    expect(median.data).toEqual([null, 600, 600]);
    expect(runs.data).toEqual([610, 590, 2040]);
    expect((runs as unknown as { pointBackgroundColor: string[] }).pointBackgroundColor[2]).toBe(LEVEL_COLOURS.error);
    expect(chart.flagged).toBe(1);
    expect(chart.data.labels).toEqual(["11-20 01:00", "11-21 01:00", "11-22 01:00"]);

    const options = baselineOptions(baseline, theme);
    const callbacks = options.plugins!.tooltip!.callbacks! as unknown as {
      afterLabel: (item: { dataIndex: number }) => string[];
    };
    expect(callbacks.afterLabel({ dataIndex: 0 })).toEqual(["learning: no band yet"]);
    expect(callbacks.afterLabel({ dataIndex: 2 })).toEqual([
      "usual 00:10:00, expected 00:05:10 – 00:19:50",
      "duration 3.4× usual (error)",
    ]);
  });

  it("no longer marks a run marked normal", () => {
    const forgiven = structuredClone(raw);
    forgiven.points[2].anomaly = { ...forgiven.points[2].anomaly!, markedNormalAt: "2026-11-22T02:00:00Z" };
    expect(baselineChart(normalizeBaseline(forgiven)).flagged).toBe(0);
  });

  it("reads a partial answer without crashing", () => {
    const b = normalizeBaseline({ points: [{ runId: "x", value: 1, status: "weird", band: { median: 1 } }] });
    expect(b.points[0]).toMatchObject({ status: "learning", band: null, anomaly: null });
    expect(b.current).toBeNull();
  });

  it("process pages carry anomalies, learning and who may mark normal", () => {
    const page = normalizeProcessPage({
      items: [{ name: "t", anomalies: [anomaly({})], learning: { runs: 3, minHistory: 7, learning: true } }],
      canMarkNormal: true,
    });
    expect(page.canMarkNormal).toBe(true);
    expect(page.items[0].anomalies[0]).toMatchObject({ id: 1, ratio: 3.4, level: "warn" });
    expect(page.items[0].learning).toEqual({ runs: 3, minHistory: 7, learning: true });
    expect(normalizeProcessPage({ items: [{}] }).items[0]).toMatchObject({ anomalies: [], learning: null });
    expect(normalizeProcessPage({ items: [] }).canMarkNormal).toBe(false);
  });
});
