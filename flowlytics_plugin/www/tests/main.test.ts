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
  });
});
