import { useCallback } from "react";
import { fetchBatches } from "../api/batches";
import { ApiError } from "../api/client";
import * as s from "../components/styles";
import { countsText } from "../batch/BatchList";
import { batchHealthHref, formatPercent } from "../batch/format";
import { HealthBadge } from "../batch/HealthBadge";
import { formatTimestamp } from "../lib/format";
import { usePolledQuery } from "../lib/usePolledQuery";
import { useLiveVersion, useRefreshOnChange } from "../lib/useLiveVersion";
import type { PluginProps } from "../types";

export const WIDGET_BATCHES = 5;
/** The dashboard stays fresh even when graph/version is slow to change (e.g. only time passes). */
export const WIDGET_REFRESH_MS = 60_000;

/**
 * The home-dashboard widget: the latest batches with their health colour and
 * counts; each links to the Batch Health page on that batch.
 */
export function BatchWidget(_props: PluginProps) {
  const version = useLiveVersion();
  const load = useCallback((signal: AbortSignal) => fetchBatches({ limit: WIDGET_BATCHES }, signal), []);
  const query = usePolledQuery(load, "widget", WIDGET_REFRESH_MS);
  useRefreshOnChange(version, query.refresh);
  const items = query.data?.items ?? [];
  return (
    <section
      data-testid="flowlytics-batch-widget"
      style={{ ...s.page, padding: "10px 12px", border: `1px solid ${s.tint(18)}`, borderRadius: "8px", fontSize: "13px" }}
    >
      <div style={{ display: "flex", alignItems: "baseline", justifyContent: "space-between", gap: "10px", marginBottom: "6px" }}>
        <h3 style={{ fontSize: "15px", fontWeight: 600, margin: 0 }}>Latest batches</h3>
        <a href={batchHealthHref()} data-testid="flowlytics-widget-all" style={{ ...s.link, fontSize: "12px" }}>
          Batch Health →
        </a>
      </div>
      {query.error ? (
        <div role="alert" data-testid="flowlytics-error" style={{ ...s.errorBox, padding: "6px 10px" }}>
          Could not load batches{query.error instanceof ApiError ? ` (HTTP ${query.error.status})` : ""}: {query.error.message}
        </div>
      ) : null}
      {!query.data && query.loading ? <div style={s.muted}>Loading…</div> : null}
      {query.data && items.length === 0 ? (
        <div data-testid="flowlytics-empty" style={s.muted}>
          No batches in the last 7 days.
        </div>
      ) : null}
      {items.length > 0 ? (
        <table style={{ ...s.table, fontSize: "12px" }}>
          <tbody>
            {items.map((b) => (
              <tr
                key={b.batchId}
                data-testid="flowlytics-widget-row"
                data-batch-id={b.batchId}
                data-dag-id={b.dagId ?? undefined}
                data-health={b.health ?? "UNKNOWN"}
              >
                <td style={{ ...s.td, width: "1%" }}>
                  <HealthBadge health={b.health} />
                </td>
                <td style={s.td}>
                  <a href={batchHealthHref(b.batchId)} data-testid="flowlytics-widget-link" style={{ ...s.jobName, ...s.link }}>
                    {b.dagId ?? b.job.name}
                  </a>
                  <div style={{ ...s.muted, fontSize: "11px" }}>
                    {formatTimestamp(b.startedAt)} · {b.env}
                  </div>
                </td>
                <td style={{ ...s.td, whiteSpace: "nowrap" }} data-testid="flowlytics-widget-counts">
                  <span style={{ color: b.failed + b.aborted > 0 ? "#b91c1c" : undefined }}>{countsText(b)}</span>
                  <div style={{ ...s.muted, fontSize: "11px" }}>
                    {b.totalProcesses} processes · {formatPercent(b.successRate)}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
