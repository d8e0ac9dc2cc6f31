/**
 * Shapes of the lineage endpoints (`graph`, `impact`, `search`, `jobs/<id>`,
 * `datasets/<id>`, `nodes/<id>/metadata`). Every string in here comes from
 * OpenLineage events or from people editing metadata: UNTRUSTED, render as
 * React text only (or escape it, see mermaid.ts / svg.ts).
 */
import type { Run, RunState } from "../types";

export type NodeType = "JOB" | "DATASET";
export type Direction = "upstream" | "downstream" | "both";
export type Level = "job" | "column";
export type Criticality = "low" | "medium" | "high" | "critical";

export const DIRECTIONS: readonly Direction[] = ["upstream", "downstream", "both"];
export const CRITICALITIES: readonly Criticality[] = ["critical", "high", "medium", "low"];
export const MIN_DEPTH = 1;
export const MAX_DEPTH = 20;

export interface GraphField {
  name: string;
  type: string | null;
}

export interface LatestRun {
  runId: string;
  state: RunState;
  startedAt: string | null;
  endedAt: string | null;
}

export interface Sla {
  latestArrival: string | null;
  maxAgeMinutes: number | null;
}

export interface GraphNode {
  id: string;
  type: NodeType;
  namespace: string;
  name: string;
  distance: number;
  /** Group (Airflow DAG / Spark application) this node belongs to, when its group is expanded. */
  parentId: string | null;
  isGroup: boolean;
  /** A group shown with its members (they carry `parentId` = this id). */
  expanded: boolean;
  childCount: number;
  aliases: string[];
  latestRun: LatestRun | null;
  rowsWritten: number | null;
  owners: string[];
  tags: string[];
  criticality: string | null;
  sla: Sla | null;
  fields: GraphField[];
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  sourceField: string | null;
  targetField: string | null;
  transformationType: string | null;
  transformationSubtype: string | null;
}

export interface LineageGraph {
  rootIds: string[];
  nodes: GraphNode[];
  edges: GraphEdge[];
  truncated: boolean;
}

export interface GraphQuery {
  /** Root node id; ignored when `dagId` is set. */
  nodeId?: string | null;
  /** Roots = every job of this Airflow DAG. */
  dagId?: string | null;
  direction: Direction;
  depth: number;
  level: Level;
  collapse: boolean;
  /** Group ids to show expanded although `collapse` is on. */
  expand: string[];
  asOf?: string | null;
  maxNodes?: number;
}

export type Problem = "FAILED" | "LATE" | "DQ_FAILED" | (string & {});

export interface ImpactItem {
  id: string;
  type: NodeType;
  namespace: string;
  name: string;
  distance: number;
  owners: string[];
  criticality: string | null;
  sla: Sla | null;
  lastRunState: RunState;
  lastRunAt: string | null;
  problems: Problem[];
}

export interface ImpactSummary {
  total: number;
  datasets: number;
  jobs: number;
  byOwner: Record<string, number>;
  byCriticality: Record<string, number>;
  slaBound: number;
  critical: number;
  culprits: string[];
}

export interface ImpactResponse {
  nodeId: string;
  direction: "downstream" | "upstream";
  items: ImpactItem[];
  summary: ImpactSummary;
}

export interface SearchItem {
  id: string;
  type: NodeType;
  namespace: string;
  name: string;
  score: number | null;
}

export interface SearchResponse {
  items: SearchItem[];
  totalCount: number;
}

export interface RunDataset {
  namespace: string;
  name: string;
  rowCount: number | null;
  bytes: number | null;
  fileCount: number | null;
}

export interface DetailRun extends Run {
  inputs: RunDataset[];
  outputs: RunDataset[];
}

export interface NodeDetails {
  id: string;
  type: NodeType;
  namespace: string;
  name: string;
  facets: Record<string, unknown>;
  description: string | null;
  owners: string[];
  tags: string[];
  aliases: string[];
  /** Job: input dataset ids; dataset: producer job ids. */
  upstreamIds: string[];
  /** Job: output dataset ids; dataset: consumer job ids. */
  downstreamIds: string[];
  jobType: string | null;
  integration: string | null;
  dagId: string | null;
  latestRuns: DetailRun[];
}

export interface Annotation {
  text: string;
  author: string | null;
  createdAt: string | null;
}

export interface NodeMetadata {
  nodeId: string;
  owners: string[];
  criticality: string | null;
  sla: Sla | null;
  tags: string[];
  annotations: Annotation[];
  updatedAt: string | null;
  updatedBy: string | null;
}

export interface SchemaField {
  name: string;
  type: string | null;
  description: string | null;
}
