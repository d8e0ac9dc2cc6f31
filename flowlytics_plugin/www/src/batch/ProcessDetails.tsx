import { useCallback, type CSSProperties, type ReactNode } from "react";
import { fetchDatasetFacets, fetchJobRuns, fetchRunDetail } from "../api/batches";
import { ApiError } from "../api/client";
import { ErrorLine } from "../components/ErrorLine";
import { StateBadge } from "../components/StateBadge";
import * as s from "../components/styles";
import { EMPTY, formatDuration, formatTimestamp, runDurationSeconds } from "../lib/format";
import { usePolledQuery } from "../lib/usePolledQuery";
import { useRefreshOnChange } from "../lib/useLiveVersion";
import { facetJson, facetNames } from "../lineage/details";
import { lineagePageHref } from "../lineage/urlState";
import type { DetailRun, RunDataset } from "../lineage/types";
import { BaselineChart } from "./BaselineChart";
import { columnLineageRows, formatRows, rewriteLogUrl, sumKnown } from "./format";
import type { ColumnLineageRow, Process, RunDetail } from "./types";

/** Previous runs of the same job shown for comparison. */
export const PREVIOUS_RUNS = 10;
/** Output datasets whose column lineage is fetched. */
const COLUMN_LINEAGE_DATASETS = 5;

const grid: CSSProperties = {
  display: "grid",
  gridTemplateColumns: "repeat(auto-fit, minmax(380px, 1fr))",
  gap: "4px 24px",
  alignItems: "start",
};
const h4: CSSProperties = {
  fontSize: "12px",
  fontWeight: 700,
  margin: "12px 0 4px 0",
  textTransform: "uppercase",
  letterSpacing: "0.04em",
  opacity: 0.75,
};
const pre: CSSProperties = {
  ...s.code,
  display: "block",
  whiteSpace: "pre-wrap",
  wordBreak: "break-word",
  maxHeight: "280px",
  overflow: "auto",
  padding: "6px 8px",
  margin: "4px 0",
};
const smallTable: CSSProperties = { ...s.table, fontSize: "12px" };
const numCell: CSSProperties = { ...s.tdNowrap, textAlign: "right" };

function Section({ title, testId, children }: { title: string; testId?: string; children: ReactNode }) {
  return (
    <section data-testid={testId} style={{ minWidth: 0 }}>
      <h4 style={h4}>{title}</h4>
      {children}
    </section>
  );
}

function datasetId(d: Pick<RunDataset, "namespace" | "name">): string {
  return `dataset:${d.namespace}:${d.name}`;
}

/**
 * The drill-down of one process: error and stack trace, SQL, inputs and
 * outputs with statistics, column lineage of the outputs, the job's previous
 * runs, every run facet, and a link to the task's log in Airflow.
 */
export function ProcessDetails({ process, refreshToken }: { process: Process; refreshToken?: number }) {
  const runId = process.runId;
  const loadRun = useCallback(
    (signal: AbortSignal): Promise<RunDetail | null> => (runId ? fetchRunDetail(runId, signal) : Promise.resolve(null)),
    [runId],
  );
  const run = usePolledQuery(loadRun, runId ?? "", 0);
  useRefreshOnChange(refreshToken, run.refresh, runId ?? "");
  const loadHistory = useCallback(
    (signal: AbortSignal) =>
      fetchJobRuns(process.jobId, PREVIOUS_RUNS + 1, signal).catch((error: unknown) => {
        // A task that never ran has no job yet: no history rather than an error.
        if (error instanceof ApiError && error.status === 404) return { items: [] as DetailRun[], totalCount: 0 };
        throw error;
      }),
    [process.jobId],
  );
  const history = usePolledQuery(loadHistory, process.jobId, 0);
  useRefreshOnChange(refreshToken, history.refresh, process.jobId);

  const detail = run.data ?? null;
  const outputs = detail?.outputs ?? [];
  const lineageKey = outputs.slice(0, COLUMN_LINEAGE_DATASETS).map(datasetId).join("\u0000");
  const loadColumns = useCallback(
    async (signal: AbortSignal): Promise<ColumnLineageRow[]> => {
      if (!lineageKey) return [];
      const ids = lineageKey.split("\u0000");
      const all = await Promise.all(
        ids.map((id) =>
          fetchDatasetFacets(id, signal).then(
            (facets) => columnLineageRows(id.slice("dataset:".length), facets),
            () => [] as ColumnLineageRow[],
          ),
        ),
      );
      return all.flat();
    },
    [lineageKey],
  );
  const columns = usePolledQuery(loadColumns, lineageKey, 0);

  const logUrl = rewriteLogUrl(process.logUrl ?? detail?.logUrl ?? null);
  const errorMessage = detail?.errorMessage ?? process.errorMessage;
  const facets = detail ? facetNames(detail.facets) : [];

  return (
    <div data-testid="flowlytics-process-details" data-run-id={runId ?? undefined} style={{ fontSize: "13px" }}>
      <div style={{ display: "flex", flexWrap: "wrap", gap: "8px 14px", alignItems: "center", marginTop: "6px" }}>
        <StateBadge state={process.status} />
        <code style={s.code} title="Job">
          {process.jobId}
        </code>
        {runId ? (
          <span style={s.muted}>
            run <code style={s.code}>{runId}</code>
          </span>
        ) : (
          <span style={s.muted}>not started: no run yet</span>
        )}
        {process.tries > 1 ? <span>try {detail?.tryNumber ?? process.tries} of {process.tries}</span> : null}
        {logUrl ? (
          <a data-testid="flowlytics-log-link" href={logUrl} target="_blank" rel="noopener noreferrer" style={s.link}>
            Task log in Airflow ↗
          </a>
        ) : null}
        <a data-testid="flowlytics-lineage-link" href={lineagePageHref(process.jobId)} style={s.link}>
          Lineage of this job
        </a>
      </div>
      {run.error ? <ErrorLine what="the run" error={run.error} /> : null}
      {runId && !detail && run.loading ? <div style={{ ...s.muted, marginTop: "6px" }}>Loading the run…</div> : null}

      <div style={grid}>
        <div style={{ minWidth: 0 }}>
          {errorMessage ? (
            <Section title="Error" testId="flowlytics-process-error">
              <pre data-testid="flowlytics-process-error-message" style={{ ...pre, color: "#b91c1c", background: "color-mix(in srgb, #b91c1c 8%, transparent)" }}>
                {errorMessage}
              </pre>
            </Section>
          ) : null}
          {detail?.stackTrace ? (
            <Section title="Stack trace" testId="flowlytics-process-stack">
              <details open={!errorMessage}>
                <summary style={{ cursor: "pointer" }}>
                  {detail.stackTrace.split("\n").length} lines{errorMessage ? " (click to show)" : ""}
                </summary>
                <pre style={pre}>{detail.stackTrace}</pre>
              </details>
            </Section>
          ) : null}
          {detail?.sql ? (
            <Section title="SQL" testId="flowlytics-process-sql">
              <pre style={pre}>{detail.sql}</pre>
            </Section>
          ) : null}
          {detail ? (
            <Section title="Inputs and outputs" testId="flowlytics-process-io">
              <IoTable run={detail} />
            </Section>
          ) : null}
          {columns.data && columns.data.length > 0 ? (
            <Section title="Column lineage" testId="flowlytics-process-columns">
              <ColumnLineage rows={columns.data} />
            </Section>
          ) : null}
        </div>
        <div style={{ minWidth: 0 }}>
          <Section title="Previous runs of this job" testId="flowlytics-previous-runs">
            {history.error ? <ErrorLine what="previous runs" error={history.error} /> : null}
            {!history.data && history.loading ? <div style={s.muted}>Loading…</div> : null}
            {history.data ? <PreviousRuns runs={history.data.items} current={runId} /> : null}
            {runId ? <BaselineChart jobId={process.jobId} refreshToken={refreshToken} /> : null}
          </Section>
          {facets.length > 0 && detail ? (
            <Section title={`Facets (${facets.length})`} testId="flowlytics-process-facets">
              {facets.map((facet) => (
                <details key={facet} style={{ margin: "2px 0" }}>
                  <summary style={{ cursor: "pointer", wordBreak: "break-all" }}>{facet}</summary>
                  <pre style={pre}>{facetJson(detail.facets[facet])}</pre>
                </details>
              ))}
            </Section>
          ) : null}
        </div>
      </div>
    </div>
  );
}

function IoTable({ run }: { run: RunDetail }) {
  const rows = [
    ...run.inputs.map((d) => ({ direction: "input" as const, d })),
    ...run.outputs.map((d) => ({ direction: "output" as const, d })),
  ];
  if (rows.length === 0) return <div style={s.muted}>This run reported no datasets.</div>;
  return (
    <div style={s.tableWrap}>
      <table style={smallTable} data-testid="flowlytics-process-io-table">
        <thead>
          <tr>
            <th style={s.th}>Direction</th>
            <th style={s.th}>Dataset</th>
            <th style={{ ...s.th, textAlign: "right" }}>Rows</th>
            <th style={{ ...s.th, textAlign: "right" }}>Bytes</th>
            <th style={{ ...s.th, textAlign: "right" }}>Files</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ direction, d }, i) => (
            <tr key={`${direction}:${d.namespace}:${d.name}:${i}`} data-testid="flowlytics-process-io-row" data-direction={direction}>
              <td style={s.tdNowrap}>{direction === "input" ? "⟵ in" : "out ⟶"}</td>
              <td style={s.td}>
                <a href={lineagePageHref(datasetId(d))} style={{ ...s.jobName, ...s.link }}>
                  {d.name}
                </a>
                <div style={s.namespace}>{d.namespace}</div>
              </td>
              <td style={numCell}>{formatRows(d.rowCount)}</td>
              <td style={numCell}>{formatRows(d.bytes)}</td>
              <td style={numCell}>{formatRows(d.fileCount)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ColumnLineage({ rows }: { rows: ColumnLineageRow[] }) {
  const shown = rows.slice(0, 100);
  return (
    <div style={s.tableWrap}>
      <table style={smallTable}>
        <thead>
          <tr>
            <th style={s.th}>Output column</th>
            <th style={s.th}>From</th>
            <th style={s.th}>Transformation</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((r, i) => (
            <tr key={`${r.dataset}:${r.column}:${r.inputDataset}:${r.inputField}:${i}`}>
              <td style={s.td}>
                <code style={s.code}>{r.column}</code>
                <div style={s.namespace}>{r.dataset}</div>
              </td>
              <td style={s.td}>
                <code style={s.code}>{r.inputField}</code>
                <div style={s.namespace}>{r.inputDataset}</div>
              </td>
              <td style={s.td}>{r.transformation || EMPTY}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length > shown.length ? <div style={s.muted}>… and {rows.length - shown.length} more</div> : null}
    </div>
  );
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function PreviousRuns({ runs, current }: { runs: DetailRun[]; current: string | null }) {
  if (runs.length === 0) return <div style={s.muted}>No runs of this job yet.</div>;
  const others = runs.filter((r) => r.runId !== current).slice(0, PREVIOUS_RUNS);
  const usual = median(others.map((r) => runDurationSeconds(r)).filter((d): d is number => d !== null));
  const shown = runs.slice(0, PREVIOUS_RUNS + 1);
  return (
    <>
      {usual !== null ? (
        <div style={{ ...s.muted, marginBottom: "4px" }}>
          Median duration of the {others.length} previous run{others.length === 1 ? "" : "s"}: {formatDuration(usual)}
        </div>
      ) : null}
      <div style={s.tableWrap}>
        <table style={smallTable} data-testid="flowlytics-previous-runs-table">
          <thead>
            <tr>
              <th style={s.th}>Start</th>
              <th style={s.th}>State</th>
              <th style={{ ...s.th, textAlign: "right" }}>Duration</th>
              <th style={{ ...s.th, textAlign: "right" }}>Rows read</th>
              <th style={{ ...s.th, textAlign: "right" }}>Rows written</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => {
              const mine = r.runId === current;
              return (
                <tr
                  key={r.runId}
                  data-testid="flowlytics-previous-run"
                  data-current={mine ? "true" : undefined}
                  style={mine ? { fontWeight: 600, background: s.tint(6) } : undefined}
                  title={`Run ${r.runId}`}
                >
                  <td style={s.tdNowrap}>
                    {formatTimestamp(r.startedAt)}
                    {mine ? <span style={{ ...s.muted, marginLeft: "6px" }}>(this run)</span> : null}
                  </td>
                  <td style={s.td}>
                    <StateBadge state={r.state} />
                  </td>
                  <td style={numCell}>{formatDuration(runDurationSeconds(r))}</td>
                  <td style={numCell}>{formatRows(sumKnown(r.inputs.map((d) => d.rowCount)))}</td>
                  <td style={numCell}>{formatRows(sumKnown(r.outputs.map((d) => d.rowCount)))}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
