import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { RunsTable } from "../src/components/RunsTable";
import type { Run } from "../src/types";

const base: Run = {
  runId: "r-1",
  state: "FAILED",
  job: { namespace: "airflow://prod", name: "etl.load" },
  startedAt: "2024-01-01T00:00:00Z",
  endedAt: "2024-01-01T00:01:05Z",
  durationSeconds: 65,
  parentRunId: null,
  rootRunId: null,
  errorMessage: "x".repeat(200),
};

describe("RunsTable", () => {
  it("renders one row per run with data-state and test ids", () => {
    const html = renderToStaticMarkup(
      <RunsTable runs={[base, { ...base, runId: "r-2", state: null, errorMessage: null }]} now={0} />,
    );
    expect(html).toContain('data-testid="flowlytics-runs-table"');
    expect(html.match(/data-testid="flowlytics-run-row"/g)).toHaveLength(2);
    expect(html).toContain('data-state="FAILED"');
    expect(html).toContain('data-state="UNKNOWN"');
    expect(html).toContain("00:01:05");
    // truncated preview + full text in the title attribute
    expect(html).toContain(`${"x".repeat(79)}…`);
    expect(html).toContain(`title="${"x".repeat(200)}"`);
  });

  it("renders untrusted names as text, never as markup", () => {
    const evil = '<img src=x onerror=alert(1)>';
    const html = renderToStaticMarkup(
      <RunsTable runs={[{ ...base, job: { namespace: evil, name: evil }, errorMessage: evil }]} now={0} />,
    );
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });

  it("shows elapsed time for running runs without a duration", () => {
    const html = renderToStaticMarkup(
      <RunsTable
        runs={[{ ...base, state: "RUNNING", endedAt: null, durationSeconds: null }]}
        now={Date.parse("2024-01-01T00:02:00Z")}
      />,
    );
    expect(html).toContain("00:02:00…");
  });
});
