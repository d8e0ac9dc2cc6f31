/**
 * The UI's types checked against the API's contract at compile time (`npm run typecheck`, run by the build and
 * the tests). `openapi.d.ts` is generated from the API's OpenAPI document (`npm run gen:api`), which a pytest
 * keeps equal to the Python response models; this file then fails to compile when a type the UI reads names a
 * field the API does not send, or expects a type the API does not promise.
 */
import type { AlertAccess, Channel, Incident, Rule, TimelineEntry } from "./alerts";
import type {
  BudgetUse,
  CostOverview,
  CriticalPath,
  CriticalPathStep,
  DagVersion,
  ErrorCategory,
  ExecutionPoint,
  ExecutionSeries,
  ExecutionSummary,
  ExecutionsResponse,
  RankingItem,
  StepTiming,
  StepTimings,
} from "./analytics";
import type { components } from "./openapi";
import type { Draft, DraftIssue, SavedDraft, SavedDraftList, SavedDraftSummary, TestEvent } from "./workflows";
import type {
  AnomalyMark,
  Baseline,
  Batch,
  BatchList,
  BatchSummary,
  DqAssertion,
  DqSummary,
  Process,
  ProcessPage,
  TrendPoint,
  Trends,
} from "../batch/types";
import type {
  GraphEdge,
  GraphNode,
  ImpactItem,
  ImpactResponse,
  ImpactSummary,
  LineageGraph,
  NodeMetadata,
  SearchItem,
  SearchResponse,
} from "../lineage/types";
import type { JobRef, Run } from "../types";

type Schema = components["schemas"];

/**
 * `true` when every field of `Ui` exists in `Api` and what the API sends fits what the UI expects; otherwise a
 * type that names the offending fields, which the compiler prints in its error.
 */
type Mirrors<Ui, Api> = [Exclude<keyof Ui, keyof Api>] extends [never]
  ? [Api] extends [Ui]
    ? true
    : { apiDoesNotFitUi: { [K in keyof Ui & keyof Api as [Api[K]] extends [Ui[K]] ? never : K]: [Api[K], Ui[K]] } }
  : { fieldsTheApiDoesNotSend: Exclude<keyof Ui, keyof Api> };

type Holds<T extends true> = T;

export type ContractChecks = [
  Holds<Mirrors<Incident, Schema["IncidentResponse"]>>,
  Holds<Mirrors<TimelineEntry, Schema["TimelineEntry"]>>,
  Holds<Mirrors<Rule, Schema["RuleResponse"]>>,
  Holds<Mirrors<Channel, Schema["ChannelResponse"]>>,
  Holds<Mirrors<AlertAccess, Schema["AlertAccessResponse"]>>,
  Holds<Mirrors<ExecutionPoint, Schema["ExecutionPoint"]>>,
  Holds<Mirrors<ExecutionSeries, Schema["ExecutionSeries"]>>,
  Holds<Mirrors<ExecutionsResponse, Schema["ExecutionsResponse"]>>,
  Holds<Mirrors<ExecutionSummary, Schema["ExecutionSummaryResponse"]>>,
  Holds<Mirrors<ErrorCategory, Schema["ErrorCategoryResponse"]>>,
  Holds<Mirrors<StepTiming, Schema["StepTimingResponse"]>>,
  Holds<Mirrors<StepTimings, Schema["StepTimingCollectionResponse"]>>,
  Holds<Mirrors<DagVersion, Schema["DagVersionResponse"]>>,
  Holds<Mirrors<RankingItem, Schema["RankingItem"]>>,
  Holds<Mirrors<BudgetUse, Schema["BudgetUse"]>>,
  Holds<Mirrors<CostOverview, Schema["CostOverviewResponse"]>>,
  Holds<Mirrors<CriticalPath, Schema["CriticalPathResponse"]>>,
  Holds<Mirrors<CriticalPathStep, Schema["CriticalPathStep"]>>,
  Holds<Mirrors<DraftIssue, Schema["IssueResponse"]>>,
  Holds<Mirrors<TestEvent, Schema["TestEventResponse"]>>,
  Holds<Mirrors<Draft, Schema["DraftResponse"]>>,
  Holds<Mirrors<SavedDraftSummary, Schema["SavedDraftSummaryResponse"]>>,
  Holds<Mirrors<SavedDraft, Schema["SavedDraftResponse"]>>,
  Holds<Mirrors<SavedDraftList, Schema["SavedDraftCollectionResponse"]>>,
  Holds<Mirrors<BatchSummary, Schema["BatchSummaryResponse"]>>,
  Holds<Mirrors<Batch, Schema["BatchResponse"]>>,
  Holds<Mirrors<BatchList, Schema["BatchCollectionResponse"]>>,
  Holds<Mirrors<Process, Schema["ProcessResponse"]>>,
  Holds<Mirrors<ProcessPage, Schema["ProcessCollectionResponse"]>>,
  Holds<Mirrors<DqAssertion, Schema["DqAssertionResponse"]>>,
  Holds<Mirrors<DqSummary, Schema["DqResponse"]>>,
  Holds<Mirrors<TrendPoint, Schema["TrendPoint"]>>,
  Holds<Mirrors<Trends, Schema["TrendResponse"]>>,
  Holds<Mirrors<AnomalyMark, Schema["AnomalyMark"]>>,
  Holds<Mirrors<Baseline, Schema["BaselineResponse"]>>,
  Holds<Mirrors<GraphNode, Schema["GraphNodeResponse"]>>,
  Holds<Mirrors<GraphEdge, Schema["GraphEdgeResponse"]>>,
  Holds<Mirrors<LineageGraph, Schema["GraphResponse"]>>,
  Holds<Mirrors<ImpactItem, Schema["ImpactItem"]>>,
  Holds<Mirrors<ImpactSummary, Schema["ImpactSummary"]>>,
  Holds<Mirrors<ImpactResponse, Schema["ImpactResponse"]>>,
  Holds<Mirrors<SearchItem, Schema["SearchItem"]>>,
  Holds<Mirrors<SearchResponse, Schema["SearchResponse"]>>,
  Holds<Mirrors<NodeMetadata, Schema["NodeMetadataDetailResponse"]>>,
  Holds<Mirrors<JobRef, Schema["JobRef"]>>,
  Holds<Mirrors<Run, Schema["RunResponse"]>>,
];
