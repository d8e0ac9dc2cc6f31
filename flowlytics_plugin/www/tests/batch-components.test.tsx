import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { normalizeBatch, normalizeProcess } from "../src/api/batches";
import { BatchList, countsText } from "../src/batch/BatchList";
import { MetricsCards } from "../src/batch/MetricsCards";
import { PROCESS_COLUMNS, ProcessTable } from "../src/batch/ProcessTable";
import { TrendCharts } from "../src/batch/TrendsPanel";
import { SORT_KEYS } from "../src/batch/types";

const EVIL = "<img src=x onerror=alert(1)>";

const payments = normalizeBatch({
  batchId: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
  job: { namespace: "flowlytics_demo", name: "flowlytics_demo_payments" },
  jobId: "job:flowlytics_demo:flowlytics_demo_payments",
  dagId: "flowlytics_demo_payments",
  state: "FAILED",
  startedAt: "2026-11-22T04:16:55Z",
  endedAt: "2026-11-22T04:17:40Z",
  durationSeconds: 45,
  env: "flowlytics_demo",
  totalProcesses: 3,
  succeeded: 1,
  failed: 1,
  aborted: 1,
  running: 0,
  pending: 0,
  skipped: 0,
  successRate: 1 / 3,
  health: "RED",
  rowsRead: 250,
  rowsWritten: 120,
  dqErrors: 5,
  dqErrorRate: 0.02,
  dqWarnings: [EVIL],
  criticalFailures: [],
  sla: { latestArrival: "07:00" },
  slaStatus: "MISSED",
  refreshAfterSeconds: null,
});

const processes = [
  normalizeProcess({
    runId: "r1",
    jobId: "job:flowlytics_demo:flowlytics_demo_payments.reconcile_payments",
    name: "reconcile_payments",
    status: "FAILED",
    startedAt: "2026-11-22T04:17:00Z",
    endedAt: "2026-11-22T04:17:12Z",
    durationSeconds: 12,
    rowsRead: 120,
    readThroughput: 10,
    tries: 2,
    errorMessage: "Reconciliation failed: 3 payments",
    critical: true,
  }),
  normalizeProcess({
    runId: null,
    jobId: `job:x:${EVIL}`,
    name: EVIL,
    status: "RUNNING",
    startedAt: "2026-11-22T04:17:00Z",
    endedAt: null,
    tries: 1,
    dqWarning: true,
  }),
];

describe("ProcessTable", () => {
  const render = (openKey: string | null = null) =>
    renderToStaticMarkup(
      <ProcessTable
        processes={processes}
        sort="durationSeconds"
        order="desc"
        onSort={() => undefined}
        openKey={openKey}
        onToggle={() => undefined}
        renderDetails={(p) => <div data-testid="details">{p.name}</div>}
        now={Date.parse("2026-11-22T04:18:00Z")}
      />,
    );

  it("has a server-sort button for every sort key, and marks the active one", () => {
    expect(PROCESS_COLUMNS.map((c) => c.key)).toEqual([...SORT_KEYS]);
    const html = render();
    for (const key of SORT_KEYS) expect(html).toContain(`data-testid="flowlytics-sort-${key}"`);
    expect(html).toContain('aria-sort="descending"');
    expect(html.match(/aria-sort="none"/g)).toHaveLength(SORT_KEYS.length - 1);
  });

  it("renders statuses, HH:MM:SS durations, tries and an empty end while running", () => {
    const html = render();
    expect(html).toContain('data-status="FAILED"');
    expect(html).toContain('data-status="RUNNING"');
    expect(html).toContain("00:00:12");
    expect(html).toContain("00:01:00…"); // running: elapsed so far
    expect(html).toContain("CRITICAL");
    expect(html).toContain("Reconciliation failed: 3 payments");
    expect(html).toContain("10.0"); // rows/s
  });

  it("renders names from events as text only", () => {
    const html = render();
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });

  it("shows the drill-down of the open row only", () => {
    expect(render()).not.toContain('data-testid="details"');
    const html = render("r1");
    expect(html.match(/data-testid="details"/g)).toHaveLength(1);
    expect(html).toContain('aria-expanded="true"');
  });
});

describe("MetricsCards", () => {
  it("shows counts, health, SLA and DQ", () => {
    const html = renderToStaticMarkup(<MetricsCards batch={payments} now={0} />);
    const metric = (name: string) => {
      const m = new RegExp(`data-metric="${name}"[^>]*>.*?data-testid="flowlytics-metric-value"[^>]*>(.*?)</div>`).exec(html);
      return m ? m[1] : null;
    };
    expect(metric("total")).toBe("3");
    expect(metric("succeeded")).toBe("1");
    expect(metric("failed")).toBe("1");
    expect(metric("aborted")).toBe("1");
    expect(metric("successRate")).toBe("33.3%");
    expect(html).toContain('data-health="RED"');
    expect(html).toContain('data-sla="MISSED"');
    expect(metric("dqErrorRate")).toBe("2%");
    expect(metric("duration")).toBe("00:00:45");
  });
});

describe("BatchList and widget counts", () => {
  it("lists batches with health and counts", () => {
    const html = renderToStaticMarkup(<BatchList batches={[payments]} selectedId={payments.batchId} onSelect={() => undefined} />);
    expect(html).toContain('data-health="RED"');
    expect(html).toContain('data-selected="true"');
    expect(html).toContain("flowlytics_demo_payments");
    expect(html).toContain("0190a1b2…4a5b");
    expect(countsText(payments)).toBe("1 ok · 1 failed · 1 aborted");
  });
});

describe("TrendCharts", () => {
  it("draws the four charts on canvases, with their data as text", () => {
    const html = renderToStaticMarkup(
      <TrendCharts
        trends={{
          jobId: "j",
          days: 7,
          points: [
            { date: "2026-11-21", batches: 0, avgDurationSeconds: null, successRate: null, rowsProcessed: 0, dqErrorRate: null },
            { date: "2026-11-22", batches: 2, avgDurationSeconds: 90, successRate: 0.5, rowsProcessed: 1200, dqErrorRate: 0.01 },
          ],
          anomalies: [
            {
              id: 4,
              runId: "r",
              jobNodeId: "job:airflow:d.load",
              metric: "durationSeconds",
              value: 306,
              median: 90,
              ratio: 3.4,
              expectedLow: 40,
              expectedHigh: 150,
              direction: "HIGH",
              level: "error",
              eventTime: "2026-11-22T01:00:00Z",
              markedNormalBy: null,
              markedNormalAt: null,
              date: "2026-11-22",
              process: "<b>load</b>",
            },
          ],
        }}
      />,
    );
    expect(html.match(/data-testid="flowlytics-trend-chart"/g)).toHaveLength(4);
    expect(html).toContain("latest 00:01:30");
    expect(html).toContain("latest 50%");
    expect(html).toContain("2 batches in the last 7 days");
    expect(html.match(/<canvas/g)).toHaveLength(4);
    expect(html).not.toContain("<svg");
    // The anomaly: listed under the duration chart and in its data table, the task's name as text.
    expect(html).toContain('data-metric="avgDurationSeconds" data-anomalies="1"');
    expect(html).toContain('data-metric="successRate" data-anomalies="0"');
    expect(html).toContain("2026-11-22: duration 3.4× usual (&lt;b&gt;load&lt;/b&gt;)");
    expect(html).not.toContain("<b>load</b>");
    expect(html.match(/data-testid="flowlytics-trend-table"/g)).toHaveLength(4);
    expect(html).toContain("<td>00:01:30</td>");
    expect(html).toContain("1 anomaly");
  });
});
