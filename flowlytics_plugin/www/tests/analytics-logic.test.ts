import { describe, expect, it } from "vitest";
import { executionsCsvUrl, executionsQuery, type AnalyticsFigures, type ExecutionSeries } from "../src/api/analytics";
import {
  breakdownRows,
  bucketLabel,
  dayInputToIso,
  isoToDayInput,
  kpiCards,
  kpiDelta,
  previousRange,
  readAnalyticsUrl,
  seriesToChartData,
  toggleMetric,
  withComparison,
  writeAnalyticsUrl,
  effectiveRange,
  zoomRange,
} from "../src/analytics/logic";

function figures(overrides: Partial<AnalyticsFigures> = {}): AnalyticsFigures {
  return {
    total: 0,
    succeeded: 0,
    failed: 0,
    aborted: 0,
    successRate: null,
    avgDurationSeconds: null,
    p50DurationSeconds: null,
    p95DurationSeconds: null,
    rowsRead: 0,
    rowsWritten: 0,
    dqErrors: 0,
    cost: 0,
    costEstimated: 0,
    costBilled: 0,
    ...overrides,
  };
}

const FILTERS = { from: "2026-11-01T00:00:00.000Z", to: null, granularity: "week" as const, dagId: "etl & co" };

describe("query building", () => {
  it("sends the filters, leaves out what is unset", () => {
    expect(executionsQuery(FILTERS, { groupBy: "dag" })).toEqual({
      from: "2026-11-01T00:00:00.000Z",
      to: null,
      dagId: "etl & co",
      granularity: "week",
      groupBy: "dag",
      format: null,
    });
  });
  it("the CSV link is the chart's query plus format=csv", () => {
    const url = new URL(executionsCsvUrl(FILTERS, "http://airflow.test/base/"));
    expect(url.pathname).toBe("/base/flowlytics/api/v1/analytics/executions");
    expect(Object.fromEntries(url.searchParams)).toEqual({
      from: "2026-11-01T00:00:00.000Z",
      dagId: "etl & co",
      granularity: "week",
      format: "csv",
    });
  });
});

describe("URL state", () => {
  it("defaults when the URL has nothing (or nonsense)", () => {
    const state = readAnalyticsUrl("?granularity=fortnight&metric=bogus&ranking=x&from=notadate");
    expect(state).toEqual({
      from: null,
      to: null,
      granularity: "day",
      dagId: null,
      metrics: ["total", "failed"],
      ranking: "slowest",
      compare: false,
      zoomFrom: null,
      zoomTo: null,
      run: null,
    });
    expect(writeAnalyticsUrl("", state)).toBe("");
  });
  it("round-trips filters and keeps the host's own keys", () => {
    const state = {
      from: "2026-11-01T00:00:00.000Z",
      to: "2026-12-01T00:00:00.000Z",
      granularity: "hour" as const,
      dagId: "d",
      metrics: ["successRate" as const, "cost" as const],
      ranking: "growing" as const,
      compare: true,
      zoomFrom: "2026-11-10T00:00:00.000Z",
      zoomTo: "2026-11-12T00:00:00.000Z",
      run: "0191a3b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b",
    };
    const search = writeAnalyticsUrl("?tab=x&granularity=day", state);
    const params = new URLSearchParams(search);
    expect(params.get("tab")).toBe("x");
    expect(params.getAll("granularity")).toEqual(["hour"]);
    expect(params.get("metric")).toBe("successRate,cost");
    expect(params.get("compare")).toBe("1");
    expect(params.get("zoomFrom")).toBe("2026-11-10T00:00:00.000Z");
    expect(params.get("run")).toBe("0191a3b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b");
    expect(readAnalyticsUrl(search, "d")).toEqual(state);
  });
  it("drops a zoom that is backwards or half given, and a run id that is not one", () => {
    const backwards = readAnalyticsUrl("?zoomFrom=2026-11-12T00:00:00Z&zoomTo=2026-11-10T00:00:00Z&run=<script>");
    expect([backwards.zoomFrom, backwards.zoomTo, backwards.run]).toEqual([null, null, null]);
    expect(readAnalyticsUrl("?zoomFrom=2026-11-12T00:00:00Z").zoomFrom).toBeNull();
  });
  it("the zoom overrides from/to in every query while set", () => {
    const state = readAnalyticsUrl("?from=2026-10-01T00:00:00Z&to=2026-11-01T00:00:00Z");
    expect(effectiveRange(state)).toEqual({ from: "2026-10-01T00:00:00Z", to: "2026-11-01T00:00:00Z" });
    const zoomed = { ...state, zoomFrom: "2026-10-05T00:00:00Z", zoomTo: "2026-10-07T00:00:00Z" };
    expect(effectiveRange(zoomed)).toEqual({ from: "2026-10-05T00:00:00Z", to: "2026-10-07T00:00:00Z" });
  });
});

describe("zoomRange", () => {
  const days = ["2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z", "2026-11-03T00:00:00Z", "2026-11-04T00:00:00Z"];
  const to = "2026-11-05T00:00:00Z";
  it("covers the dragged buckets whole, to exclusive (the next bucket's start)", () => {
    expect(zoomRange(days, to, 1, 2)).toEqual({ from: "2026-11-02T00:00:00.000Z", to: "2026-11-04T00:00:00.000Z" });
    expect(zoomRange(days, to, 2, 1)).toEqual(zoomRange(days, to, 1, 2));
  });
  it("ends at the answer's `to` after the last bucket; clamps drags past the edges", () => {
    expect(zoomRange(days, to, 3, 3)).toEqual({ from: "2026-11-04T00:00:00.000Z", to: "2026-11-05T00:00:00.000Z" });
    expect(zoomRange(days, to, -4, 9)).toEqual({ from: "2026-11-01T00:00:00.000Z", to: "2026-11-05T00:00:00.000Z" });
  });
  it("nothing to zoom to without buckets", () => {
    expect(zoomRange([], to, 0, 1)).toBeNull();
    expect(zoomRange(days, to, Number.NaN, 1)).toBeNull();
  });
  it("date pickers: the last day is included (to is exclusive)", () => {
    expect(dayInputToIso("2026-11-30", true)).toBe("2026-12-01T00:00:00.000Z");
    expect(dayInputToIso("2026-11-01", false)).toBe("2026-11-01T00:00:00.000Z");
    expect(dayInputToIso("", false)).toBeNull();
    expect(isoToDayInput("2026-12-01T00:00:00.000Z", true)).toBe("2026-11-30");
    expect(isoToDayInput(null, false)).toBe("");
  });
  it("toggling metrics keeps the picker's order and at least one", () => {
    expect(toggleMetric(["failed"], "total")).toEqual(["total", "failed"]);
    expect(toggleMetric(["total", "failed"], "total")).toEqual(["failed"]);
    expect(toggleMetric(["failed"], "failed")).toEqual(["failed"]);
  });
});

describe("series → chart datasets", () => {
  const series: ExecutionSeries[] = [
    {
      key: "all",
      points: [
        { bucket: "2026-11-01T00:00:00Z", ...figures({ total: 4, failed: 1, succeeded: 3, successRate: 0.75 }) },
        { bucket: "2026-11-02T00:00:00Z", ...figures() },
      ],
    },
  ];
  it("one dataset per metric, empty buckets as gaps for rates", () => {
    const data = seriesToChartData(series, ["total", "successRate", "p95DurationSeconds"], "day");
    expect(data.labels).toEqual(["2026-11-01", "2026-11-02"]);
    expect(data.datasets.map((d) => d.label)).toEqual(["Runs", "Success rate (%)", "p95 duration (s)"]);
    expect(data.datasets[0].data).toEqual([4, 0]);
    expect(data.datasets[1].data).toEqual([75, null]);
    expect(data.datasets[2].data).toEqual([null, null]);
    expect(data.datasets[0].yAxisID).toBe("y");
    expect(data.datasets[1].yAxisID).not.toBe("y");
  });
  it("comparison: the range before, its lines dashed under the current buckets", () => {
    expect(previousRange("2026-11-10T00:00:00Z", "2026-11-17T00:00:00Z")).toEqual({
      from: "2026-11-03T00:00:00.000Z",
      to: "2026-11-10T00:00:00.000Z",
    });
    expect(previousRange("2026-11-10T00:00:00Z", "2026-11-10T00:00:00Z")).toBeNull();
    const current = seriesToChartData(series, ["total"], "day");
    const previous: ExecutionSeries[] = [{ key: "all", points: [{ bucket: "2026-10-31T00:00:00Z", ...figures({ total: 9 }) }] }];
    const data = withComparison(current, previous, ["total"]);
    expect(data.labels).toEqual(current.labels);
    expect(data.datasets).toHaveLength(2);
    expect(data.datasets[1]).toMatchObject({ label: "Runs (previous period)", data: [9, null], borderDash: [6, 4], yAxisID: "y" });
  });
  it("labels hours and months in UTC", () => {
    expect(bucketLabel("2026-11-01T13:00:00+00:00", "hour")).toBe("2026-11-01 13:00");
    expect(bucketLabel("2026-11-01T00:00:00Z", "month")).toBe("2026-11");
  });
  it("no series: an empty chart", () => {
    expect(seriesToChartData([], ["total"], "day")).toEqual({ labels: [], datasets: [expect.objectContaining({ data: [] })] });
  });
  it("breakdown sums each group over its buckets, biggest first", () => {
    const rows = breakdownRows([
      { key: "small", points: [{ bucket: "b", ...figures({ total: 1, succeeded: 1 }) }] },
      {
        key: "big",
        points: [
          { bucket: "b1", ...figures({ total: 3, succeeded: 2, failed: 1, cost: 1.5 }) },
          { bucket: "b2", ...figures({ total: 2, failed: 1, rowsWritten: 7 }) },
        ],
      },
    ]);
    expect(rows.map((r) => r.key)).toEqual(["big", "small"]);
    expect(rows[0]).toMatchObject({ total: 5, succeeded: 2, failed: 2, successRate: 0.5, rowsWritten: 7, cost: 1.5 });
  });
});

describe("KPI deltas", () => {
  it("change, percent and whether it is good news", () => {
    expect(kpiDelta(12, 10, true)).toEqual({ change: 2, percent: 20, better: true });
    expect(kpiDelta(12, 10, false)).toEqual({ change: 2, percent: 20, better: false });
    expect(kpiDelta(5, 0, true)).toEqual({ change: 5, percent: null, better: true });
    expect(kpiDelta(3, 3, true).better).toBeNull();
    expect(kpiDelta(null, 3, true)).toEqual({ change: null, percent: null, better: null });
  });
  it("cards from a summary", () => {
    const summary = {
      ...figures({ total: 20, failed: 2, successRate: 0.9, p95DurationSeconds: 30, cost: 3 }),
      currency: "EUR",
      previous: figures({ total: 10, failed: 4, successRate: 0.6, p95DurationSeconds: null, cost: 3 }),
    };
    const cards = Object.fromEntries(kpiCards(summary).map((c) => [c.key, c]));
    expect(cards.total.value).toBe("20");
    expect(cards.total.deltaText).toBe("+10 (+100 %)");
    expect(cards.total.delta.better).toBe(true);
    expect(cards.failed.deltaText).toBe("−2 (−50 %)");
    expect(cards.failed.delta.better).toBe(true);
    expect(cards.successRate.deltaText).toBe("+30.0 pts");
    expect(cards.p95DurationSeconds.deltaText).toBe("no previous period");
    expect(cards.cost.value).toBe("3.00 EUR");
    expect(cards.cost.deltaText).toBe("unchanged");
  });
});
