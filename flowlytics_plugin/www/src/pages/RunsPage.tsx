import { useCallback, useEffect, useMemo, useState } from "react";
import { fetchRuns } from "../api/runs";
import { ApiError, flowlyticsBaseUrl } from "../api/client";
import { Pagination } from "../components/Pagination";
import { RunsTable } from "../components/RunsTable";
import * as s from "../components/styles";
import { jobMatchesDag } from "../lib/filters";
import { formatTimestamp } from "../lib/format";
import { usePolledQuery } from "../lib/usePolledQuery";
import { RUN_STATES, type PluginProps } from "../types";

export const PAGE_SIZE = 50;
export const REFRESH_INTERVAL_MS = 15_000;


/** Recent OpenLineage runs received by Flowlytics. */
export function RunsPage({ dagId }: PluginProps) {
  const [stateFilter, setStateFilter] = useState("");
  const [offset, setOffset] = useState(0);

  const load = useCallback(
    (signal: AbortSignal) => fetchRuns({ limit: PAGE_SIZE, offset, state: stateFilter || undefined }, signal),
    [offset, stateFilter],
  );
  const query = usePolledQuery(load, `${PAGE_SIZE}|${offset}|${stateFilter}`, REFRESH_INTERVAL_MS);

  // Re-render "running for" durations on every refresh.
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => setNow(Date.now()), [query.updatedAt]);

  const data = query.data;
  const visible = useMemo(
    () => (data ? data.items.filter((run) => jobMatchesDag(run.job.name, dagId)) : []),
    [data, dagId],
  );

  // If the current page vanished (e.g. runs were pruned), step back.
  useEffect(() => {
    if (data && data.items.length === 0 && offset > 0 && data.totalCount > 0) {
      setOffset(Math.max(0, Math.floor((data.totalCount - 1) / PAGE_SIZE) * PAGE_SIZE));
    }
  }, [data, offset]);

  const emitterUrl = flowlyticsBaseUrl();

  return (
    <div data-testid="flowlytics-runs-page" style={s.page}>
      <h2 style={s.title}>Flowlytics — recent runs</h2>
      {dagId ? (
        <p style={{ ...s.muted, margin: "0 0 10px 0" }}>
          Showing runs of DAG <code style={s.code}>{dagId}</code> (jobs named <code style={s.code}>{dagId}</code> or{" "}
          <code style={s.code}>{`${dagId}.*`}</code>) on the current page.
        </p>
      ) : null}

      <div style={s.toolbar}>
        <label style={{ display: "flex", alignItems: "center", gap: "6px" }}>
          State
          <select
            data-testid="flowlytics-state-filter"
            style={s.select}
            value={stateFilter}
            onChange={(event) => {
              setStateFilter(event.target.value);
              setOffset(0);
            }}
          >
            <option value="">All</option>
            {RUN_STATES.map((state) => (
              <option key={state} value={state}>
                {state}
              </option>
            ))}
          </select>
        </label>
        <button type="button" data-testid="flowlytics-refresh" style={s.button} onClick={query.refresh}>
          Refresh
        </button>
        <span style={s.muted} data-testid="flowlytics-status">
          {query.loading
            ? data
              ? "Refreshing…"
              : "Loading…"
            : query.updatedAt
              ? `Updated ${formatTimestamp(new Date(query.updatedAt).toISOString()).slice(11)} · auto-refresh every ${
                  REFRESH_INTERVAL_MS / 1000
                } s`
              : null}
        </span>
      </div>

      {query.error ? (
        <div data-testid="flowlytics-error" role="alert" style={s.errorBox}>
          <strong>Could not load runs</strong>
          {query.error instanceof ApiError ? ` (HTTP ${query.error.status})` : ""}: {query.error.message}
        </div>
      ) : null}

      {!data && query.loading ? (
        <div data-testid="flowlytics-loading" style={{ ...s.notice, ...s.muted }}>
          Loading runs…
        </div>
      ) : null}

      {data && data.totalCount === 0 && data.items.length === 0 ? (
        stateFilter ? (
          <div data-testid="flowlytics-empty" data-reason="filter" style={s.notice}>
            No runs with state {stateFilter}.
          </div>
        ) : (
          <div data-testid="flowlytics-empty" data-reason="no-runs" style={s.notice}>
            <p style={{ margin: "0 0 6px 0" }}>
              No runs received yet. Point an OpenLineage emitter at <code style={s.code}>{emitterUrl}</code> (HTTP
              transport; events are posted to <code style={s.code}>{`${emitterUrl}api/v1/lineage`}</code>).
            </p>
            <p style={{ margin: 0, ...s.muted }}>
              For Airflow's OpenLineage provider, e.g.{" "}
              <code style={s.code}>{`AIRFLOW__OPENLINEAGE__TRANSPORT='{"type": "http", "url": "${emitterUrl}"}'`}</code>
            </p>
          </div>
        )
      ) : null}

      {data && data.items.length > 0 && visible.length === 0 ? (
        <div data-testid="flowlytics-empty" data-reason="dag" style={s.notice}>
          None of the runs on this page belong to DAG <code style={s.code}>{dagId}</code>.
        </div>
      ) : null}

      {visible.length > 0 ? <RunsTable runs={visible} now={now} /> : null}

      {data && data.totalCount > 0 ? (
        <Pagination
          offset={offset}
          limit={PAGE_SIZE}
          shown={data.items.length}
          total={data.totalCount}
          onChange={setOffset}
        />
      ) : null}
    </div>
  );
}
