import { useCallback, useMemo, useState, type CSSProperties } from "react";
import { Bar, Line } from "react-chartjs-2";
import { fetchTrends } from "../api/batches";
import { ApiError } from "../api/client";
import * as s from "../components/styles";
import { usePolledQuery } from "../lib/usePolledQuery";
import { useRefreshOnChange } from "../lib/useLiveVersion";
import { PALETTES, useColorMode } from "../lineage/theme";
import { BaselineChart } from "./BaselineChart";
import {
  chartTheme,
  LEVEL_COLOURS,
  TREND_METRICS,
  trendAnomalyText,
  trendChart,
  trendOptions,
  type TrendMetric,
} from "./charts";
import { visuallyHidden } from "./chartSetup";
import type { TrendAnomaly, TrendPoint, Trends } from "./types";

export const TREND_DAYS = [7, 30] as const;

export { TREND_METRICS };

const chartBox: CSSProperties = {
  border: `1px solid ${s.tint(18)}`,
  borderRadius: "6px",
  padding: "6px 10px 4px 10px",
  minWidth: 0,
};

/** 7- and 30-day charts of a DAG's (or job's) batches: duration, success rate, rows, DQ error rate. */
export function TrendsPanel({
  dagId,
  jobId,
  refreshToken,
}: {
  dagId: string | null;
  jobId: string;
  refreshToken?: number;
}) {
  const [days, setDays] = useState<number>(7);
  const load = useCallback((signal: AbortSignal) => fetchTrends({ dagId, jobId }, days, signal), [dagId, jobId, days]);
  const key = `${dagId ?? ""}|${jobId}|${days}`;
  const query = usePolledQuery(load, key, 0);
  useRefreshOnChange(refreshToken, query.refresh, key);
  const trends = query.data;
  return (
    <div data-testid="flowlytics-trends" data-days={days}>
      <div style={{ display: "flex", gap: "8px", alignItems: "center", margin: "4px 0 10px 0", flexWrap: "wrap" }}>
        <span style={s.muted}>
          Daily, per UTC day, for {dagId ? "DAG" : "job"} <code style={s.code}>{dagId ?? jobId}</code>:
        </span>
        {TREND_DAYS.map((d) => (
          <button
            key={d}
            type="button"
            data-testid={`flowlytics-trend-days-${d}`}
            aria-pressed={days === d}
            style={{ ...s.button, fontWeight: days === d ? 700 : 400, background: days === d ? s.tint(12) : "transparent" }}
            onClick={() => setDays(d)}
          >
            {d} days
          </button>
        ))}
      </div>
      {query.error ? (
        <div role="alert" style={s.errorBox}>
          Could not load the trends{query.error instanceof ApiError ? ` (HTTP ${query.error.status})` : ""}:{" "}
          {query.error.message}
        </div>
      ) : null}
      {!trends && query.loading ? <div style={{ ...s.notice, ...s.muted }}>Loading trends…</div> : null}
      {trends ? <TrendCharts trends={trends} /> : null}
      {trends?.jobId ? <BaselineChart jobId={trends.jobId} title="Duration per batch, with its band of normal" refreshToken={refreshToken} /> : null}
    </div>
  );
}

export function TrendCharts({ trends }: { trends: Trends }) {
  const total = trends.points.reduce((n, p) => n + p.batches, 0);
  const mode = useColorMode();
  const theme = useMemo(() => chartTheme(mode, PALETTES[mode]), [mode]);
  return (
    <>
      <div style={{ ...s.muted, marginBottom: "6px" }} data-testid="flowlytics-trend-batches">
        {total} batch{total === 1 ? "" : "es"} in the last {trends.days} days
        {trends.anomalies.length > 0 ? (
          <span data-testid="flowlytics-trend-anomaly-count">
            {" "}
            · {trends.anomalies.length} anomal{trends.anomalies.length === 1 ? "y" : "ies"}
          </span>
        ) : null}
      </div>
      <div
        data-color-mode={mode}
        style={{ display: "grid", gridTemplateColumns: "repeat(auto-fill, minmax(300px, 1fr))", gap: "10px" }}
      >
        {TREND_METRICS.map((metric) => (
          <TrendChart key={metric.key} metric={metric} points={trends.points} anomalies={trends.anomalies} theme={theme} />
        ))}
      </div>
    </>
  );
}

function TrendChart({
  metric,
  points,
  anomalies,
  theme,
}: {
  metric: TrendMetric;
  points: TrendPoint[];
  anomalies: TrendAnomaly[];
  theme: ReturnType<typeof chartTheme>;
}) {
  const chart = useMemo(() => trendChart(metric, points, anomalies), [metric, points, anomalies]);
  const options = useMemo(() => trendOptions(metric, chart, points, theme), [metric, chart, points, theme]);
  const marked = chart.marks.flatMap((marks, i) => marks.map((a) => ({ a, date: points[i].date })));
  return (
    <figure
      data-testid="flowlytics-trend-chart"
      data-metric={metric.key}
      data-anomalies={marked.length}
      style={{ ...chartBox, margin: 0, position: "relative" }}
    >
      <figcaption style={{ display: "flex", justifyContent: "space-between", fontSize: "12px", gap: "8px" }}>
        <strong>{metric.title}</strong>
        <span style={s.muted}>latest {metric.format(chart.latest)}</span>
      </figcaption>
      <div style={{ position: "relative", height: "110px" }} role="img" aria-label={`${metric.title}, ${points.length} days`}>
        {metric.kind === "bar" ? (
          <Bar data={chart.data as never} options={options as never} />
        ) : (
          <Line data={chart.data as never} options={options as never} />
        )}
      </div>
      {marked.length > 0 ? (
        <ul style={{ listStyle: "none", margin: "4px 0 0 0", padding: 0, fontSize: "11px" }}>
          {marked.map(({ a, date }) => (
            <li
              key={a.id}
              data-testid="flowlytics-trend-anomaly"
              data-level={a.level}
              data-date={date}
              style={{ color: LEVEL_COLOURS[a.level] }}
            >
              <span aria-hidden="true">▲ </span>
              {date}: {trendAnomalyText(a)}
            </li>
          ))}
        </ul>
      ) : null}
      {chart.empty ? <div style={{ ...s.muted, fontSize: "11px" }}>No data in this period.</div> : null}
      <table data-testid="flowlytics-trend-table" style={visuallyHidden}>
        <caption>{metric.title} per UTC day</caption>
        <thead>
          <tr>
            <th scope="col">Day</th>
            <th scope="col">{metric.title}</th>
            <th scope="col">Batches</th>
            <th scope="col">Anomalies</th>
          </tr>
        </thead>
        <tbody>
          {points.map((p, i) => (
            <tr key={p.date}>
              <td>{p.date}</td>
              <td>{metric.format(chart.data.datasets[0].data[i] ?? null)}</td>
              <td>{p.batches}</td>
              <td>{chart.marks[i].map(trendAnomalyText).join("; ")}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
