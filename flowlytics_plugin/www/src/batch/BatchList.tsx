import type { CSSProperties } from "react";
import * as s from "../components/styles";
import { formatTimestamp } from "../lib/format";
import { formatPercent, shortId } from "./format";
import { HealthDot } from "./HealthBadge";
import type { BatchSummary } from "./types";

const rowButton: CSSProperties = {
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

/** `1 ok · 1 failed · 1 aborted`: the successes, then only the non-zero other counts. */
export function countsText(b: Pick<BatchSummary, "succeeded" | "failed" | "aborted" | "running" | "pending" | "skipped">): string {
  const parts = [`${b.succeeded} ok`];
  if (b.failed) parts.push(`${b.failed} failed`);
  if (b.aborted) parts.push(`${b.aborted} aborted`);
  if (b.running) parts.push(`${b.running} running`);
  if (b.pending) parts.push(`${b.pending} pending`);
  if (b.skipped) parts.push(`${b.skipped} skipped`);
  return parts.join(" · ");
}

/** The batch selector: newest first, one row per batch; a click selects it. */
export function BatchList({
  batches,
  selectedId,
  onSelect,
  stale = false,
}: {
  batches: BatchSummary[];
  selectedId: string | null;
  onSelect: (batchId: string) => void;
  stale?: boolean;
}) {
  return (
    <div style={{ ...s.tableWrap, maxHeight: "260px", overflowY: "auto", border: `1px solid ${s.tint(15)}`, borderRadius: "6px" }}>
      <table data-testid="flowlytics-batch-list" style={{ ...s.table, opacity: stale ? 0.6 : 1 }}>
        <thead style={{ position: "sticky", top: 0, background: "Canvas", zIndex: 1 }}>
          <tr>
            <th style={s.th} aria-label="Health" />
            <th style={s.th}>DAG / job</th>
            <th style={s.th}>Start</th>
            <th style={s.th}>Environment</th>
            <th style={s.th}>Processes</th>
            <th style={{ ...s.th, textAlign: "right" }}>Success</th>
            <th style={s.th}>Batch id</th>
          </tr>
        </thead>
        <tbody>
          {batches.map((b) => {
            const selected = b.batchId === selectedId;
            return (
              <tr
                key={b.batchId}
                data-testid="flowlytics-batch-row"
                data-batch-id={b.batchId}
                data-dag-id={b.dagId ?? undefined}
                data-health={b.health ?? "UNKNOWN"}
                data-selected={selected ? "true" : undefined}
                aria-selected={selected}
                onClick={() => onSelect(b.batchId)}
                style={{ cursor: "pointer", background: selected ? s.tint(10) : undefined }}
              >
                <td style={{ ...s.td, width: "14px", paddingRight: 0 }}>
                  <HealthDot health={b.health} />
                </td>
                <td style={s.td}>
                  <button type="button" data-testid="flowlytics-batch-select" style={rowButton} onClick={(e) => {
                    e.stopPropagation();
                    onSelect(b.batchId);
                  }}>
                    {b.dagId ?? b.job.name}
                  </button>
                  {!b.dagId ? <div style={s.namespace}>{b.job.namespace}</div> : null}
                </td>
                <td style={s.tdNowrap} title={b.startedAt ?? undefined}>
                  {formatTimestamp(b.startedAt)}
                </td>
                <td style={s.td}>{b.env}</td>
                <td style={s.tdNowrap} data-testid="flowlytics-batch-counts">
                  <span style={{ fontWeight: 600 }}>{b.totalProcesses}</span>{" "}
                  <span style={{ ...s.muted, color: b.failed + b.aborted > 0 ? "#b91c1c" : undefined, opacity: 1 }}>
                    ({countsText(b)})
                  </span>
                </td>
                <td style={{ ...s.tdNowrap, textAlign: "right" }}>{formatPercent(b.successRate)}</td>
                <td style={s.tdNowrap} title={b.batchId}>
                  <code style={s.code}>{shortId(b.batchId)}</code>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
