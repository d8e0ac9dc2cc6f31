import type { Run } from "../types";
import { EMPTY, elapsedSeconds, formatDuration, formatTimestamp, runDurationSeconds, truncate } from "../lib/format";
import { stateLabel } from "../lib/state";
import { StateBadge } from "./StateBadge";
import * as s from "./styles";

export const ERROR_PREVIEW_CHARS = 80;

export interface RunsTableProps {
  runs: Run[];
  /** Reference time for "running for" durations; injected for testability. */
  now: number;
  /** Dim the rows while a newer result is loading. */
  stale?: boolean;
}

/**
 * Presentational table of runs. All run fields are untrusted (they come from
 * OpenLineage events) and are rendered exclusively as React text/attributes.
 */
export function RunsTable({ runs, now, stale = false }: RunsTableProps) {
  return (
    <div style={s.tableWrap}>
      <table data-testid="flowlytics-runs-table" style={{ ...s.table, opacity: stale ? 0.6 : 1 }}>
        <thead>
          <tr>
            <th style={s.th}>Job</th>
            <th style={s.th}>State</th>
            <th style={s.th}>Started</th>
            <th style={s.th}>Ended</th>
            <th style={s.th}>Duration</th>
            <th style={s.th}>Error</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run, index) => (
            <RunRow key={run.runId ? `${run.runId}:${index}` : `row-${index}`} run={run} now={now} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RunRow({ run, now }: { run: Run; now: number }) {
  const duration = runDurationSeconds(run);
  const running = stateLabel(run.state) === "RUNNING";
  const elapsed = duration === null && running ? elapsedSeconds(run.startedAt, now) : null;
  return (
    <tr data-testid="flowlytics-run-row" data-state={stateLabel(run.state)} data-run-id={run.runId}>
      <td style={s.td} title={`Run ${run.runId}`}>
        <div style={s.jobName}>{run.job.name || EMPTY}</div>
        <div style={s.namespace}>{run.job.namespace}</div>
      </td>
      <td style={s.td}>
        <StateBadge state={run.state} />
      </td>
      <td style={s.tdNowrap} title={run.startedAt ?? undefined}>
        {formatTimestamp(run.startedAt)}
      </td>
      <td style={s.tdNowrap} title={run.endedAt ?? undefined}>
        {formatTimestamp(run.endedAt)}
      </td>
      <td style={s.tdNowrap} title={elapsed !== null ? "Still running: time elapsed so far" : undefined}>
        {elapsed !== null ? <span style={s.muted}>{formatDuration(elapsed)}…</span> : formatDuration(duration)}
      </td>
      <td style={{ ...s.td, maxWidth: "420px" }} title={run.errorMessage ?? undefined}>
        {run.errorMessage ? truncate(run.errorMessage, ERROR_PREVIEW_CHARS) : ""}
      </td>
    </tr>
  );
}
