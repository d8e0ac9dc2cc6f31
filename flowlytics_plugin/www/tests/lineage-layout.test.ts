import { describe, expect, it } from "vitest";
import {
  FIELD_ROW_HEIGHT,
  NODE_HEIGHT,
  NODE_WIDTH,
  buildLayoutInput,
  fieldRowCenter,
  layeredLayout,
  layoutGraph,
  nodeSize,
} from "../src/lineage/layout";
import type { LineageGraph } from "../src/lineage/types";
import { layeredGraph, makeEdge, makeNode } from "./fixtures/graphs";

function g(ids: string[], edges: Array<[string, string]>): LineageGraph {
  return { rootIds: [ids[0]], nodes: ids.map((id) => makeNode(id)), edges: edges.map(([s, t]) => makeEdge(s, t)), truncated: false };
}

function overlaps(layout: ReturnType<typeof layoutGraph>): string[] {
  const boxes = [...layout.positions].map(([id, p]) => ({ id, ...p, ...(layout.sizes.get(id) as { width: number; height: number }) }));
  const bad: string[] = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i];
      const b = boxes[j];
      if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height) bad.push(`${a.id}/${b.id}`);
    }
  }
  return bad;
}

describe("buildLayoutInput", () => {
  it("sizes nodes, sorts them by id, folds duplicate edges and drops self-loops and dangling edges", () => {
    const graph = g(["dataset:n:b", "job:n:j", "dataset:n:a"], [
      ["dataset:n:a", "job:n:j"],
      ["job:n:j", "dataset:n:b"],
      ["job:n:j", "job:n:j"],
      ["job:n:j", "dataset:n:missing"],
    ]);
    graph.edges.push(makeEdge("dataset:n:a", "job:n:j", { id: "dup", sourceField: "x" }));
    const input = buildLayoutInput(graph, "job");
    expect(input.nodes.map((n) => n.id)).toEqual(["dataset:n:a", "dataset:n:b", "job:n:j"]);
    expect(input.nodes.every((n) => n.width === NODE_WIDTH && n.height === NODE_HEIGHT)).toBe(true);
    expect(input.edges).toEqual([
      { source: "dataset:n:a", target: "job:n:j" },
      { source: "job:n:j", target: "dataset:n:b" },
    ]);
  });

  it("makes datasets taller at column level, by their field count", () => {
    const ds = makeNode("dataset:n:a", { fields: [{ name: "x", type: null }, { name: "y", type: null }] });
    expect(nodeSize(ds, "job").height).toBe(NODE_HEIGHT);
    expect(nodeSize(ds, "column").height).toBeGreaterThan(NODE_HEIGHT + 2 * FIELD_ROW_HEIGHT - 1);
    expect(nodeSize(makeNode("job:n:j"), "column").height).toBe(NODE_HEIGHT);
    expect(fieldRowCenter(1) - fieldRowCenter(0)).toBe(FIELD_ROW_HEIGHT);
  });
});

describe("layeredLayout", () => {
  it("puts data flow left to right: every edge of a DAG points rightwards", () => {
    const graph = layeredGraph(200, 7);
    const layout = layoutGraph(graph, "job");
    for (const e of graph.edges) {
      expect((layout.positions.get(e.source)?.x ?? 0) < (layout.positions.get(e.target)?.x ?? 0)).toBe(true);
    }
    expect(layout.positions.size).toBe(200);
  });

  it("never overlaps nodes, also at column level with tall nodes", () => {
    expect(overlaps(layoutGraph(layeredGraph(300, 3), "job"))).toEqual([]);
    expect(overlaps(layoutGraph(layeredGraph(120, 5, { fields: 6 }), "column"))).toEqual([]);
  });

  it("is deterministic and independent of the response's order", () => {
    const graph = layeredGraph(150, 11);
    const shuffled = { ...graph, nodes: [...graph.nodes].reverse(), edges: [...graph.edges].reverse() };
    const a = layoutGraph(graph, "job");
    const b = layoutGraph(shuffled, "job");
    for (const [id, p] of a.positions) expect(b.positions.get(id)).toEqual(p);
  });

  it("survives cycles, self-loops, isolated nodes and an empty graph", () => {
    const graph = g(["job:n:a", "dataset:n:b", "job:n:c", "dataset:n:lonely"], [
      ["job:n:a", "dataset:n:b"],
      ["dataset:n:b", "job:n:c"],
      ["job:n:c", "job:n:a"],
      ["job:n:a", "job:n:a"],
    ]);
    const layout = layoutGraph(graph, "job");
    expect(layout.positions.size).toBe(4);
    expect(overlaps(layout)).toEqual([]);
    for (const p of layout.positions.values()) expect(Number.isFinite(p.x) && Number.isFinite(p.y)).toBe(true);
    expect(layeredLayout({ nodes: [], edges: [] }).positions.size).toBe(0);
  });

  it("places a source next to its first consumer, not in the leftmost column", () => {
    const graph = g(["dataset:n:s", "job:n:j1", "dataset:n:d1", "job:n:j2", "dataset:n:late"], [
      ["dataset:n:s", "job:n:j1"],
      ["job:n:j1", "dataset:n:d1"],
      ["dataset:n:d1", "job:n:j2"],
      ["dataset:n:late", "job:n:j2"],
    ]);
    const layout = layoutGraph(graph, "job");
    expect(layout.positions.get("dataset:n:late")?.x).toBe(layout.positions.get("dataset:n:d1")?.x);
  });

  it("lays out 500 nodes whole, without overlaps, the same way twice (its speed: npm run bench:ui)", () => {
    const graph = layeredGraph(500, 42);
    const input = buildLayoutInput(graph, "job");
    const layout = layeredLayout(input);
    expect(layout.positions.size).toBe(500);
    expect(overlaps(layout)).toEqual([]);
    expect([...layeredLayout(input).positions]).toEqual([...layout.positions]);
  });
});
