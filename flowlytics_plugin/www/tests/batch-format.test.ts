import { describe, expect, it } from "vitest";
import {
  batchListParams,
  normalizeBatch,
  normalizeBatchList,
  normalizeProcessPage,
  normalizeTrends,
  processesCsvUrl,
  processParams,
} from "../src/api/batches";
import {
  ariaSort,
  batchHealthHref,
  columnLineageRows,
  formatPercent,
  formatThroughput,
  formatTimeOnDay,
  healthFor,
  healthStyle,
  HEALTH_STYLES,
  jobLabel,
  nextSort,
  rangeBounds,
  readBatchUrl,
  rewriteLogUrl,
  shortId,
  sumKnown,
  UNKNOWN_HEALTH_STYLE,
  writeBatchUrl,
} from "../src/batch/format";
import { EMPTY, formatDuration, formatTimestamp } from "../src/lib/format";
import { PROCESS_STATUS_STYLES, STATE_STYLES, stateStyle } from "../src/lib/state";

const BASE = "http://airflow.example:8080/";

describe("durations as HH:MM:SS", () => {
  it("formats process durations", () => {
    expect(formatDuration(0)).toBe("00:00:00");
    expect(formatDuration(59.4)).toBe("00:00:59");
    expect(formatDuration(3661)).toBe("01:01:01");
    expect(formatDuration(90_000)).toBe("25:00:00");
    expect(formatDuration(null)).toBe(EMPTY);
  });
});

describe("formatThroughput", () => {
  it("groups large rates, keeps decimals for small ones", () => {
    expect(formatThroughput(123456.7)).toBe("123,457");
    expect(formatThroughput(100)).toBe("100");
    expect(formatThroughput(42.25)).toBe("42.3");
    expect(formatThroughput(10)).toBe("10.0");
    expect(formatThroughput(2.5)).toBe("2.50");
    expect(formatThroughput(0.004)).toBe("0.00");
    expect(formatThroughput(0)).toBe("0");
  });

  it("is empty for unknown or impossible rates", () => {
    for (const v of [null, undefined, Number.NaN, Number.POSITIVE_INFINITY, -1]) expect(formatThroughput(v)).toBe(EMPTY);
  });
});

describe("formatPercent", () => {
  it("formats rates", () => {
    expect(formatPercent(1)).toBe("100%");
    expect(formatPercent(0)).toBe("0%");
    expect(formatPercent(0.5)).toBe("50%");
    expect(formatPercent(0.9523)).toBe("95.2%");
    expect(formatPercent(1 / 3)).toBe("33.3%");
    expect(formatPercent(0.0123)).toBe("1.2%");
    expect(formatPercent(0.0005)).toBe("0.05%");
    expect(formatPercent(null)).toBe(EMPTY);
  });

  it("never rounds an imperfect rate to 100% or a non-zero one to 0%", () => {
    expect(formatPercent(0.99999)).toBe("99.9%");
    expect(formatPercent(0.0000001)).toBe("<0.001%");
  });
});

describe("health colours", () => {
  it("maps GREEN/YELLOW/RED to green/amber/red, anything else to grey", () => {
    expect(healthStyle("GREEN").background).toBe("#15803d");
    expect(healthStyle("YELLOW").background).toBe("#a16207");
    expect(healthStyle("RED").background).toBe("#b91c1c");
    expect(healthStyle("red")).toEqual(HEALTH_STYLES.RED);
    expect(healthStyle(null)).toEqual(UNKNOWN_HEALTH_STYLE);
    expect(healthStyle("PURPLE")).toEqual(UNKNOWN_HEALTH_STYLE);
  });

  it("follows the issue's thresholds", () => {
    expect(healthFor(1)).toBe("GREEN");
    expect(healthFor(null)).toBe("GREEN");
    expect(healthFor(0.95)).toBe("YELLOW");
    expect(healthFor(0.9)).toBe("YELLOW");
    expect(healthFor(0.8999)).toBe("RED");
    expect(healthFor(1, true)).toBe("RED");
    expect(healthFor(1 / 3)).toBe("RED"); // the demo payments batch: 1 of 3
  });

  it("keeps white text readable on every health colour and process status (contrast >= 4.5)", () => {
    const lum = (hex: string) => {
      const [r, g, b] = [1, 3, 5]
        .map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
        .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const styles = [...Object.values(HEALTH_STYLES), UNKNOWN_HEALTH_STYLE, ...Object.values(PROCESS_STATUS_STYLES)];
    for (const style of styles) {
      const [hi, lo] = [lum(style.color), lum(style.background)].sort((a, b) => b - a);
      expect((hi + 0.05) / (lo + 0.05)).toBeGreaterThanOrEqual(4.5);
    }
  });

  it("colours process statuses like the run states they correspond to", () => {
    expect(stateStyle("SUCCESS")).toEqual(STATE_STYLES.COMPLETED);
    expect(stateStyle("FAILED")).toEqual(STATE_STYLES.FAILED);
    expect(stateStyle("ABORTED")).toEqual(STATE_STYLES.ABORTED);
    expect(stateStyle("RUNNING")).toEqual(STATE_STYLES.RUNNING);
    expect(stateStyle("pending")).toEqual(PROCESS_STATUS_STYLES.PENDING);
    expect(stateStyle("SKIPPED")).toEqual(PROCESS_STATUS_STYLES.SKIPPED);
    const all = new Set(["SUCCESS", "FAILED", "ABORTED", "RUNNING", "PENDING", "SKIPPED"].map((s) => stateStyle(s).background));
    expect(all.size).toBe(6);
  });
});

describe("CSV URL", () => {
  it("carries the table's sort, order and status filter, never the page", () => {
    const url = new URL(
      processesCsvUrl("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", { sort: "durationSeconds", order: "desc", status: ["FAILED", "ABORTED"] }, BASE),
    );
    expect(url.origin + url.pathname).toBe(
      "http://airflow.example:8080/flowlytics/api/v1/batches/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/processes.csv",
    );
    expect(url.searchParams.get("sort")).toBe("durationSeconds");
    expect(url.searchParams.get("order")).toBe("desc");
    expect(url.searchParams.get("status")).toBe("ABORTED,FAILED");
    expect(url.searchParams.has("page")).toBe(false);
    expect(url.searchParams.has("page_size")).toBe(false);
  });

  it("omits an empty status filter and resolves under a sub-path", () => {
    const url = new URL(processesCsvUrl("b/1", { sort: "name", order: "asc", status: [] }, "https://x.example/airflow/"));
    expect(url.pathname).toBe("/airflow/flowlytics/api/v1/batches/b%2F1/processes.csv");
    expect(url.search).toBe("?sort=name&order=asc");
  });

  it("uses the server's parameter names for the table", () => {
    expect(processParams({ sort: "rowsRead", order: "asc", status: [], page: 2, pageSize: 50 })).toEqual({
      sort: "rowsRead",
      order: "asc",
      status: undefined,
      page: 2,
      page_size: 50,
    });
  });

  it("builds the batch list query", () => {
    expect(batchListParams({ since: "2026-01-01T00:00:00Z", env: "", dagId: "etl", limit: 50, offset: 0 })).toEqual({
      since: "2026-01-01T00:00:00Z",
      until: undefined,
      env: undefined,
      dagId: "etl",
      airflowRunId: undefined,
      limit: 50,
      offset: undefined,
    });
  });
});

describe("rewriteLogUrl", () => {
  const page = "https://airflow.corp.example/dags/etl/runs/r1";

  it("moves a log link on another host to the current origin, keeping path and query", () => {
    expect(
      rewriteLogUrl("http://localhost:8080/dags/etl/runs/manual__2026-11-22T04%3A16%3A55%2B00%3A00/tasks/load?try_number=2", page),
    ).toBe("https://airflow.corp.example/dags/etl/runs/manual__2026-11-22T04%3A16%3A55%2B00%3A00/tasks/load?try_number=2");
  });

  it("keeps a link on the current origin as it is, and resolves relative links", () => {
    expect(rewriteLogUrl("https://airflow.corp.example/x?y=1#z", page)).toBe("https://airflow.corp.example/x?y=1#z");
    expect(rewriteLogUrl("/dags/etl/runs/r1/tasks/t", page)).toBe("https://airflow.corp.example/dags/etl/runs/r1/tasks/t");
  });

  it("refuses what is not an http(s) link (the URL comes from an event)", () => {
    expect(rewriteLogUrl("javascript:alert(1)", page)).toBeNull();
    expect(rewriteLogUrl(" JavaScript:alert(1)", page)).toBeNull();
    expect(rewriteLogUrl("data:text/html,<script>alert(1)</script>", page)).toBeNull();
    expect(rewriteLogUrl("", page)).toBeNull();
    expect(rewriteLogUrl(null, page)).toBeNull();
    expect(rewriteLogUrl("http://[broken", page)).toBeNull();
  });
});

describe("sorting", () => {
  it("flips the order on the same column and starts numbers largest-first", () => {
    expect(nextSort({ sort: "name", order: "asc" }, "name")).toEqual({ sort: "name", order: "desc" });
    expect(nextSort({ sort: "name", order: "desc" }, "name")).toEqual({ sort: "name", order: "asc" });
    expect(nextSort({ sort: "name", order: "asc" }, "durationSeconds")).toEqual({ sort: "durationSeconds", order: "desc" });
    expect(nextSort({ sort: "durationSeconds", order: "desc" }, "status")).toEqual({ sort: "status", order: "asc" });
  });

  it("reports aria-sort", () => {
    expect(ariaSort("name", "name", "asc")).toBe("ascending");
    expect(ariaSort("name", "name", "desc")).toBe("descending");
    expect(ariaSort("tries", "name", "desc")).toBe("none");
  });
});

describe("URL state and links", () => {
  it("round-trips the page state, keeping the host's parameters", () => {
    const state = readBatchUrl("?batch=abc&range=custom&since=2026-11-01T00:00:00.000Z&env=prod&dag=etl&x=1");
    expect(state).toEqual({
      batch: "abc",
      range: "custom",
      since: "2026-11-01T00:00:00.000Z",
      until: null,
      env: "prod",
      dag: "etl",
    });
    expect(writeBatchUrl("?x=1&batch=old", state)).toBe(
      "?x=1&batch=abc&range=custom&since=2026-11-01T00%3A00%3A00.000Z&env=prod&dag=etl",
    );
  });

  it("defaults to the last 7 days and drops defaults from the URL", () => {
    const state = readBatchUrl("?range=bogus&since=notadate");
    expect(state.range).toBe("7d");
    expect(state.since).toBeNull();
    expect(writeBatchUrl("", state)).toBe("");
    expect(writeBatchUrl("", { ...state, range: "24h", since: "2026-01-01T00:00:00Z" })).toBe("?range=24h");
  });

  it("computes the list window", () => {
    const now = Date.parse("2026-11-22T10:30:45.123Z");
    expect(rangeBounds({ range: "24h", since: null, until: null }, now)).toEqual({
      since: "2026-11-21T10:30:00.000Z",
      until: null,
    });
    expect(rangeBounds({ range: "30d", since: null, until: null }, now).since).toBe("2026-10-23T10:30:00.000Z");
    expect(rangeBounds({ range: "custom", since: "a", until: "b" }, now)).toEqual({ since: "a", until: "b" });
  });

  it("links to the Batch Health page on a batch", () => {
    expect(batchHealthHref("0190a1b2-c3d4", BASE)).toBe("http://airflow.example:8080/plugin/flowlytics_batch_health?batch=0190a1b2-c3d4");
    expect(batchHealthHref(null, "https://x.example/airflow/")).toBe("https://x.example/airflow/plugin/flowlytics_batch_health");
  });

  it("shortens ids and job ids", () => {
    expect(shortId("01a201c2-883e-7130-8319-8d2fca8d6011")).toBe("01a201c2…6011");
    expect(shortId("01a201c2-883e-7c21-b79f-d4bef069fb83")).toBe("01a201c2…fb83");
    expect(shortId("abc")).toBe("abc");
    const job = { namespace: "flowlytics_demo", name: "payments" };
    expect(jobLabel("job:flowlytics_demo:payments.reconcile", job)).toBe("reconcile");
    expect(jobLabel("job:flowlytics_demo:other.task", job)).toBe("other.task");
    expect(jobLabel("job:spark://x:app", job)).toBe("job:spark://x:app");
  });

  it("shows only the time for process times on the batch's day", () => {
    const day = "2026-11-22T04:00:00Z";
    const same = "2026-11-22T04:16:55Z";
    expect(formatTimeOnDay(same, day)).toBe(formatTimestamp(same).slice(11));
    expect(formatTimeOnDay("2026-10-01T04:16:55Z", day)).toBe(formatTimestamp("2026-10-01T04:16:55Z"));
    expect(formatTimeOnDay(null, day)).toBe(EMPTY);
  });
});

describe("column lineage", () => {
  it("flattens the columnLineage facet", () => {
    const facets = {
      columnLineage: {
        fields: {
          total: {
            inputFields: [
              { namespace: "pg", name: "s.orders", field: "amount", transformations: [{ type: "INDIRECT", subtype: "AGGREGATION" }] },
              { namespace: "pg", name: "s.orders", field: "qty", transformations: [] },
            ],
          },
          id: { inputFields: [{ namespace: "pg", name: "s.orders", field: "id" }], transformationType: "IDENTITY" },
          broken: "nope",
        },
      },
    };
    expect(columnLineageRows("w.sales", facets)).toEqual([
      { dataset: "w.sales", column: "total", inputDataset: "s.orders", inputField: "amount", transformation: "INDIRECT/AGGREGATION" },
      { dataset: "w.sales", column: "total", inputDataset: "s.orders", inputField: "qty", transformation: "" },
      { dataset: "w.sales", column: "id", inputDataset: "s.orders", inputField: "id", transformation: "IDENTITY" },
    ]);
    expect(columnLineageRows("x", {})).toEqual([]);
    expect(columnLineageRows("x", { columnLineage: { fields: [] } })).toEqual([]);
  });

  it("sums known values only", () => {
    expect(sumKnown([1, null, 2])).toBe(3);
    expect(sumKnown([null, undefined])).toBeNull();
  });
});

describe("normalisers", () => {
  it("survive a malformed batch", () => {
    const b = normalizeBatch({ batchId: "b1", health: "magenta", failed: "3", dqWarnings: ["t1", 2], sla: {} });
    expect(b.batchId).toBe("b1");
    expect(b.health).toBeNull();
    expect(b.failed).toBe(0);
    expect(b.dqWarnings).toEqual(["t1", "2"]);
    expect(b.sla).toBeNull();
    expect(b.slaStatus).toBeNull();
    expect(b.refreshAfterSeconds).toBeNull();
    expect(normalizeBatchList({ items: [{}, { batchId: "x", health: "RED" }] }).items.map((i) => i.health)).toEqual(["RED"]);
  });

  it("read a process page", () => {
    const page = normalizeProcessPage({
      items: [{ name: "t", status: "failed", tries: 2, dqWarning: true, rowsRead: 10, endedAt: null }],
      totalCount: 7,
      page: 2,
      pageSize: 33,
    });
    expect(page.items[0]).toMatchObject({ name: "t", status: "FAILED", tries: 2, dqWarning: true, rowsRead: 10, endedAt: null });
    expect(page).toMatchObject({ totalCount: 7, page: 2, pageSize: 25 });
  });

  it("read trends", () => {
    const t = normalizeTrends({ days: 7, points: [{ date: "2026-11-22", batches: 2, successRate: 0.5, rowsProcessed: null }] });
    expect(t.points[0]).toEqual({
      date: "2026-11-22",
      batches: 2,
      avgDurationSeconds: null,
      successRate: 0.5,
      rowsProcessed: 0,
      dqErrorRate: null,
    });
  });
});
