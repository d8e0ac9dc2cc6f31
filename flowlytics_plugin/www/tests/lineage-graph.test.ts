import { describe, expect, it } from "vitest";
import {
  dagGroupIds,
  edgeKey,
  expandedGroupIds,
  formatCount,
  formatSla,
  mergeGraphs,
  nodeColours,
  nodeTypeFromId,
  pruneDanglingEdges,
  shortLabel,
  stateAccent,
  structureKey,
  transformationLabel,
} from "../src/lineage/graph";
import { STATE_STYLES, UNKNOWN_STATE_STYLE } from "../src/lib/state";
import type { LineageGraph } from "../src/lineage/types";
import { makeEdge, makeNode } from "./fixtures/graphs";

const A = "dataset:pg://h:5432:db.a";
const J = "job:airflow://x:dag.t1";
const B = "dataset:pg://h:5432:db.b";
const C = "dataset:pg://h:5432:db.c";

function graph(nodes: string[], edges: Array<[string, string]>, extra: Partial<LineageGraph> = {}): LineageGraph {
  return {
    rootIds: [nodes[0]],
    nodes: nodes.map((id, i) => makeNode(id, { distance: i })),
    edges: edges.map(([s, t]) => makeEdge(s, t)),
    truncated: false,
    ...extra,
  };
}

describe("mergeGraphs", () => {
  it("unions nodes by id and edges by (source, target, fields), keeping the base's roots", () => {
    const base = graph([A, J], [[A, J]]);
    const extra = graph([J, B, A], [[J, B], [A, J]], { rootIds: [J] });
    const merged = mergeGraphs(base, extra);
    expect(merged.rootIds).toEqual([A]);
    expect(merged.nodes.map((n) => n.id)).toEqual([A, J, B]);
    expect(merged.edges.map((e) => [e.source, e.target])).toEqual([
      [A, J],
      [J, B],
    ]);
  });

  it("keeps the smallest distance and the first copy of a node", () => {
    const base = graph([A, J, B], []);
    base.nodes[2] = makeNode(B, { distance: 5, owners: ["base"] });
    const extra = { ...graph([B], []), nodes: [makeNode(B, { distance: 1, owners: ["extra"] })] };
    const merged = mergeGraphs(base, extra);
    const b = merged.nodes.find((n) => n.id === B);
    expect(b?.distance).toBe(1);
    expect(b?.owners).toEqual(["base"]);
  });

  it("treats the same edge with a different id as one, and field edges between the same nodes as distinct", () => {
    const base = graph([A, B], []);
    base.edges = [makeEdge(A, B, { id: "e1", sourceField: "x", targetField: "y" })];
    const extra = graph([A, B], []);
    extra.edges = [
      makeEdge(A, B, { id: "other-id", sourceField: "x", targetField: "y" }),
      makeEdge(A, B, { id: "e2", sourceField: "x", targetField: "z" }),
    ];
    expect(mergeGraphs(base, extra).edges.map((e) => e.id)).toEqual(["e1", "e2"]);
    expect(edgeKey(base.edges[0])).not.toBe(edgeKey(extra.edges[1]));
  });

  it("drops edges whose ends are missing and ORs truncation", () => {
    const base = graph([A], [[A, C]]);
    const extra = graph([B], [], { truncated: true });
    const merged = mergeGraphs(base, extra);
    expect(merged.edges).toHaveLength(0);
    expect(merged.truncated).toBe(true);
    expect(mergeGraphs(graph([A, B], [[A, B]])).edges).toHaveLength(1);
  });

  it("pruneDanglingEdges returns the same object when nothing changes", () => {
    const g = graph([A, B], [[A, B]]);
    expect(pruneDanglingEdges(g)).toBe(g);
    const dup = { ...g, edges: [...g.edges, { ...g.edges[0] }] };
    expect(pruneDanglingEdges(dup).edges).toHaveLength(1);
  });
});

describe("colours", () => {
  it("maps the last run state to RUNNING blue, COMPLETED green, FAILED red, ABORTED orange, else grey", () => {
    expect(stateAccent("RUNNING").accent).toBe(STATE_STYLES.RUNNING.background);
    expect(stateAccent("COMPLETED").accent).toBe(STATE_STYLES.COMPLETED.background);
    expect(stateAccent("FAILED").accent).toBe(STATE_STYLES.FAILED.background);
    expect(stateAccent("ABORTED").accent).toBe(STATE_STYLES.ABORTED.background);
    expect(stateAccent("failed").label).toBe("FAILED");
    expect(stateAccent(null)).toEqual({ accent: UNKNOWN_STATE_STYLE.background, label: "NO RUN" });
    expect(stateAccent("START").accent).toBe(UNKNOWN_STATE_STYLE.background);
    expect(nodeColours(makeNode(A)).label).toBe("NO RUN");
    expect(
      nodeColours(makeNode(A, { latestRun: { runId: "r", state: "FAILED", startedAt: null, endedAt: null } })).accent,
    ).toBe("#b91c1c");
  });
});

describe("labels and formatting", () => {
  it("labels column edges by transformation", () => {
    expect(transformationLabel({ transformationType: "DIRECT", transformationSubtype: "IDENTITY" })).toBe(
      "DIRECT/IDENTITY",
    );
    expect(transformationLabel({ transformationType: "INDIRECT", transformationSubtype: null })).toBe("INDIRECT");
    expect(transformationLabel({ transformationType: null, transformationSubtype: " " })).toBe("");
  });

  it("formats counts and SLAs", () => {
    expect(formatCount(1234567)).toBe("1,234,567");
    expect(formatCount(999)).toBe("999");
    expect(formatCount(-1000)).toBe("-1,000");
    expect(formatCount(12.6)).toBe("13");
    expect(formatCount(null)).toBe("—");
    expect(formatCount(Number.NaN)).toBe("—");
    expect(formatSla({ latestArrival: "06:00", maxAgeMinutes: 90 })).toBe("by 06:00, max age 90 min");
    expect(formatSla(null)).toBe("");
  });

  it("shortens labels of DAG tasks and path-like datasets only", () => {
    expect(shortLabel(makeNode("job:a:etl.load", { name: "etl.load" }), "etl")).toBe("load");
    expect(shortLabel(makeNode("job:a:etl.load", { name: "etl.load" }), "other")).toBe("etl.load");
    expect(shortLabel(makeNode("job:a:etl", { name: "etl" }), "etl")).toBe("etl");
    expect(shortLabel(makeNode("dataset:file:/d/warehouse/orders.csv", { name: "/d/warehouse/orders.csv" }))).toBe(
      "warehouse/orders.csv",
    );
    expect(shortLabel(makeNode("dataset:s3://b:a/b", { name: "a/b" }))).toBe("a/b");
    expect(shortLabel(makeNode("dataset:s3://b:<img src=x onerror=alert(1)>", { name: "<img src=x onerror=alert(1)>" }))).toBe(
      "<img src=x onerror=alert(1)>",
    );
    expect(shortLabel(makeNode("job:a:x/y/z", { name: "x/y/z" }))).toBe("x/y/z");
  });

  it("reads the node type from a typed id", () => {
    expect(nodeTypeFromId(A)).toBe("DATASET");
    expect(nodeTypeFromId(J)).toBe("JOB");
    expect(nodeTypeFromId("x")).toBeNull();
  });
});

describe("structureKey / expandedGroupIds", () => {
  it("does not depend on the order of nodes and edges, but on ids, fields (column level) and edges", () => {
    const g1 = graph([A, J, B], [[A, J], [J, B]]);
    const g2 = { ...g1, nodes: [...g1.nodes].reverse(), edges: [...g1.edges].reverse() };
    expect(structureKey(g1, "job")).toBe(structureKey(g2, "job"));
    expect(structureKey(g1, "job")).not.toBe(structureKey(graph([A, J, B], [[A, J]]), "job"));
    const withFields = { ...g1, nodes: g1.nodes.map((n) => ({ ...n, fields: [{ name: "f", type: null }] })) };
    expect(structureKey(withFields, "job")).toBe(structureKey(g1, "job"));
    expect(structureKey(withFields, "column")).not.toBe(structureKey(g1, "column"));
    // run states do not change the structure (no re-layout on a colour change)
    const recoloured = { ...g1, nodes: g1.nodes.map((n) => ({ ...n, latestRun: { runId: "r", state: "FAILED", startedAt: null, endedAt: null } })) };
    expect(structureKey(recoloured, "job")).toBe(structureKey(g1, "job"));
  });

  it("lists the groups whose members are shown", () => {
    const g = graph([A, J, B], []);
    g.nodes[1] = makeNode(J, { parentId: "job:airflow://x:dag" });
    expect(expandedGroupIds(g)).toEqual(["job:airflow://x:dag"]);
  });

  it("finds every group of a DAG, one per namespace that reported it (the DAG tab opens them all)", () => {
    // Regression: the DAG tab expanded only the first group named like the DAG, so the tasks reported
    // under a second namespace (another Airflow deployment, a renamed namespace) stayed hidden.
    const g = graph([A, B], []);
    g.nodes.push(
      makeNode("job:airflow_a:sales", { name: "sales", isGroup: true }),
      makeNode("job:airflow_b:sales", { name: "sales", isGroup: true }),
      makeNode("job:airflow_b:sales_v2", { name: "sales_v2", isGroup: true }),
      makeNode("job:airflow_b:sales.load", { name: "sales" }),
    );
    expect(dagGroupIds(g, "sales")).toEqual(["job:airflow_a:sales", "job:airflow_b:sales"]);
    expect(dagGroupIds(g, "other")).toEqual([]);
    expect(dagGroupIds(g, null)).toEqual([]);
  });
});
