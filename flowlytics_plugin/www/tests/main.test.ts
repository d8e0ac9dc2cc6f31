import { describe, expect, it } from "vitest";

describe("bundle entry", () => {
  it("registers every view under its react_apps name and AirflowPlugin for its own ?view=", async () => {
    const g = globalThis as Record<string, unknown>;
    const entry = await import("../src/main");
    expect(typeof g.Flowlytics).toBe("function");
    expect(typeof g.Lineage).toBe("function");
    expect(typeof g["Lineage (DAG)"]).toBe("function");
    expect(typeof g["Inputs & outputs"]).toBe("function");
    // This test imports the module without ?view=: the runs page.
    expect(g.AirflowPlugin).toBe(g.Flowlytics);
    expect(entry.default).toBe(g.Flowlytics);
    expect(g.Lineage).toBe(entry.LineageApp);
    expect(new Set([g.Flowlytics, g.Lineage, g["Lineage (DAG)"], g["Inputs & outputs"]]).size).toBe(4);
    // Batch health: the nav page, the DAG-run tab and the dashboard widget.
    expect(g["Batch Health"]).toBe(entry.BatchHealthApp);
    expect(g["Batch health (run)"]).toBe(entry.BatchRunApp);
    expect(g["Latest batches"]).toBe(entry.BatchWidgetApp);
    for (const name of ["Batch Health", "Batch health (run)", "Latest batches"]) expect(typeof g[name]).toBe("function");
  }, 60_000); // a hang guard: importing every view's sources took over 5 s on a loaded 2-core machine
});
