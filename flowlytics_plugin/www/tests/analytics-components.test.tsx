import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import type { AnalyticsFigures } from "../src/api/analytics";
import { VIEW_COMPONENTS } from "../src/App";
import { VIEW_GLOBAL_NAMES, viewFromModuleUrl } from "../src/lib/view";
import { AnalyticsPage, BreakdownTable, CostPanel, KpiCards, Table } from "../src/pages/AnalyticsPage";

const EVIL = "<img src=x onerror=window.__pwned=1>";

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

describe("Analytics components", () => {
  it("KPI cards show value and change, coloured by good or bad news", () => {
    const period = { from: "2026-11-01T00:00:00Z", to: "2026-12-01T00:00:00Z", costBasis: "estimated" };
    const html = renderToStaticMarkup(
      <KpiCards
        summary={{
          ...figures({ total: 8, failed: 4 }),
          ...period,
          level: "dag",
          currency: "USD",
          previous: { ...figures({ total: 4, failed: 1 }), ...period },
        }}
      />,
    );
    expect(html.match(/data-testid="flowlytics-kpi"/g)).toHaveLength(6);
    expect(html).toContain("+4 (+100 %)");
    expect(html).toContain("+3 (+300 %)");
    expect(html).toContain("color:#dc2626"); // more failures: bad news
    expect(html).toContain("color:#16a34a"); // more runs
  });
  it("breakdown rows and API text are rendered as text", () => {
    const html = renderToStaticMarkup(
      <BreakdownTable
        testId="t"
        label="DAG"
        currency="USD"
        data={{ series: [{ key: EVIL, points: [{ bucket: "b", ...figures({ total: 2, succeeded: 2, cost: 1 }) }] }] }}
      />,
    );
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;img src=x onerror=window.__pwned=1&gt;");
    expect(html).toContain("100.0 %");
    expect(html).toContain("1.00 USD");
    expect(renderToStaticMarkup(<Table testId="e" headers={["a"]} rows={[]} />)).toContain("Nothing in this range.");
  });
  it("the page renders its toolbar and CSV link before data arrives", () => {
    const html = renderToStaticMarkup(<AnalyticsPage dagId="my_dag" />);
    expect(html).toContain("Analytics: my_dag");
    expect(html).toContain('data-testid="flowlytics-analytics-granularity"');
    expect(html).toMatch(/href="[^"]*analytics\/executions\?dagId=my_dag&amp;granularity=day&amp;format=csv"/);
  });
  it("cost: projection, basis and each budget's use", () => {
    const html = renderToStaticMarkup(
      <CostPanel
        cost={{
          currency: "EUR",
          rateCardConfigured: true,
          days: [
            { day: "2026-11-01", cost: 2, costEstimated: 2, costBilled: 0 },
            { day: "2026-11-02", cost: 3.5, costEstimated: 1, costBilled: 2.5 },
          ],
          byDag: [],
          projection: { basis: "mixed", next30Days: 61.2, dailyMean: 2.04, weekdayFactors: [] },
          budgets: [
            { dagId: EVIL, owner: null, monthlyAmount: 100, spentThisMonth: 40, use: 0.4, projectedMonthEnd: 90, projectedUse: 0.9, daysInMonth: 30 },
          ],
        }}
      />,
    );
    expect(html).toContain("61.20 EUR");
    expect(html).toContain("mixed");
    expect(html).toContain("5.50 EUR"); // the 28 days summed
    expect(html).toContain("40.0 %");
    expect(html).toContain("90.0 %");
    expect(html).not.toContain("<img");
    expect(html).toContain("DAG &lt;img");
  });
  it("both views are registered", () => {
    expect(viewFromModuleUrl("http://x/flowlytics.js?view=analytics")).toBe("analytics");
    expect(viewFromModuleUrl("http://x/flowlytics.js?view=dag-analytics")).toBe("dag-analytics");
    expect(VIEW_GLOBAL_NAMES.analytics).toBe("Analytics");
    expect(VIEW_COMPONENTS["dag-analytics"]).toBeTypeOf("function");
  });
});
