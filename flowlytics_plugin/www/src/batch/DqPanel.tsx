import { useCallback } from "react";
import { fetchBatchDq } from "../api/batches";
import { ApiError } from "../api/client";
import * as s from "../components/styles";
import { EMPTY } from "../lib/format";
import { usePolledQuery } from "../lib/usePolledQuery";
import { useRefreshOnChange } from "../lib/useLiveVersion";
import { lineagePageHref } from "../lineage/urlState";
import { formatPercent, formatRows } from "./format";
import type { Batch, DqAssertion } from "./types";

const MAX_ROWS = 500;

function datasetLabel(id: string): string {
  return id.startsWith("dataset:") ? id.slice("dataset:".length) : id;
}

/**
 * Data quality of a batch: total DQ errors and rate, the processes above 1 %,
 * and every assertion per dataset and column, failed first (server order).
 */
export function DqPanel({ batch, refreshToken }: { batch: Batch; refreshToken?: number }) {
  const load = useCallback((signal: AbortSignal) => fetchBatchDq(batch.batchId, signal), [batch.batchId]);
  const query = usePolledQuery(load, batch.batchId, 0);
  // Follow the batch's own reloads (new events, or the running-batch interval).
  useRefreshOnChange(refreshToken, query.refresh, batch.batchId);
  const dq = query.data;
  const shown = dq ? dq.items.slice(0, MAX_ROWS) : [];
  return (
    <div data-testid="flowlytics-dq">
      <div style={{ display: "flex", flexWrap: "wrap", gap: "6px 18px", margin: "4px 0 10px 0" }}>
        <span>
          DQ errors <strong data-testid="flowlytics-dq-errors">{formatRows(dq?.dqErrors ?? batch.dqErrors)}</strong>
        </span>
        <span>
          DQ error rate <strong>{formatPercent(dq?.dqErrorRate ?? batch.dqErrorRate)}</strong>
        </span>
        {dq ? (
          <span>
            Assertions: <strong data-testid="flowlytics-dq-failed">{dq.failed}</strong> failed of{" "}
            <strong data-testid="flowlytics-dq-total">{dq.total}</strong>
          </span>
        ) : null}
      </div>
      {query.error ? (
        <div role="alert" style={s.errorBox}>
          Could not load the data-quality detail
          {query.error instanceof ApiError ? ` (HTTP ${query.error.status})` : ""}: {query.error.message}
        </div>
      ) : null}
      {!dq && query.loading ? <div style={{ ...s.notice, ...s.muted }}>Loading assertions…</div> : null}
      {dq && dq.items.length === 0 ? (
        <div data-testid="flowlytics-empty" data-reason="no-assertions" style={s.notice}>
          No data-quality assertions were reported for this batch (OpenLineage <code style={s.code}>dataQualityAssertions</code>{" "}
          facet).
        </div>
      ) : null}
      {shown.length > 0 ? (
        <div style={s.tableWrap}>
          <table data-testid="flowlytics-dq-table" style={s.table}>
            <thead>
              <tr>
                <th style={s.th}>Result</th>
                <th style={s.th}>Dataset</th>
                <th style={s.th}>Column</th>
                <th style={s.th}>Assertion</th>
                <th style={s.th}>Severity</th>
                <th style={s.th}>Process</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((a, i) => (
                <DqRow key={`${a.runId}:${a.dataset}:${a.column ?? ""}:${a.assertion}:${i}`} assertion={a} />
              ))}
            </tbody>
          </table>
          {dq && dq.items.length > shown.length ? (
            <div style={s.muted}>… and {dq.items.length - shown.length} more assertions</div>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}

function DqRow({ assertion: a }: { assertion: DqAssertion }) {
  return (
    <tr data-testid="flowlytics-dq-row" data-success={a.success ? "true" : "false"}>
      <td style={s.td}>
        <span
          style={{
            display: "inline-block",
            padding: "1px 8px",
            borderRadius: "9999px",
            fontSize: "11px",
            fontWeight: 700,
            color: "#ffffff",
            background: a.success ? "#15803d" : "#b91c1c",
          }}
        >
          {a.success ? "PASSED" : "FAILED"}
        </span>
      </td>
      <td style={s.td}>
        <a href={lineagePageHref(a.dataset)} style={{ ...s.jobName, ...s.link }}>
          {datasetLabel(a.dataset)}
        </a>
      </td>
      <td style={s.td}>{a.column ? <code style={s.code}>{a.column}</code> : <span style={s.muted}>(table)</span>}</td>
      <td style={s.td}>{a.assertion}</td>
      <td style={s.td}>{a.severity ?? EMPTY}</td>
      <td style={s.td}>{a.process}</td>
    </tr>
  );
}
