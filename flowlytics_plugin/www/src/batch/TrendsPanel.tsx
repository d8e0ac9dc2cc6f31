import { useCallback, useState, type CSSProperties } from "react";
import { fetchTrends } from "../api/batches";
import { ApiError } from "../api/client";
import * as s from "../components/styles";
import { formatDuration } from "../lib/format";
import { usePolledQuery } from "../lib/usePolledQuery";
import { useRefreshOnChange } from "../lib/useLiveVersion";
import { bars, labelIndices, linePath, niceMax, shortDate, slotX, valueY, type Plot } from "./charts";
import { formatPercent, formatRows } from "./format";
import type { TrendPoint, Trends } from "./types";

export const TREND_DAYS = [7, 30] as const;

const W = 320;
const H = 110;
const LEFT = 8;
const TOP = 14;
const BOTTOM = 18;

interface Metric {
  key: "avgDurationSeconds" | "successRate" | "rowsProcessed" | "dqErrorRate";
  title: string;
  kind: "line" | "bar";
  colour: string;
  /** Fixed top of the y axis (rates), else a nice max of the data. */
  fixedMax?: number;
  format: (v: number | null) => string;
}

export const TREND_METRICS: readonly Metric[] = [
  { key: "avgDurationSeconds", title: "Average duration", kind: "line", colour: "#1d4ed8", format: formatDuration },
  { key: "successRate", title: "Success rate", kind: "line", colour: "#15803d", fixedMax: 1, format: formatPercent },
  { key: "rowsProcessed", title: "Rows processed", kind: "bar", colour: "#6d28d9", format: (v) => formatRows(v) },
  { key: "dqErrorRate", title: "DQ error rate", kind: "line", colour: "#b91c1c", format: formatPercent },
];

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
    </div>
  );
}

export function TrendCharts({ trends }: { trends: Trends }) {
  const total = trends.points.reduce((n, p) => n + p.batches, 0);
  return (
    <>
      <div style={{ ...s.muted, marginBottom: "6px" }} data-testid="flowlytics-trend-batches">
        {total} batch{total === 1 ? "" : "es"} in the last {trends.days} days
      </div>
      <div style={{ display: "grid", gridTemplateColumns: "repeat(auto-fill, minmax(300px, 1fr))", gap: "10px" }}>
        {TREND_METRICS.map((metric) => (
          <TrendChart key={metric.key} metric={metric} points={trends.points} />
        ))}
      </div>
    </>
  );
}

function TrendChart({ metric, points }: { metric: Metric; points: TrendPoint[] }) {
  const values = points.map((p) => (p.batches > 0 ? p[metric.key] : null));
  const known = values.filter((v): v is number => v !== null);
  const max = metric.fixedMax ?? niceMax(known.length ? Math.max(...known) : 0);
  const plot: Plot = { width: W - LEFT, height: H - TOP - BOTTOM, max };
  const latest = [...values].reverse().find((v) => v !== null) ?? null;
  const labels = labelIndices(points.length, points.length > 10 ? 4 : points.length);
  return (
    <figure data-testid="flowlytics-trend-chart" data-metric={metric.key} style={{ ...chartBox, margin: 0 }}>
      <figcaption style={{ display: "flex", justifyContent: "space-between", fontSize: "12px", gap: "8px" }}>
        <strong>{metric.title}</strong>
        <span style={s.muted}>latest {metric.format(latest)}</span>
      </figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        width="100%"
        role="img"
        aria-label={`${metric.title}, ${points.length} days`}
        style={{ display: "block", overflow: "visible" }}
      >
        <g transform={`translate(${LEFT} ${TOP})`}>
          <line x1={0} x2={plot.width} y1={plot.height} y2={plot.height} stroke="currentColor" strokeOpacity={0.35} />
          <line x1={0} x2={plot.width} y1={0} y2={0} stroke="currentColor" strokeOpacity={0.12} strokeDasharray="3 3" />
          <text x={0} y={-4} fontSize={9} fill="currentColor" fillOpacity={0.65}>
            {metric.format(max)}
          </text>
          {metric.kind === "bar"
            ? bars(values, plot).map((b) => (
                <rect key={b.index} x={b.x} y={b.y} width={b.width} height={Math.max(b.height, 0.5)} fill={metric.colour}>
                  <title>{`${points[b.index].date}: ${metric.format(values[b.index])}`}</title>
                </rect>
              ))
            : (
                <>
                  <path d={linePath(values, plot)} fill="none" stroke={metric.colour} strokeWidth={2} />
                  {values.map((v, i) =>
                    v === null ? null : (
                      <circle key={i} cx={slotX(i, values.length, plot.width)} cy={valueY(v, plot)} r={points.length > 10 ? 2 : 3} fill={metric.colour}>
                        <title>{`${points[i].date}: ${metric.format(v)} (${points[i].batches} batch${points[i].batches === 1 ? "" : "es"})`}</title>
                      </circle>
                    ),
                  )}
                </>
              )}
          {labels.map((i) => (
            <text
              key={i}
              x={slotX(i, points.length, plot.width)}
              y={plot.height + 12}
              fontSize={9}
              textAnchor="middle"
              fill="currentColor"
              fillOpacity={0.65}
            >
              {shortDate(points[i].date)}
            </text>
          ))}
        </g>
      </svg>
      {known.length === 0 ? <div style={{ ...s.muted, fontSize: "11px" }}>No data in this period.</div> : null}
    </figure>
  );
}
