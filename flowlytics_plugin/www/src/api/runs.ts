import type { RunsResponse } from "../types";
import { getJson } from "./client";

export interface RunsQuery {
  limit: number;
  offset: number;
  /** Filter on run state (e.g. "FAILED"); omitted when empty. */
  state?: string;
  /** Filter on a job node id (server-side). */
  jobNodeId?: string;
  /** ISO timestamp: only runs started at/after this time. */
  since?: string;
}

/** `GET flowlytics/api/v1/runs` */
export function fetchRuns(query: RunsQuery, signal?: AbortSignal): Promise<RunsResponse> {
  return getJson<RunsResponse>(
    "runs",
    {
      limit: query.limit,
      offset: query.offset,
      state: query.state,
      jobNodeId: query.jobNodeId,
      since: query.since,
    },
    signal,
  ).then(normalizeRunsResponse);
}

/** Defensive normalisation so a slightly-off payload never crashes rendering. */
export function normalizeRunsResponse(raw: unknown): RunsResponse {
  const obj = (raw && typeof raw === "object" ? raw : {}) as Partial<RunsResponse>;
  const items = Array.isArray(obj.items) ? obj.items : [];
  const totalCount =
    typeof obj.totalCount === "number" && Number.isFinite(obj.totalCount) ? obj.totalCount : items.length;
  return {
    items: items.map((r) => ({
      runId: String(r?.runId ?? ""),
      state: r?.state == null ? null : String(r.state),
      job: {
        namespace: String(r?.job?.namespace ?? ""),
        name: String(r?.job?.name ?? ""),
      },
      startedAt: r?.startedAt ?? null,
      endedAt: r?.endedAt ?? null,
      durationSeconds: typeof r?.durationSeconds === "number" ? r.durationSeconds : null,
      parentRunId: r?.parentRunId ?? null,
      rootRunId: r?.rootRunId ?? null,
      errorMessage: r?.errorMessage == null ? null : String(r.errorMessage),
    })),
    totalCount,
  };
}
