import { useCallback, useEffect, useState } from "react";
import { fetchBatches } from "../api/batches";
import { ApiError } from "../api/client";
import * as s from "../components/styles";
import { BatchView } from "../batch/BatchView";
import { batchHealthHref } from "../batch/format";
import { usePolledQuery } from "../lib/usePolledQuery";
import { useLiveVersion, useRefreshOnChange } from "../lib/useLiveVersion";
import type { PluginProps } from "../types";

/** While the run's batch is unknown (no event yet), look again this often. */
export const FIND_BATCH_RETRY_MS = 10_000;

/**
 * The "Batch health (run)" tab of a DAG run: the batch of this Airflow DAG
 * run (found by its run id), with the same metrics, process table and
 * drill-down as the Batch Health page.
 */
export function BatchRunPage({ dagId, runId }: PluginProps) {
  const version = useLiveVersion();
  const [mountedAt] = useState(() => (typeof performance !== "undefined" ? performance.now() : 0));
  const load = useCallback(
    async (signal: AbortSignal): Promise<string | null> => {
      if (!dagId || !runId) return null;
      const list = await fetchBatches({ dagId, airflowRunId: runId, limit: 1 }, signal);
      return list.items[0]?.batchId ?? null;
    },
    [dagId, runId],
  );
  const key = `${dagId ?? ""}|${runId ?? ""}`;
  const [retryMs, setRetryMs] = useState(0);
  const found = usePolledQuery(load, key, retryMs);
  const batchId = found.data ?? null;
  // Not there yet: the run may just have started. Look again on new events, and every few seconds.
  const missing = found.data === null && !!dagId && !!runId;
  useEffect(() => setRetryMs(missing ? FIND_BATCH_RETRY_MS : 0), [missing]);
  useRefreshOnChange(missing ? version : undefined, found.refresh, `${key}|${missing}`);

  return (
    <div data-testid="flowlytics-batch-run" style={s.page}>
      <div style={{ display: "flex", alignItems: "baseline", gap: "12px", flexWrap: "wrap", marginBottom: "8px" }}>
        <h2 style={{ ...s.title, margin: 0 }}>Batch health of this run</h2>
        {batchId ? (
          <a href={batchHealthHref(batchId)} data-testid="flowlytics-batch-health-link" style={s.link}>
            Open in Batch Health
          </a>
        ) : null}
      </div>
      {!dagId || !runId ? (
        <div data-testid="flowlytics-empty" data-reason="no-run" style={s.notice}>
          Open this tab from a DAG run's page.
        </div>
      ) : null}
      {found.error ? (
        <div data-testid="flowlytics-error" role="alert" style={s.errorBox}>
          <strong>Could not find this run's batch</strong>
          {found.error instanceof ApiError ? ` (HTTP ${found.error.status})` : ""}: {found.error.message}
        </div>
      ) : null}
      {found.data === undefined && found.loading && dagId && runId ? (
        <div data-testid="flowlytics-loading" style={{ ...s.notice, ...s.muted }}>
          Loading…
        </div>
      ) : null}
      {missing ? (
        <div data-testid="flowlytics-empty" data-reason="no-batch" style={s.notice}>
          Flowlytics has not received OpenLineage events for run <code style={s.code}>{runId}</code> of DAG{" "}
          <code style={s.code}>{dagId}</code> yet. This tab updates by itself when they arrive.
        </div>
      ) : null}
      {batchId ? <BatchView batchId={batchId} version={version} mountedAt={mountedAt} /> : null}
    </div>
  );
}
