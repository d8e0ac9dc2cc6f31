import { useCallback, useMemo } from "react";
import { Line } from "react-chartjs-2";
import { fetchBaseline } from "../api/batches";
import { ApiError } from "../api/client";
import { ErrorLine } from "../components/ErrorLine";
import * as s from "../components/styles";
import { usePolledQuery } from "../lib/usePolledQuery";
import { useRefreshOnChange } from "../lib/useLiveVersion";
import { PALETTES, useColorMode } from "../lineage/theme";
import { anomalyLabel, baselineChart, baselineOptions, chartTheme, expectedRange, formatMetric, LEVEL_COLOURS } from "./charts";
import { visuallyHidden } from "./chartSetup";
import type { Baseline } from "./types";

/** Runs charted over the band of normal. */
export const BASELINE_RUNS = 30;

/**
 * A job's last runs of one metric over the detector's band of normal (GET anomalies/baseline): the band each run
 * was judged against, filled; anomalies marked. While the job is learning there is no band, and it says so.
 */
export function BaselineChart({
  jobId,
  metric = "durationSeconds",
  title = "Duration per run, with its band of normal",
  refreshToken,
}: {
  jobId: string;
  metric?: string;
  title?: string;
  refreshToken?: number;
}) {
  const load = useCallback(
    (signal: AbortSignal) =>
      fetchBaseline(jobId, metric, BASELINE_RUNS, signal).catch((error: unknown) => {
        // A task that never ran has no job yet: nothing to chart rather than an error.
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }),
    [jobId, metric],
  );
  const key = `${jobId}|${metric}`;
  const query = usePolledQuery(load, key, 0);
  useRefreshOnChange(refreshToken, query.refresh, key);
  if (query.error) return <ErrorLine what="the band of normal" error={query.error} />;
  if (!query.data) return null;
  return <BaselineFigure baseline={query.data} title={title} />;
}

export function BaselineFigure({ baseline, title }: { baseline: Baseline; title: string }) {
  const mode = useColorMode();
  const theme = useMemo(() => chartTheme(mode, PALETTES[mode]), [mode]);
  const chart = useMemo(() => baselineChart(baseline, mode === "dark" ? "#60a5fa" : "#1d4ed8"), [baseline, mode]);
  const options = useMemo(() => baselineOptions(baseline, theme), [baseline, theme]);
  const metric = baseline.metric;
  const current = baseline.current;
  return (
    <figure
      data-testid="flowlytics-baseline-chart"
      data-job-id={baseline.jobNodeId}
      data-metric={metric}
      data-points={baseline.points.length}
      data-flagged={chart.flagged}
      data-learning={baseline.learning ? "true" : "false"}
      data-color-mode={mode}
      style={{ border: `1px solid ${s.tint(18)}`, borderRadius: "6px", padding: "6px 10px", margin: "10px 0 0 0", position: "relative" }}
    >
      <figcaption style={{ display: "flex", justifyContent: "space-between", flexWrap: "wrap", fontSize: "12px", gap: "8px" }}>
        <strong>{title}</strong>
        {baseline.learning ? (
          <span data-testid="flowlytics-baseline-learning" style={s.muted}>
            learning: {baseline.historyRuns} of {baseline.minHistory} runs (no band yet)
          </span>
        ) : current ? (
          <span data-testid="flowlytics-baseline-current" style={s.muted}>
            next run: usual {formatMetric(metric, current.median)}, {expectedRange({ metric, ...current })}
            {current.seasonal ? " (this weekday)" : ""}
          </span>
        ) : null}
      </figcaption>
      {baseline.points.length === 0 ? (
        <div style={{ ...s.muted, fontSize: "11px" }}>No completed run yet.</div>
      ) : (
        <div style={{ position: "relative", height: "170px" }} role="img" aria-label={`${title}, ${baseline.points.length} runs`}>
          <Line data={chart.data} options={options} />
        </div>
      )}
      <table data-testid="flowlytics-baseline-table" style={visuallyHidden}>
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Value</th>
            <th scope="col">Usual</th>
            <th scope="col">Expected range</th>
            <th scope="col">Verdict</th>
          </tr>
        </thead>
        <tbody>
          {baseline.points.map((p) => (
            <tr key={p.runId} data-run-id={p.runId} data-status={p.status}>
              <td>{p.at}</td>
              <td>{formatMetric(metric, p.value)}</td>
              <td>{p.band ? formatMetric(metric, p.band.median) : ""}</td>
              <td>{p.band ? expectedRange({ metric, ...p.band }) : "learning"}</td>
              <td style={p.anomaly ? { color: LEVEL_COLOURS[p.anomaly.level] } : undefined}>
                {p.anomaly ? `${anomalyLabel(p.anomaly)} (${p.anomaly.level})${p.anomaly.markedNormalAt ? ", marked normal" : ""}` : p.status}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
