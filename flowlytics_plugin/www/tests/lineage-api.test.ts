import { afterEach, describe, expect, it, vi } from "vitest";
import { apiUrl } from "../src/api/client";
import {
  fetchGraph,
  fetchImpact,
  fetchNodeDetails,
  graphParams,
  normalizeDetails,
  normalizeGraph,
  normalizeImpact,
  normalizeMetadata,
  normalizeSearch,
} from "../src/api/lineage";

const NODE = "dataset:postgres://db:5432:public.orders";

describe("query building", () => {
  it("repeats array parameters", () => {
    expect(apiUrl("graph", { expand: ["a", "b"], depth: 2 }, "http://h/").search).toBe("?expand=a&expand=b&depth=2");
  });

  it("asks for a node's or a DAG's graph", () => {
    const q = { direction: "both" as const, depth: 3, level: "job" as const, collapse: true, expand: ["z", "a"] };
    expect(graphParams({ ...q, nodeId: NODE })).toMatchObject({ nodeId: NODE, collapse: "true", expand: ["a", "z"] });
    const dag = graphParams({ ...q, nodeId: NODE, dagId: "etl", expand: [] });
    expect(dag.dagId).toBe("etl");
    expect(dag.nodeId).toBeUndefined();
    expect(dag.expand).toBeUndefined();
  });
});

describe("requests", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("encodes node ids whole in paths", async () => {
    const fetchMock = vi.fn(async () => new Response(JSON.stringify({ id: NODE, facets: {} }), { status: 200 }));
    vi.stubGlobal("fetch", fetchMock);
    vi.stubGlobal("document", { baseURI: "http://af.local/" });
    const details = await fetchNodeDetails(NODE, "DATASET");
    const [url] = fetchMock.mock.calls[0] as unknown as [URL];
    expect(String(url)).toBe(`http://af.local/flowlytics/api/v1/datasets/${encodeURIComponent(NODE)}`);
    expect(details.type).toBe("DATASET");
  });

  it("sends the graph query", async () => {
    const fetchMock = vi.fn(async () => new Response(JSON.stringify({ rootIds: [], nodes: [], edges: [] }), { status: 200 }));
    vi.stubGlobal("fetch", fetchMock);
    vi.stubGlobal("document", { baseURI: "http://af.local/" });
    await fetchGraph({ dagId: "etl", direction: "both", depth: 2, level: "column", collapse: false, expand: [], maxNodes: 50 });
    const [url] = fetchMock.mock.calls[0] as unknown as [URL];
    expect(String(url)).toBe(
      "http://af.local/flowlytics/api/v1/graph?dagId=etl&direction=both&depth=2&level=column&collapse=false&maxNodes=50",
    );
  });

  it("asks for the first impact rows only when given a limit", async () => {
    const body = { nodeId: NODE, direction: "downstream", items: [], truncated: true, summary: { total: 4000 } };
    const fetchMock = vi.fn(async () => new Response(JSON.stringify(body), { status: 200 }));
    vi.stubGlobal("fetch", fetchMock);
    vi.stubGlobal("document", { baseURI: "http://af.local/" });
    const impact = await fetchImpact(NODE, "downstream", undefined, undefined, 25);
    const [url] = fetchMock.mock.calls[0] as unknown as [URL];
    expect(url.searchParams.get("limit")).toBe("25");
    expect(url.searchParams.has("depth")).toBe(false);
    expect(impact.summary.total).toBe(4000);
  });
});

describe("normalisers", () => {
  it("tolerate missing and mistyped fields", () => {
    const g = normalizeGraph({
      nodes: [{ id: NODE }, { id: "" }, null, { id: "job:a:b", type: "job", isGroup: true, childCount: "3", fields: [{ name: "x" }, {}] }],
      edges: [{ source: NODE, target: "job:a:b" }, { source: NODE }],
    });
    expect(g.rootIds).toEqual([]);
    expect(g.nodes).toHaveLength(2);
    expect(g.nodes[0]).toMatchObject({ id: NODE, type: "DATASET", name: NODE, distance: 0, latestRun: null, fields: [] });
    expect(g.nodes[1]).toMatchObject({ type: "JOB", isGroup: true, childCount: 0, fields: [{ name: "x", type: null }] });
    expect(g.edges).toHaveLength(1);
    expect(g.edges[0].id).not.toBe("");
    expect(normalizeGraph(undefined)).toEqual({ rootIds: [], nodes: [], edges: [], truncated: false });
  });

  it("read impact, search, details and metadata", () => {
    const impact = normalizeImpact({ nodeId: NODE, items: [{ id: "job:a:b", type: "JOB", problems: ["FAILED"] }], summary: { byOwner: { x: 2, y: "no" } } });
    expect(impact.summary).toMatchObject({ total: 1, jobs: 1, datasets: 0, byOwner: { x: 2 } });
    expect(impact.items[0].problems).toEqual(["FAILED"]);
    expect(normalizeSearch({ items: [{ id: NODE, name: "orders" }] })).toEqual({
      items: [{ id: NODE, type: "DATASET", namespace: "", name: "orders", score: null }],
      totalCount: 1,
    });
    const job = normalizeDetails({ id: "job:a:b", inputs: [NODE], outputs: [], metadata: { owners: ["me"] }, latestRuns: [{ runId: "r", outputs: [{ name: "t", rowCount: 5 }] }] }, "JOB");
    expect(job.upstreamIds).toEqual([NODE]);
    expect(job.owners).toEqual(["me"]);
    expect(job.latestRuns[0].outputs[0]).toEqual({ namespace: "", name: "t", rowCount: 5, bytes: null, fileCount: null });
    const ds = normalizeDetails({ id: NODE, producers: ["job:a:b"], consumers: ["job:c:d"] }, "DATASET");
    expect([ds.upstreamIds, ds.downstreamIds]).toEqual([["job:a:b"], ["job:c:d"]]);
    const meta = normalizeMetadata({ owners: ["o"], sla: { latestArrival: "06:00" }, annotations: [{ text: "t" }] });
    expect(meta.sla).toEqual({ latestArrival: "06:00", maxAgeMinutes: null });
    expect(meta.annotations).toEqual([{ text: "t", author: null, createdAt: null }]);
    expect(normalizeMetadata({ sla: {} }).sla).toBeNull();
  });
});
