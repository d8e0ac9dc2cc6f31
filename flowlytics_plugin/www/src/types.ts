/**
 * Shared types for the Flowlytics UI.
 *
 * The shapes mirror the JSON returned by the Flowlytics backend
 * (`GET flowlytics/api/v1/...`). Everything in here that originates from an
 * OpenLineage event (job names, namespaces, error messages) is UNTRUSTED and
 * must only ever be rendered as React text.
 */

/** Props the Airflow UI host passes to a `react_apps` component. All optional. */
export interface PluginProps {
  dagId?: string;
  runId?: string;
  taskId?: string;
  mapIndex?: string | number;
}

export const RUN_STATES = ["RUNNING", "COMPLETED", "FAILED", "ABORTED"] as const;

export type KnownRunState = (typeof RUN_STATES)[number];

/** Known states, `null` (no terminal/start event seen) or anything newer the server may send. */
export type RunState = KnownRunState | (string & {}) | null;

export interface JobRef {
  namespace: string;
  name: string;
}

export interface Run {
  runId: string;
  state: RunState;
  job: JobRef;
  startedAt: string | null;
  endedAt: string | null;
  durationSeconds: number | null;
  parentRunId: string | null;
  rootRunId: string | null;
  errorMessage: string | null;
}

export interface Page<T> {
  items: T[];
  totalCount: number;
}

export type RunsResponse = Page<Run>;
