/**
 * Client for the lineage endpoints. Every response goes through a defensive
 * normaliser so that a slightly-off payload (missing field, wrong type) never
 * crashes rendering; node ids are URL-encoded whole in paths (they hold ':'
 * and '/').
 */
import type { Run } from "../types";
import { getJson } from "./client";
import { arr, num, obj, str, strOrNull, strings } from "./coerce";
import type {
  Annotation,
  DetailRun,
  GraphEdge,
  GraphField,
  GraphNode,
  GraphQuery,
  ImpactItem,
  ImpactResponse,
  ImpactSummary,
  LatestRun,
  LineageGraph,
  NodeDetails,
  NodeMetadata,
  NodeType,
  RunDataset,
  SearchItem,
  SearchResponse,
  Sla,
} from "../lineage/types";

const nodeType = (v: unknown, id = ""): NodeType =>
  String(v ?? "").toUpperCase() === "DATASET" || (!v && id.startsWith("dataset:")) ? "DATASET" : "JOB";

export function normalizeSla(raw: unknown): Sla | null {
  if (!raw || typeof raw !== "object") return null;
  const o = obj(raw);
  const sla = { latestArrival: strOrNull(o.latestArrival), maxAgeMinutes: num(o.maxAgeMinutes) };
  return sla.latestArrival === null && sla.maxAgeMinutes === null ? null : sla;
}

function normalizeLatestRun(raw: unknown): LatestRun | null {
  if (!raw || typeof raw !== "object") return null;
  const o = obj(raw);
  return {
    runId: str(o.runId),
    state: strOrNull(o.state),
    startedAt: strOrNull(o.startedAt),
    endedAt: strOrNull(o.endedAt),
  };
}

function normalizeField(raw: unknown): GraphField | null {
  const o = obj(raw);
  if (o.name === undefined || o.name === null) return null;
  return { name: String(o.name), type: strOrNull(o.type) };
}

export function normalizeNode(raw: unknown): GraphNode | null {
  const o = obj(raw);
  const id = str(o.id);
  if (!id) return null;
  return {
    id,
    type: nodeType(o.type, id),
    namespace: str(o.namespace),
    name: str(o.name, id),
    distance: num(o.distance) ?? 0,
    parentId: strOrNull(o.parentId),
    isGroup: o.isGroup === true,
    expanded: o.expanded === true,
    childCount: num(o.childCount) ?? 0,
    aliases: strings(o.aliases),
    latestRun: normalizeLatestRun(o.latestRun),
    rowsWritten: num(o.rowsWritten),
    owners: strings(o.owners),
    tags: strings(o.tags),
    criticality: strOrNull(o.criticality),
    sla: normalizeSla(o.sla),
    fields: arr(o.fields)
      .map(normalizeField)
      .filter((f): f is GraphField => f !== null),
  };
}

export function normalizeEdge(raw: unknown): GraphEdge | null {
  const o = obj(raw);
  const source = str(o.source);
  const target = str(o.target);
  if (!source || !target) return null;
  const sourceField = strOrNull(o.sourceField);
  const targetField = strOrNull(o.targetField);
  return {
    id: str(o.id) || [source, target, sourceField ?? "", targetField ?? ""].join("\u0000"),
    source,
    target,
    sourceField,
    targetField,
    transformationType: strOrNull(o.transformationType),
    transformationSubtype: strOrNull(o.transformationSubtype),
  };
}

export function normalizeGraph(raw: unknown): LineageGraph {
  const o = obj(raw);
  return {
    rootIds: strings(o.rootIds),
    nodes: arr(o.nodes)
      .map(normalizeNode)
      .filter((n): n is GraphNode => n !== null),
    edges: arr(o.edges)
      .map(normalizeEdge)
      .filter((e): e is GraphEdge => e !== null),
    truncated: o.truncated === true,
  };
}

/** Query parameters of `GET graph` (exported for tests). */
export function graphParams(q: GraphQuery): Record<string, string | number | readonly string[] | undefined> {
  return {
    ...(q.dagId ? { dagId: q.dagId } : { nodeId: q.nodeId ?? undefined }),
    direction: q.direction,
    depth: q.depth,
    level: q.level,
    collapse: q.collapse ? "true" : "false",
    expand: q.expand.length > 0 ? [...q.expand].sort() : undefined,
    asOf: q.asOf ?? undefined,
    maxNodes: q.maxNodes,
  };
}

/** `GET graph?nodeId=…` or `GET graph?dagId=…` */
export function fetchGraph(q: GraphQuery, signal?: AbortSignal): Promise<LineageGraph> {
  return getJson<unknown>("graph", graphParams(q), signal).then(normalizeGraph);
}

/** `GET graph/version`: an opaque token that changes whenever new lineage arrives. */
export function fetchGraphVersion(signal?: AbortSignal): Promise<string> {
  return getJson<unknown>("graph/version", {}, signal).then((raw) => str(obj(raw).version));
}

function normalizeImpactItem(raw: unknown): ImpactItem | null {
  const o = obj(raw);
  const id = str(o.id);
  if (!id) return null;
  return {
    id,
    type: nodeType(o.type, id),
    namespace: str(o.namespace),
    name: str(o.name, id),
    distance: num(o.distance) ?? 0,
    owners: strings(o.owners),
    criticality: strOrNull(o.criticality),
    sla: normalizeSla(o.sla),
    lastRunState: strOrNull(o.lastRunState),
    lastRunAt: strOrNull(o.lastRunAt),
    problems: strings(o.problems),
  };
}

function counts(raw: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(obj(raw))) {
    const n = num(v);
    if (n !== null) out[k] = n;
  }
  return out;
}

export function normalizeImpact(raw: unknown): ImpactResponse {
  const o = obj(raw);
  const items = arr(o.items)
    .map(normalizeImpactItem)
    .filter((i): i is ImpactItem => i !== null);
  const s = obj(o.summary);
  const summary: ImpactSummary = {
    total: num(s.total) ?? items.length,
    datasets: num(s.datasets) ?? items.filter((i) => i.type === "DATASET").length,
    jobs: num(s.jobs) ?? items.filter((i) => i.type === "JOB").length,
    byOwner: counts(s.byOwner),
    byCriticality: counts(s.byCriticality),
    slaBound: num(s.slaBound) ?? 0,
    critical: num(s.critical) ?? 0,
    culprits: strings(s.culprits),
  };
  return {
    nodeId: str(o.nodeId),
    direction: o.direction === "upstream" ? "upstream" : "downstream",
    items,
    summary,
  };
}

/** `GET impact?nodeId=…&direction=…` (depth omitted = the server's default, unbounded; `limit`: only the
 * first items, the summary still counts them all). */
export function fetchImpact(
  nodeId: string,
  direction: "downstream" | "upstream",
  depth?: number,
  signal?: AbortSignal,
  limit?: number,
): Promise<ImpactResponse> {
  return getJson<unknown>("impact", { nodeId, direction, depth, limit }, signal).then(normalizeImpact);
}

export function normalizeSearch(raw: unknown): SearchResponse {
  const o = obj(raw);
  const items = arr(o.items)
    .map((r): SearchItem | null => {
      const i = obj(r);
      const id = str(i.id);
      if (!id) return null;
      return { id, type: nodeType(i.type, id), namespace: str(i.namespace), name: str(i.name, id), score: num(i.score) };
    })
    .filter((i): i is SearchItem => i !== null);
  return { items, totalCount: num(o.totalCount) ?? items.length };
}

/** `GET search?q=…&type=job|dataset&limit=…` */
export function searchNodes(
  q: string,
  type: "" | "job" | "dataset",
  limit: number,
  signal?: AbortSignal,
): Promise<SearchResponse> {
  return getJson<unknown>("search", { q, type: type || undefined, limit }, signal).then(normalizeSearch);
}

function normalizeRunDataset(raw: unknown): RunDataset {
  const o = obj(raw);
  return {
    namespace: str(o.namespace),
    name: str(o.name),
    rowCount: num(o.rowCount),
    bytes: num(o.bytes),
    fileCount: num(o.fileCount),
  };
}

export function normalizeDetailRun(raw: unknown): DetailRun {
  const r = obj(raw);
  const job = obj(r.job);
  const base: Run = {
    runId: str(r.runId),
    state: strOrNull(r.state),
    job: { namespace: str(job.namespace), name: str(job.name) },
    startedAt: strOrNull(r.startedAt),
    endedAt: strOrNull(r.endedAt),
    durationSeconds: num(r.durationSeconds),
    parentRunId: strOrNull(r.parentRunId),
    rootRunId: strOrNull(r.rootRunId),
    errorMessage: strOrNull(r.errorMessage),
  };
  return { ...base, inputs: arr(r.inputs).map(normalizeRunDataset), outputs: arr(r.outputs).map(normalizeRunDataset) };
}

export function normalizeDetails(raw: unknown, type: NodeType): NodeDetails {
  const o = obj(raw);
  const metadata = obj(o.metadata);
  const id = str(o.id);
  return {
    id,
    type,
    namespace: str(o.namespace),
    name: str(o.name, id),
    facets: obj(o.facets),
    description: strOrNull(metadata.description),
    owners: strings(metadata.owners),
    tags: strings(metadata.tags),
    aliases: strings(o.aliases),
    upstreamIds: strings(type === "JOB" ? o.inputs : o.producers),
    downstreamIds: strings(type === "JOB" ? o.outputs : o.consumers),
    jobType: strOrNull(o.jobType),
    integration: strOrNull(o.integration),
    dagId: strOrNull(o.dagId),
    latestRuns: arr(o.latestRuns).map(normalizeDetailRun),
  };
}

/** `GET jobs/<id>` or `GET datasets/<id>` depending on the node type. */
export function fetchNodeDetails(id: string, type: NodeType, signal?: AbortSignal): Promise<NodeDetails> {
  const collection = type === "DATASET" ? "datasets" : "jobs";
  return getJson<unknown>(`${collection}/${encodeURIComponent(id)}`, {}, signal).then((raw) =>
    normalizeDetails(raw, type),
  );
}

export function normalizeMetadata(raw: unknown): NodeMetadata {
  const o = obj(raw);
  return {
    nodeId: str(o.nodeId),
    owners: strings(o.owners),
    criticality: strOrNull(o.criticality),
    sla: normalizeSla(o.sla),
    tags: strings(o.tags),
    annotations: arr(o.annotations).map((a): Annotation => {
      const x = obj(a);
      return { text: str(x.text), author: strOrNull(x.author), createdAt: strOrNull(x.createdAt) };
    }),
    updatedAt: strOrNull(o.updatedAt),
    updatedBy: strOrNull(o.updatedBy),
  };
}

/** `GET nodes/<id>/metadata` */
export function fetchNodeMetadata(id: string, signal?: AbortSignal): Promise<NodeMetadata> {
  return getJson<unknown>(`nodes/${encodeURIComponent(id)}/metadata`, {}, signal).then(normalizeMetadata);
}

/** `GET jobs?dagId=…&taskId=…`: ids of the job(s) of one Airflow task. */
export function fetchTaskJobIds(dagId: string, taskId: string, signal?: AbortSignal): Promise<string[]> {
  return getJson<unknown>("jobs", { dagId, taskId, limit: 20 }, signal).then((raw) =>
    arr(obj(raw).items)
      .map((i) => str(obj(i).id))
      .filter((id) => id !== ""),
  );
}
