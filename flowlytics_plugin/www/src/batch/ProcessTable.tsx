import { Fragment, memo, useState, type CSSProperties, type ReactNode } from "react";
import { StateBadge } from "../components/StateBadge";
import * as s from "../components/styles";
import { elapsedSeconds, formatDuration, runDurationSeconds, truncate } from "../lib/format";
import { stateLabel } from "../lib/state";
import { anomalyLabel, expectedRange, LEVEL_COLOURS, learningLabel } from "./charts";
import { ariaSort, formatPercent, formatRows, formatThroughput, formatTimeOnDay } from "./format";
import type { AnomalyMark, Process, SortKey, SortOrder } from "./types";

interface Column {
  key: SortKey;
  label: string;
  numeric?: boolean;
  title?: string;
}

export const PROCESS_COLUMNS: readonly Column[] = [
  { key: "name", label: "Process" },
  { key: "status", label: "Status" },
  { key: "startedAt", label: "Start" },
  { key: "endedAt", label: "End" },
  { key: "durationSeconds", label: "Duration", numeric: true, title: "HH:MM:SS" },
  { key: "rowsRead", label: "Rows read", numeric: true },
  { key: "rowsWritten", label: "Rows written", numeric: true },
  { key: "rowsUpdated", label: "Updated", numeric: true, title: "Rows updated (flowlytics_stats run facet)" },
  { key: "rowsInserted", label: "Inserted", numeric: true, title: "Rows inserted (flowlytics_stats run facet)" },
  { key: "dqErrors", label: "DQ errors", numeric: true },
  { key: "dqErrorRate", label: "DQ rate", numeric: true, title: "DQ errors over rows read" },
  { key: "readThroughput", label: "Read rows/s", numeric: true },
  { key: "writeThroughput", label: "Write rows/s", numeric: true },
  { key: "tries", label: "Tries", numeric: true, title: "Airflow tries; the row shows the latest" },
];

export const ERROR_PREVIEW_CHARS = 100;

const headerButton: CSSProperties = {
  font: "inherit",
  fontWeight: 600,
  color: "inherit",
  background: "transparent",
  border: "none",
  padding: 0,
  cursor: "pointer",
  textAlign: "inherit",
  lineHeight: 1.25,
};
// 14 columns: tighter cells than the shared table style, so that the table fits a laptop screen.
const th: CSSProperties = { ...s.th, padding: "6px 7px", whiteSpace: "normal", verticalAlign: "bottom" };
const td: CSSProperties = { ...s.td, padding: "6px 7px" };
const tdNowrap: CSSProperties = { ...s.tdNowrap, padding: "6px 7px" };
const nameButton: CSSProperties = {
  font: "inherit",
  color: "inherit",
  background: "transparent",
  border: "none",
  padding: 0,
  cursor: "pointer",
  textAlign: "left",
  fontWeight: 500,
  wordBreak: "break-all",
};
const flag: CSSProperties = {
  display: "inline-block",
  marginLeft: "6px",
  padding: "0 5px",
  borderRadius: "4px",
  fontSize: "10px",
  fontWeight: 700,
  letterSpacing: "0.03em",
  verticalAlign: "1px",
};
const num: CSSProperties = { ...tdNowrap, textAlign: "right" };

export interface ProcessTableProps {
  processes: Process[];
  sort: SortKey;
  order: SortOrder;
  onSort: (key: SortKey) => void;
  /** Key ({@link processKey}) of the row whose drill-down is open. */
  openKey: string | null;
  onToggle: (key: string) => void;
  /** Renders the drill-down of the open row (below it, across all columns). */
  renderDetails: (process: Process) => ReactNode;
  now: number;
  /** The batch's start: times on its day show as HH:MM:SS only. */
  day?: string | null;
  stale?: boolean;
  /** The caller may mark an anomaly normal (editors): each badge then has a button. */
  canMarkNormal?: boolean;
  /** Marks an anomaly normal (POST anomalies/<id>/mark-normal), then reloads the rows. */
  onMarkNormal?: (anomalyId: number) => Promise<void>;
}

export function processKey(p: Pick<Process, "runId" | "jobId" | "name">): string {
  return p.runId ?? `${p.jobId}\u0000${p.name}`;
}

/**
 * The process rows of one page, sorted on the server: a header click calls
 * `onSort`. A row's name opens its drill-down. All text comes from events and
 * is rendered as React text.
 */
export function ProcessTable({
  processes,
  sort,
  order,
  onSort,
  openKey,
  onToggle,
  renderDetails,
  now,
  day = null,
  stale = false,
  canMarkNormal = false,
  onMarkNormal,
}: ProcessTableProps) {
  return (
    <div style={s.tableWrap}>
      <table
        data-testid="flowlytics-process-table"
        data-sort={sort}
        data-order={order}
        style={{ ...s.table, opacity: stale ? 0.6 : 1 }}
      >
        <thead>
          <tr>
            {PROCESS_COLUMNS.map((column) => {
              const active = column.key === sort;
              return (
                <th
                  key={column.key}
                  aria-sort={ariaSort(column.key, sort, order)}
                  style={{ ...th, textAlign: column.numeric ? "right" : "left", minWidth: column.numeric ? "58px" : undefined }}
                  title={`${column.title ? `${column.title}. ` : ""}Sort by ${column.label.toLowerCase()}`}
                >
                  <button
                    type="button"
                    data-testid={`flowlytics-sort-${column.key}`}
                    style={{ ...headerButton, textDecoration: active ? "underline" : "none" }}
                    onClick={() => onSort(column.key)}
                  >
                    {column.label}
                    {active ? (
                      <span aria-hidden="true" style={{ marginLeft: "3px" }}>
                        {order === "asc" ? "▲" : "▼"}
                      </span>
                    ) : null}
                  </button>
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {processes.map((process, index) => {
            const key = processKey(process);
            const open = key === openKey;
            return (
              <Fragment key={`${key}:${index}`}>
                <ProcessRow
                  process={process}
                  open={open}
                  rowKey={key}
                  onToggle={onToggle}
                  now={now}
                  day={day}
                  onMarkNormal={canMarkNormal ? onMarkNormal : undefined}
                />
                {open ? (
                  <tr data-testid="flowlytics-process-details-row">
                    <td colSpan={PROCESS_COLUMNS.length} style={{ ...td, padding: "4px 10px 14px 22px", background: s.tint(3) }}>
                      {renderDetails(process)}
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

interface RowProps {
  process: Process;
  open: boolean;
  rowKey: string;
  onToggle: (key: string) => void;
  now: number;
  day: string | null;
  onMarkNormal?: (anomalyId: number) => Promise<void>;
}

const ProcessRow = memo(function ProcessRow({ process: p, open, rowKey, onToggle, now, day, onMarkNormal }: RowProps) {
  const learning = learningLabel(p.learning);
  const duration = runDurationSeconds(p);
  const status = stateLabel(p.status);
  const elapsed = duration === null && status === "RUNNING" ? elapsedSeconds(p.startedAt, now) : null;
  const failed = status === "FAILED" || status === "ABORTED";
  return (
    <tr
      data-testid="flowlytics-process-row"
      data-name={p.name}
      data-status={status}
      data-run-id={p.runId ?? undefined}
      data-open={open ? "true" : undefined}
      style={open ? { background: s.tint(6) } : undefined}
    >
      <td style={{ ...td, minWidth: "150px", maxWidth: "260px" }} title={p.jobId}>
        <button
          type="button"
          data-testid="flowlytics-process-toggle"
          aria-expanded={open}
          style={nameButton}
          onClick={() => onToggle(rowKey)}
        >
          <span aria-hidden="true" style={{ display: "inline-block", width: "12px", opacity: 0.7 }}>
            {open ? "▾" : "▸"}
          </span>
          {p.name}
        </button>
        {p.critical ? (
          <span style={{ ...flag, background: "#b91c1c", color: "#ffffff" }} title="Marked critical">
            CRITICAL
          </span>
        ) : null}
        {p.dqWarning ? (
          <span
            data-testid="flowlytics-dq-warning-flag"
            style={{ ...flag, background: "#a16207", color: "#ffffff" }}
            title="DQ error rate above 1 %"
          >
            DQ &gt; 1%
          </span>
        ) : null}
        {learning ? (
          <span
            data-testid="flowlytics-learning-badge"
            style={{ ...flag, background: s.tint(12), fontWeight: 600 }}
            title="Too few earlier runs for a verdict: no anomaly is flagged until the job has this many"
          >
            {learning}
          </span>
        ) : null}
        {p.anomalies.length > 0 ? (
          <div style={{ display: "flex", flexWrap: "wrap", gap: "3px 6px", marginTop: "2px" }}>
            {p.anomalies.map((a) => (
              <AnomalyBadge key={a.id} anomaly={a} onMarkNormal={onMarkNormal} />
            ))}
          </div>
        ) : null}
        {failed && p.errorMessage ? (
          <div
            data-testid="flowlytics-process-error-preview"
            style={{
              fontSize: "12px",
              color: "#b91c1c",
              marginTop: "1px",
              overflow: "hidden",
              display: "-webkit-box",
              WebkitLineClamp: 2,
              WebkitBoxOrient: "vertical",
              wordBreak: "break-word",
            }}
            title={p.errorMessage}
          >
            {truncate(p.errorMessage, ERROR_PREVIEW_CHARS)}
          </div>
        ) : null}
      </td>
      <td style={td}>
        <StateBadge state={p.status} />
      </td>
      <td style={tdNowrap} title={p.startedAt ?? undefined}>
        {p.startedAt ? formatTimeOnDay(p.startedAt, day) : ""}
      </td>
      <td style={tdNowrap} title={p.endedAt ?? undefined}>
        {p.endedAt ? formatTimeOnDay(p.endedAt, day) : ""}
      </td>
      <td style={num} title={elapsed !== null ? "Still running: time elapsed so far" : undefined}>
        {elapsed !== null ? <span style={s.muted}>{formatDuration(elapsed)}…</span> : duration === null ? "" : formatDuration(duration)}
      </td>
      <td style={num}>{cell(formatRows(p.rowsRead), p.rowsRead)}</td>
      <td style={num}>{cell(formatRows(p.rowsWritten), p.rowsWritten)}</td>
      <td style={num}>{cell(formatRows(p.rowsUpdated), p.rowsUpdated)}</td>
      <td style={num}>{cell(formatRows(p.rowsInserted), p.rowsInserted)}</td>
      <td style={{ ...num, ...(p.dqErrors ? { color: "#b91c1c", fontWeight: 600 } : {}) }}>
        {cell(formatRows(p.dqErrors), p.dqErrors)}
      </td>
      <td style={{ ...num, ...(p.dqWarning ? { color: "#a16207", fontWeight: 600 } : {}) }}>
        {cell(formatPercent(p.dqErrorRate), p.dqErrorRate)}
      </td>
      <td style={num}>{cell(formatThroughput(p.readThroughput), p.readThroughput)}</td>
      <td style={num}>{cell(formatThroughput(p.writeThroughput), p.writeThroughput)}</td>
      <td style={{ ...num, ...(p.tries > 1 ? { fontWeight: 700 } : {}) }} title={p.tries > 1 ? "Retried" : undefined}>
        {p.tries > 0 ? p.tries : ""}
      </td>
    </tr>
  );
});

/** Empty cell for unknown values (a dash on every row would drown the numbers that matter). */
function cell(text: string, raw: number | null): string {
  return raw === null ? "" : text;
}

/** "duration 3.4× usual" in the level's colour; marked normal: muted, with who did it; else a button for editors. */
export function AnomalyBadge({
  anomaly: a,
  onMarkNormal,
}: {
  anomaly: AnomalyMark;
  onMarkNormal?: (anomalyId: number) => Promise<void>;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const normal = a.markedNormalAt !== null;
  const label = anomalyLabel(a);
  return (
    <span
      data-testid="flowlytics-anomaly-badge"
      data-anomaly-id={a.id}
      data-metric={a.metric}
      data-level={a.level}
      data-normal={normal ? "true" : "false"}
      style={{ display: "inline-flex", alignItems: "center", gap: "4px", fontSize: "11px" }}
    >
      <span
        style={{
          ...flag,
          marginLeft: 0,
          background: normal ? s.tint(12) : LEVEL_COLOURS[a.level],
          color: normal ? "inherit" : "#ffffff",
          textDecoration: normal ? "line-through" : undefined,
        }}
        title={`${a.level === "error" ? "Error" : "Warning"}: ${label}, ${expectedRange(a)}${
          normal ? `; marked normal by ${a.markedNormalBy ?? "someone"}` : ""
        }`}
      >
        {a.level === "error" ? "⚠ " : ""}
        {label}
      </span>
      {normal ? (
        <span style={s.muted}>marked normal{a.markedNormalBy ? ` by ${a.markedNormalBy}` : ""}</span>
      ) : onMarkNormal ? (
        <button
          type="button"
          data-testid="flowlytics-mark-normal"
          disabled={busy}
          style={{ ...s.button, fontSize: "11px", padding: "0 6px" }}
          title="This value was fine: let it teach the baseline"
          onClick={() => {
            setBusy(true);
            setError(null);
            onMarkNormal(a.id).then(
              () => setBusy(false),
              (e: unknown) => {
                setBusy(false);
                setError(e instanceof Error ? e.message : String(e));
              },
            );
          }}
        >
          Mark normal
        </button>
      ) : null}
      {error ? (
        <span role="alert" style={{ color: "#b91c1c" }}>
          {error}
        </span>
      ) : null}
    </span>
  );
}
