/**
 * An in-page stand-in for the Flowlytics API, for the UI benchmark and for
 * looking at the UI without a backend: answers `flowlytics/api/v1/...` from a
 * synthetic graph (tests/fixtures/graphs.ts). Not used by the shipped bundle.
 */
import { layeredGraph, makeEdge, makeNode } from "../tests/fixtures/graphs";
import type { LineageGraph } from "../src/lineage/types";

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

export function demoGraph(nodeCount: number, seed = 42, fields = 0): LineageGraph {
  const graph = layeredGraph(nodeCount, seed, { fields });
  if (nodeCount >= 4) {
    // An untrusted name, to see it rendered as text.
    const evil = makeNode("dataset:s3://evil-bucket:<img src=x onerror=alert(1)>", {
      namespace: "s3://evil-bucket",
      name: "<img src=x onerror=alert(1)>",
      latestRun: { runId: "r-evil", state: "FAILED", startedAt: null, endedAt: null },
    });
    graph.nodes[graph.nodes.length - 1] = evil;
    const last = graph.nodes[graph.nodes.length - 2];
    graph.edges = graph.edges.filter((e) => graph.nodes.some((n) => n.id === e.target));
    graph.edges.push(makeEdge(last.id, evil.id));
  }
  return graph;
}

/** Replaces window.fetch with the mock; returns the graph it serves. */
export function installMockApi(graph: LineageGraph, options: { version?: () => string } = {}): void {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const realFetch = window.fetch.bind(window);
  window.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input), window.location.href);
    const marker = "/flowlytics/api/v1/";
    const at = url.pathname.indexOf(marker);
    if (at < 0) return realFetch(input, init);
    const path = decodeURIComponent(url.pathname.slice(at + marker.length));
    const q = url.searchParams;
    if (path === "graph/version") return json({ version: options.version ? options.version() : "1" });
    if (path === "graph") {
      const nodeId = q.get("nodeId");
      if (nodeId && graph.nodes.length > 0 && !byId.has(nodeId)) return json({ detail: `Unknown node ${nodeId}` }, 404);
      if (nodeId && Number(q.get("depth")) === 1 && nodeId !== graph.rootIds[0]) {
        const edges = graph.edges.filter((e) => e.source === nodeId || e.target === nodeId);
        const ids = new Set([nodeId, ...edges.flatMap((e) => [e.source, e.target])]);
        return json({ rootIds: [nodeId], nodes: graph.nodes.filter((n) => ids.has(n.id)), edges, truncated: false });
      }
      return json(graph);
    }
    if (path === "search") {
      const text = (q.get("q") ?? "").toLowerCase();
      const items = graph.nodes
        .filter((n) => n.name.toLowerCase().includes(text))
        .slice(0, Number(q.get("limit") ?? 20))
        .map((n) => ({ id: n.id, type: n.type, namespace: n.namespace, name: n.name, score: 1 }));
      return json({ items, totalCount: items.length });
    }
    if (path === "impact") {
      const nodeId = q.get("nodeId") ?? "";
      const items = graph.edges
        .filter((e) => e.source === nodeId)
        .map((e) => byId.get(e.target))
        .filter((n) => n !== undefined)
        .map((n) => ({ ...n, distance: 1, lastRunState: n.latestRun?.state ?? null, lastRunAt: null, problems: [] }));
      return json({
        nodeId,
        direction: q.get("direction") ?? "downstream",
        items,
        summary: {
          total: items.length,
          datasets: items.filter((i) => i.type === "DATASET").length,
          jobs: items.filter((i) => i.type === "JOB").length,
          byOwner: {},
          byCriticality: {},
          slaBound: 0,
          critical: 0,
          culprits: [],
        },
      });
    }
    const node = path.startsWith("nodes/") ? byId.get(path.slice(6).replace(/\/metadata$/, "")) : undefined;
    if (path.startsWith("nodes/")) {
      return json({ nodeId: node?.id ?? "", owners: node?.owners ?? [], criticality: null, sla: null, tags: [], annotations: [] });
    }
    for (const prefix of ["jobs/", "datasets/"]) {
      if (path.startsWith(prefix)) {
        const n = byId.get(path.slice(prefix.length));
        if (!n) return json({ detail: "not found" }, 404);
        return json({
          id: n.id,
          namespace: n.namespace,
          name: n.name,
          facets: n.fields.length ? { schema: { fields: n.fields } } : {},
          metadata: { owners: n.owners, tags: [] },
          inputs: [],
          outputs: [],
          producers: [],
          consumers: [],
          latestRuns: [],
        });
      }
    }
    return json({ detail: `mock API: no route for ${path}` }, 404);
  };
}
