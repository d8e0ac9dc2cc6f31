/**
 * Pure graph helpers for the lineage views: merging neighbourhoods, colours,
 * labels. No React, no DOM (unit-tested with Vitest).
 */
import { STATE_STYLES, UNKNOWN_STATE_STYLE } from "../lib/state";
import type { RunState } from "../types";
import type { GraphEdge, GraphNode, LineageGraph } from "./types";

export const EMPTY_GRAPH: LineageGraph = Object.freeze({ rootIds: [], nodes: [], edges: [], truncated: false }) as LineageGraph;

/** Identity of an edge for de-duplication (ids may differ between responses for the same edge). */
export function edgeKey(edge: Pick<GraphEdge, "source" | "target" | "sourceField" | "targetField">): string {
  return [edge.source, edge.target, edge.sourceField ?? "", edge.targetField ?? ""].join("\u0000");
}

/**
 * Union of `base` and `extras` (neighbourhoods fetched by "expand"): nodes by
 * id, edges by (source, target, fields). For a node present in several graphs
 * the first one wins, except that the smallest distance is kept. Edges whose
 * ends are not both in the result are dropped. `rootIds` are the base's.
 */
export function mergeGraphs(base: LineageGraph, ...extras: LineageGraph[]): LineageGraph {
  if (extras.length === 0) return pruneDanglingEdges(base);
  const nodes = new Map<string, GraphNode>();
  const edges = new Map<string, GraphEdge>();
  let truncated = base.truncated;
  for (const graph of [base, ...extras]) {
    truncated = truncated || graph.truncated;
    for (const node of graph.nodes) {
      const known = nodes.get(node.id);
      if (!known) nodes.set(node.id, node);
      else if (node.distance < known.distance) nodes.set(node.id, { ...known, distance: node.distance });
    }
    for (const edge of graph.edges) {
      const key = edgeKey(edge);
      if (!edges.has(key)) edges.set(key, edge);
    }
  }
  return pruneDanglingEdges({ rootIds: base.rootIds, nodes: [...nodes.values()], edges: [...edges.values()], truncated });
}

/** Drops edges that reference a node missing from the graph (and duplicate edge ids). */
export function pruneDanglingEdges(graph: LineageGraph): LineageGraph {
  const ids = new Set(graph.nodes.map((n) => n.id));
  const seen = new Set<string>();
  let changed = false;
  const edges = graph.edges.filter((e) => {
    const ok = ids.has(e.source) && ids.has(e.target) && !seen.has(e.id);
    if (ok) seen.add(e.id);
    else changed = true;
    return ok;
  });
  return changed ? { ...graph, edges } : graph;
}

/** A short, stable fingerprint of the graph's structure (what the layout depends on). */
export function structureKey(graph: LineageGraph, level: string): string {
  const nodes = graph.nodes
    .map((n) => `${n.id}\u0001${n.isGroup ? 1 : 0}\u0001${level === "column" ? n.fields.map((f) => f.name).join("\u0002") : ""}`)
    .sort();
  const edges = graph.edges.map(edgeKey).sort();
  return hashString(`${level}\u0003${nodes.join("\u0003")}\u0004${edges.join("\u0003")}`);
}

/** FNV-1a 32-bit, as hex (enough to notice a change; not a security hash). */
export function hashString(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

export interface NodeColours {
  /** Border / accent: the run-state colour. */
  accent: string;
  /** Label of the state ("FAILED", or "NO RUN"). */
  label: string;
}

/**
 * Node colour by the last run state: RUNNING blue, COMPLETED green, FAILED
 * red, ABORTED orange, anything else (no run yet, unknown) grey.
 */
export function stateAccent(state: RunState | undefined): NodeColours {
  const upper = typeof state === "string" ? state.toUpperCase() : "";
  if (upper in STATE_STYLES) {
    return { accent: STATE_STYLES[upper as keyof typeof STATE_STYLES].background, label: upper };
  }
  return { accent: UNKNOWN_STATE_STYLE.background, label: upper || "NO RUN" };
}

export function nodeColours(node: Pick<GraphNode, "latestRun">): NodeColours {
  return stateAccent(node.latestRun?.state ?? null);
}

/** Text shown as the node's title. */
export function nodeLabel(node: Pick<GraphNode, "name" | "id">): string {
  return node.name || node.id;
}

/**
 * A short label for a node on the graph (the full name stays in its tooltip
 * and in the side panel): a task of a shown DAG group without the `dag_id.`
 * prefix, and a path-like dataset name by its last two segments
 * (`/data/warehouse/orders.csv` → `warehouse/orders.csv`).
 */
export function shortLabel(node: Pick<GraphNode, "name" | "id" | "type">, groupName?: string | null): string {
  const name = node.name || node.id;
  if (groupName && name.startsWith(`${groupName}.`) && name.length > groupName.length + 1) {
    return name.slice(groupName.length + 1);
  }
  if (node.type === "DATASET" && name.includes("/")) {
    const parts = name.split("/").filter((p) => p !== "");
    if (parts.length > 2) return parts.slice(-2).join("/");
  }
  return name;
}

/** Label of a column-level edge: "DIRECT/IDENTITY", "INDIRECT/FILTER", … (empty when unknown). */
export function transformationLabel(edge: Pick<GraphEdge, "transformationType" | "transformationSubtype">): string {
  return [edge.transformationType, edge.transformationSubtype].filter((x) => x && x.trim() !== "").join("/");
}

/** "job" or "dataset" from a typed node id. */
export function nodeTypeFromId(id: string): "JOB" | "DATASET" | null {
  if (id.startsWith("job:")) return "JOB";
  if (id.startsWith("dataset:")) return "DATASET";
  return null;
}

/** The group ids currently present as expanded parents (children carry `parentId`). */
export function expandedGroupIds(graph: LineageGraph): string[] {
  const ids = new Set<string>();
  for (const n of graph.nodes) if (n.parentId) ids.add(n.parentId);
  return [...ids].sort();
}

/**
 * The group nodes of one Airflow DAG: every collapsed group named `dagId`. More than one when the DAG's
 * jobs came from several OpenLineage namespaces (two Airflow deployments with the same DAG id, a renamed
 * namespace): the DAG tab opens them all, not just the first.
 */
export function dagGroupIds(graph: LineageGraph, dagId: string | null | undefined): string[] {
  if (!dagId) return [];
  return graph.nodes.filter((n) => n.isGroup && n.name === dagId).map((n) => n.id);
}

/** Formats an integer row count with thousands separators (`1,234,567`); "—" when unknown. */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  const negative = n < 0;
  const digits = String(Math.round(Math.abs(n)));
  // Plain string work: toLocaleString builds a formatter per call (70 ms for 500 nodes).
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return negative ? `-${grouped}` : grouped;
}

/** Human-readable SLA. */
export function formatSla(sla: { latestArrival: string | null; maxAgeMinutes: number | null } | null): string {
  if (!sla) return "";
  const parts: string[] = [];
  if (sla.latestArrival) parts.push(`by ${sla.latestArrival}`);
  if (sla.maxAgeMinutes !== null) parts.push(`max age ${sla.maxAgeMinutes} min`);
  return parts.join(", ");
}
