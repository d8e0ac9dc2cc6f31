import { useCallback } from "react";
import { fetchNodeDetails, fetchTaskJobIds } from "../api/lineage";
import { ApiError } from "../api/client";
import { StateBadge } from "../components/StateBadge";
import * as s from "../components/styles";
import { formatTimestamp } from "../lib/format";
import { usePolledQuery } from "../lib/usePolledQuery";
import { formatCount } from "../lineage/graph";
import { ioRows, type IoRow } from "../lineage/taskIo";
import { lineagePageHref } from "../lineage/urlState";
import type { NodeDetails } from "../lineage/types";
import type { PluginProps } from "../types";

export const TASK_IO_REFRESH_MS = 15_000;

function formatBytes(n: number | null): string {
  if (n === null) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

/** The task tab: the task's input and output datasets with their last row counts. */
export function TaskIoPage({ dagId, taskId }: PluginProps) {
  const load = useCallback(
    async (signal: AbortSignal): Promise<NodeDetails[]> => {
      if (!dagId || !taskId) return [];
      const ids = await fetchTaskJobIds(dagId, taskId, signal);
      return Promise.all(ids.map((id) => fetchNodeDetails(id, "JOB", signal)));
    },
    [dagId, taskId],
  );
  const query = usePolledQuery(load, `${dagId ?? ""}|${taskId ?? ""}`, TASK_IO_REFRESH_MS);
  const jobs = query.data;

  return (
    <div data-testid="flowlytics-task-io" style={s.page}>
      <h2 style={s.title}>Inputs &amp; outputs</h2>
      {!dagId || !taskId ? (
        <div data-testid="flowlytics-empty" data-reason="no-task" style={s.notice}>
          Open this tab from a task's page.
        </div>
      ) : null}
      {query.error ? (
        <div data-testid="flowlytics-error" role="alert" style={s.errorBox}>
          <strong>Could not load the task's lineage</strong>
          {query.error instanceof ApiError ? ` (HTTP ${query.error.status})` : ""}: {query.error.message}
        </div>
      ) : null}
      {!jobs && query.loading ? (
        <div data-testid="flowlytics-loading" style={{ ...s.notice, ...s.muted }}>
          Loading…
        </div>
      ) : null}
      {jobs && jobs.length === 0 && dagId && taskId ? (
        <div data-testid="flowlytics-empty" data-reason="no-job" style={s.notice}>
          Flowlytics has not received OpenLineage events for task <code style={s.code}>{taskId}</code> of DAG{" "}
          <code style={s.code}>{dagId}</code> yet.
        </div>
      ) : null}
      {(jobs ?? []).map((job) => (
        <JobIo key={job.id} job={job} multiple={(jobs?.length ?? 0) > 1} />
      ))}
    </div>
  );
}

function JobIo({ job, multiple }: { job: NodeDetails; multiple: boolean }) {
  const rows = ioRows(job);
  const latest = job.latestRuns[0];
  return (
    <section style={{ marginBottom: "18px" }} data-testid="flowlytics-task-job" data-node-id={job.id}>
      <div style={{ display: "flex", alignItems: "center", gap: "10px", marginBottom: "8px", flexWrap: "wrap" }}>
        {multiple ? <strong style={{ wordBreak: "break-all" }}>{job.name}</strong> : null}
        <span style={s.muted}>Job</span>
        <code style={s.code}>{job.name}</code>
        {latest ? (
          <>
            <span style={s.muted}>latest run</span>
            <StateBadge state={latest.state} />
            <span style={s.muted}>{formatTimestamp(latest.startedAt)}</span>
          </>
        ) : null}
        <a href={lineagePageHref(job.id)} data-testid="flowlytics-job-lineage-link">
          Lineage of this task
        </a>
      </div>
      {rows.length === 0 ? (
        <div data-testid="flowlytics-empty" data-reason="no-io" style={s.notice}>
          This task reported no input or output datasets.
        </div>
      ) : (
        <div style={s.tableWrap}>
          <table style={s.table} data-testid="flowlytics-io-table">
            <thead>
              <tr>
                <th style={s.th}>Direction</th>
                <th style={s.th}>Dataset</th>
                <th style={{ ...s.th, textAlign: "right" }}>Rows (last run)</th>
                <th style={{ ...s.th, textAlign: "right" }}>Size</th>
                <th style={s.th}>From run</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row, i) => (
                <IoRowView key={`${row.direction}:${row.id}:${i}`} row={row} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function IoRowView({ row }: { row: IoRow }) {
  return (
    <tr data-testid="flowlytics-io-row" data-direction={row.direction} data-node-id={row.id}>
      <td style={s.tdNowrap}>{row.direction === "input" ? "⟵ input" : "output ⟶"}</td>
      <td style={s.td}>
        <a href={lineagePageHref(row.id)} data-testid="flowlytics-io-link" style={{ ...s.jobName, color: "inherit" }}>
          {row.name}
        </a>
        <div style={s.namespace}>{row.namespace}</div>
      </td>
      <td style={{ ...s.tdNowrap, textAlign: "right" }} data-testid="flowlytics-io-rows">
        {formatCount(row.rowCount)}
      </td>
      <td style={{ ...s.tdNowrap, textAlign: "right" }}>
        {formatBytes(row.bytes)}
        {row.fileCount !== null ? ` · ${row.fileCount} files` : ""}
      </td>
      <td style={s.td}>
        {row.run ? (
          <>
            <StateBadge state={row.run.state} /> <span style={s.muted}>{formatTimestamp(row.run.startedAt)}</span>
          </>
        ) : (
          <span style={s.muted}>not in a reported run</span>
        )}
      </td>
    </tr>
  );
}
