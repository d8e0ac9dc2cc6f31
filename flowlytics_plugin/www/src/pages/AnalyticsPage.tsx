import { useCallback, useEffect, useMemo, useState, type CSSProperties } from "react";
import {
  executionsCsvUrl,
  fetchCost,
  fetchCriticalPath,
  fetchErrorCategories,
  fetchExecutions,
  fetchRankings,
  fetchSteps,
  fetchSummary,
  fetchVersions,
  GRANULARITIES,
  RANKING_METRICS,
  type AnalyticsFilters,
  type CostOverview,
  type ExecutionPoint,
  type ExecutionSummary,
  type Granularity,
  type RankingMetric,
} from "../api/analytics";
import { ExecutionsChart } from "../analytics/ExecutionsChart";
import { GanttChart, GanttFacts } from "../analytics/GanttChart";
import { ganttModel, runOptionLabel } from "../analytics/gantt";
import { fetchBatches } from "../api/batches";
import {
  breakdownRows,
  dayInputToIso,
  effectiveRange,
  formatCount,
  formatMoney,
  formatPercent,
  formatSeconds,
  isoToDayInput,
  kpiCards,
  METRIC_COLORS,
  METRIC_LABELS,
  METRICS,
  previousRange,
  readAnalyticsUrl,
  seriesToChartData,
  toggleMetric,
  withComparison,
  writeAnalyticsUrl,
  zoomRange,
  type AnalyticsUrlState,
} from "../analytics/logic";
import * as s from "../components/styles";
import { usePolledQuery } from "../lib/usePolledQuery";
import type { PluginProps } from "../types";

const REFRESH_MS = 60_000;

const cards: CSSProperties = { display: "flex", flexWrap: "wrap", gap: "12px", marginBottom: "16px" };
const card: CSSProperties = {
  border: `1px solid ${s.tint(25)}`,
  borderRadius: "8px",
  padding: "10px 14px",
  minWidth: "150px",
  flex: "1 1 150px",
};
const cardValue: CSSProperties = { fontSize: "22px", fontWeight: 600, fontVariantNumeric: "tabular-nums" };
const section: CSSProperties = { fontSize: "16px", fontWeight: 600, margin: "20px 0 8px 0" };

function deltaColor(better: boolean | null): string | undefined {
  if (better === null) return undefined;
  return better ? "#16a34a" : "#dc2626";
}

function initialState(dagId: string | null): AnalyticsUrlState {
  return readAnalyticsUrl(typeof window === "undefined" ? "" : window.location.search, dagId);
}

function ErrorNote({ what, error }: { what: string; error: Error | undefined }) {
  if (!error) return null;
  return (
    <div role="alert" style={s.errorBox}>
      Could not load {what}: {error.message}
    </div>
  );
}

export function Table({ testId, headers, rows }: { testId: string; headers: string[]; rows: (string | number)[][] }) {
  return (
    <div style={s.tableWrap}>
      <table data-testid={testId} style={s.table}>
        <thead>
          <tr>
            {headers.map((h) => (
              <th key={h} style={s.th}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={i} data-testid={`${testId}-row`}>
              {row.map((cell, j) => (
                <td key={j} style={j === 0 ? s.td : s.tdNowrap}>
                  {cell}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length === 0 ? <div style={s.notice}>Nothing in this range.</div> : null}
    </div>
  );
}

/**
 * The Analytics page (Browse → Analytics) and, with `dagId`, a DAG's "Analytics" tab: KPI cards against the
 * previous period, the executions chart (granularity, overlaid metrics, CSV), breakdowns, error categories,
 * rankings; on the DAG tab the step timing and the DAG versions. The URL keeps the filters.
 */
export function AnalyticsPage({ dagId }: PluginProps) {
  const dag = dagId ?? null;
  const [view, setView] = useState<AnalyticsUrlState>(() => initialState(dag));
  // While zoomed, every query uses the dragged range (the date pickers show it; changing them ends the zoom).
  const range = effectiveRange(view);
  const filters: AnalyticsFilters = useMemo(
    () => ({ from: range.from, to: range.to, granularity: view.granularity, dagId: dag }),
    [range.from, range.to, view.granularity, dag],
  );
  const key = JSON.stringify(filters);

  useEffect(() => {
    if (typeof window === "undefined") return;
    const search = writeAnalyticsUrl(window.location.search, view);
    if (search !== window.location.search) {
      window.history.replaceState(window.history.state, "", `${window.location.pathname}${search}${window.location.hash}`);
    }
  }, [view]);
  useEffect(() => {
    const onPop = () => setView(readAnalyticsUrl(window.location.search, dag));
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, [dag]);

  const summary = usePolledQuery(useCallback((signal: AbortSignal) => fetchSummary(filters, signal), [filters]), key, REFRESH_MS);
  const executions = usePolledQuery(
    useCallback((signal: AbortSignal) => fetchExecutions(filters, null, signal), [filters]),
    key,
    REFRESH_MS,
  );
  // The cards and the chart first: the tables below the fold ask only once those two have answered, so that
  // their (heavier) queries do not compete with the first view for the server (bench:analytics-ui).
  const firstViewDone = Boolean((summary.data || summary.error) && (executions.data || executions.error));
  const later = firstViewDone ? "" : "|waiting";
  const byDag = usePolledQuery(
    useCallback(
      (signal: AbortSignal) => (firstViewDone ? fetchExecutions(filters, "dag", signal) : Promise.resolve(undefined)),
      [filters, firstViewDone],
    ),
    key + later,
    REFRESH_MS,
  );
  const byTrigger = usePolledQuery(
    useCallback(
      (signal: AbortSignal) =>
        firstViewDone ? fetchExecutions(filters, "triggerType", signal) : Promise.resolve(undefined),
      [filters, firstViewDone],
    ),
    key + later,
    REFRESH_MS,
  );
  const errors = usePolledQuery(
    useCallback(
      (signal: AbortSignal) => (firstViewDone ? fetchErrorCategories(filters, signal) : Promise.resolve(undefined)),
      [filters, firstViewDone],
    ),
    key + later,
    REFRESH_MS,
  );
  const ranking = view.ranking;
  const rankings = usePolledQuery(
    useCallback(
      (signal: AbortSignal) =>
        dag || !firstViewDone ? Promise.resolve(undefined) : fetchRankings(filters, ranking, signal),
      [filters, ranking, dag, firstViewDone],
    ),
    `${key}|${ranking}${later}`,
    REFRESH_MS,
  );
  const steps = usePolledQuery(
    useCallback(
      (signal: AbortSignal) => (dag && firstViewDone ? fetchSteps(filters, dag, signal) : Promise.resolve(undefined)),
      [filters, dag, firstViewDone],
    ),
    key + later,
    REFRESH_MS,
  );
  const versions = usePolledQuery(
    useCallback(
      (signal: AbortSignal) => (dag && firstViewDone ? fetchVersions(dag, signal) : Promise.resolve(undefined)),
      [dag, firstViewDone],
    ),
    (dag ?? "") + later,
    REFRESH_MS,
  );

  // The comparison overlay: the same query over the range of equal length before the one answered.
  const answeredFrom = executions.data?.from;
  const answeredTo = executions.data?.to;
  const previousFilters: AnalyticsFilters | null = useMemo(() => {
    const range = view.compare && answeredFrom && answeredTo ? previousRange(answeredFrom, answeredTo) : null;
    return range ? { ...filters, from: range.from, to: range.to } : null;
  }, [filters, view.compare, answeredFrom, answeredTo]);
  const previousExecutions = usePolledQuery(
    useCallback(
      (signal: AbortSignal) => (previousFilters ? fetchExecutions(previousFilters, null, signal) : Promise.resolve(undefined)),
      [previousFilters],
    ),
    JSON.stringify(previousFilters),
    REFRESH_MS,
  );
  const cost = usePolledQuery(
    useCallback(
      (signal: AbortSignal) => (firstViewDone ? fetchCost(dag, signal) : Promise.resolve(undefined)),
      [dag, firstViewDone],
    ),
    (dag ?? "") + later,
    REFRESH_MS,
  );
  const chartData = useMemo(() => {
    const current = seriesToChartData(executions.data?.series ?? [], view.metrics, view.granularity);
    return previousFilters && previousExecutions.data
      ? withComparison(current, previousExecutions.data.series, view.metrics)
      : current;
  }, [executions.data, previousExecutions.data, previousFilters, view.metrics, view.granularity]);
  const currency = summary.data?.currency ?? executions.data?.currency ?? "";
  const update = (patch: Partial<AnalyticsUrlState>) => setView((prev) => ({ ...prev, ...patch }));
  const buckets = executions.data?.series[0]?.points.map((p) => p.bucket) ?? [];
  const onZoom = (a: number, b: number) => {
    const zoomed = answeredTo ? zoomRange(buckets, answeredTo, a, b) : null;
    if (zoomed) update({ zoomFrom: zoomed.from, zoomTo: zoomed.to });
  };
  const zoomed = Boolean(view.zoomFrom && view.zoomTo);

  return (
    <div data-testid="flowlytics-analytics" style={s.page}>
      <h2 style={s.title}>{dag ? `Analytics: ${dag}` : "Analytics"}</h2>
      <div style={s.toolbar}>
        <label>
          From (UTC){" "}
          <input
            type="date"
            data-testid="flowlytics-analytics-from"
            style={s.select}
            value={isoToDayInput(range.from, false)}
            onChange={(e) => update({ from: dayInputToIso(e.target.value, false), to: range.to, zoomFrom: null, zoomTo: null })}
          />
        </label>
        <label>
          To (UTC){" "}
          <input
            type="date"
            data-testid="flowlytics-analytics-to"
            style={s.select}
            value={isoToDayInput(range.to, true)}
            onChange={(e) => update({ to: dayInputToIso(e.target.value, true), from: range.from, zoomFrom: null, zoomTo: null })}
          />
        </label>
        <label>
          Granularity{" "}
          <select
            data-testid="flowlytics-analytics-granularity"
            style={s.select}
            value={view.granularity}
            onChange={(e) => update({ granularity: e.target.value as Granularity })}
          >
            {GRANULARITIES.map((g) => (
              <option key={g} value={g}>
                {g}
              </option>
            ))}
          </select>
        </label>
        <a data-testid="flowlytics-analytics-csv" style={s.link} href={executionsCsvUrl(filters)} download>
          download data (CSV)
        </a>
        {!range.from && !range.to ? <span style={s.muted}>last 30 days</span> : null}
        {zoomed ? (
          <>
            <span data-testid="flowlytics-analytics-zoomed" style={s.muted}>
              zoomed to {range.from?.slice(0, 16).replace("T", " ")} – {range.to?.slice(0, 16).replace("T", " ")} UTC
            </span>
            <button
              type="button"
              data-testid="flowlytics-analytics-reset-zoom"
              style={s.button}
              onClick={() => update({ zoomFrom: null, zoomTo: null })}
            >
              reset zoom
            </button>
          </>
        ) : (
          <span style={s.muted}>drag across the chart to zoom</span>
        )}
      </div>

      <ErrorNote what="the summary" error={summary.error} />
      {summary.data ? <KpiCards summary={summary.data} /> : null}

      <div style={{ ...s.toolbar, gap: "8px" }} data-testid="flowlytics-analytics-metrics">
        <span style={s.muted}>Metrics:</span>
        {METRICS.map((metric) => (
          <label key={metric} style={{ color: METRIC_COLORS[metric], fontWeight: 500 }}>
            <input
              type="checkbox"
              data-testid={`flowlytics-metric-${metric}`}
              checked={view.metrics.includes(metric)}
              onChange={() => update({ metrics: toggleMetric(view.metrics, metric) })}
            />{" "}
            {METRIC_LABELS[metric]}
          </label>
        ))}
        <label>
          <input
            type="checkbox"
            data-testid="flowlytics-analytics-compare"
            checked={view.compare}
            onChange={(e) => update({ compare: e.target.checked })}
          />{" "}
          compare with the previous period
        </label>
      </div>
      <ErrorNote what="the executions" error={executions.error} />
      <ErrorNote what="the previous period" error={previousExecutions.error} />
      {executions.data ? <ExecutionsChart data={chartData} metrics={view.metrics} onZoom={onZoom} /> : null}

      {dag ? null : (
        <>
          <h3 style={section}>By DAG</h3>
          <ErrorNote what="the breakdown by DAG" error={byDag.error} />
          <BreakdownTable testId="flowlytics-analytics-by-dag" label="DAG" data={byDag.data} currency={currency} />
        </>
      )}
      <h3 style={section}>By trigger type</h3>
      <ErrorNote what="the breakdown by trigger type" error={byTrigger.error} />
      <BreakdownTable testId="flowlytics-analytics-by-trigger" label="Trigger type" data={byTrigger.data} currency={currency} />

      {dag ? (
        <>
          <h3 style={section}>Step timing</h3>
          <ErrorNote what="the step timing" error={steps.error} />
          {steps.data ? (
            <>
              <div style={s.muted}>
                {steps.data.dagRuns} DAG runs; critical path counted in {steps.data.criticalPathRunsCounted}.
              </div>
              <Table
                testId="flowlytics-analytics-steps"
                headers={["Task", "Runs", "Failure rate", "Avg", "p50", "p95", "Avg wait", "Share of run", "On critical path"]}
                rows={steps.data.items.map((t) => [
                  t.taskId,
                  t.runs,
                  formatPercent(t.failureRate),
                  formatSeconds(t.avgDurationSeconds),
                  formatSeconds(t.p50DurationSeconds),
                  formatSeconds(t.p95DurationSeconds),
                  formatSeconds(t.avgWaitSeconds),
                  formatPercent(t.shareOfDagRunTime),
                  `${t.criticalPathRuns} (${formatPercent(t.criticalPathShare)})`,
                ])}
              />
            </>
          ) : null}
          <h3 style={section}>Gantt of a run</h3>
          <RunGantt
            enabled={firstViewDone}
            dagId={dag}
            from={range.from}
            to={range.to}
            run={view.run}
            onRun={(run) => update({ run })}
          />
          <h3 style={section}>DAG versions</h3>
          <ErrorNote what="the DAG versions" error={versions.error} />
          {versions.data ? (
            <Table
              testId="flowlytics-analytics-versions"
              headers={["Version", "Runs", "Success rate", "Avg duration", "p95 duration", "First run", "Last run"]}
              rows={versions.data.items.map((v) => [
                v.dagVersion ?? "(unknown)",
                v.runs,
                formatPercent(v.successRate),
                formatSeconds(v.avgDurationSeconds),
                formatSeconds(v.p95DurationSeconds),
                v.firstRunAt,
                v.lastRunAt,
              ])}
            />
          ) : null}
        </>
      ) : null}

      <h3 style={section}>Cost and budgets</h3>
      <ErrorNote what="the cost" error={cost.error} />
      {cost.data ? <CostPanel cost={cost.data} /> : null}

      <h3 style={section}>Error categories</h3>
      <ErrorNote what="the error categories" error={errors.error} />
      {errors.data ? (
        <Table
          testId="flowlytics-analytics-errors"
          headers={["Error", "Exception", "Count", "Jobs", "First seen", "Last seen"]}
          rows={errors.data.items.map((e) => [
            e.pattern || "(no error message)",
            e.exceptionType ?? "",
            e.count,
            e.jobs.join(", "),
            e.firstSeen,
            e.lastSeen,
          ])}
        />
      ) : null}

      {dag ? null : (
        <>
          <h3 style={section}>Rankings</h3>
          <div style={s.toolbar}>
            <select
              data-testid="flowlytics-analytics-ranking"
              style={s.select}
              value={ranking}
              onChange={(e) => update({ ranking: e.target.value as RankingMetric })}
            >
              {RANKING_METRICS.map((m) => (
                <option key={m} value={m}>
                  {m === "slowest" ? "slowest (p95)" : m === "failing" ? "most failing" : "fastest growing p95"}
                </option>
              ))}
            </select>
          </div>
          <ErrorNote what="the rankings" error={rankings.error} />
          {rankings.data ? (
            <Table
              testId="flowlytics-analytics-rankings"
              headers={["Job", "Runs", "Failed", "p95 duration", ranking === "growing" ? "p95 before" : "Success rate"]}
              rows={rankings.data.items.map((r) => [
                r.jobNodeId,
                r.total,
                r.failed,
                formatSeconds(r.p95DurationSeconds),
                ranking === "growing" ? formatSeconds(r.previousP95DurationSeconds ?? null) : formatPercent(r.successRate),
              ])}
            />
          ) : null}
        </>
      )}
    </div>
  );
}

export function BreakdownTable({
  testId,
  label,
  data,
  currency,
}: {
  testId: string;
  label: string;
  data: { series: { key: string; points: ExecutionPoint[] }[] } | undefined;
  currency: string;
}) {
  if (!data) return null;
  return (
    <Table
      testId={testId}
      headers={[label, "Runs", "Succeeded", "Failed", "Success rate", "Rows written", "Cost"]}
      rows={breakdownRows(data.series).map((r) => [
        r.key,
        formatCount(r.total),
        formatCount(r.succeeded),
        formatCount(r.failed),
        formatPercent(r.successRate),
        formatCount(r.rowsWritten),
        formatMoney(r.cost, currency),
      ])}
    />
  );
}

/** The KPI cards: each figure of the range with its change against the previous period of equal length. */
export function KpiCards({ summary }: { summary: ExecutionSummary }) {
  return (
    <div data-testid="flowlytics-analytics-cards" style={cards}>
      {kpiCards(summary).map((kpi) => (
        <div key={kpi.key} data-testid="flowlytics-kpi" data-kpi={kpi.key} style={card}>
          <div style={s.muted}>{kpi.label}</div>
          <div style={cardValue}>{kpi.value}</div>
          <div
            data-testid="flowlytics-kpi-delta"
            style={{ fontSize: "12px", color: deltaColor(kpi.delta.better) }}
            title={`previous period: ${kpi.previous}`}
          >
            {kpi.deltaText}
          </div>
        </div>
      ))}
    </div>
  );
}

/** Cost: the 30-day projection and each monthly budget's use (spent and projected at month end). */
export function CostPanel({ cost }: { cost: CostOverview }) {
  const money = (value: number) => formatMoney(value, cost.currency);
  const last28 = cost.days.reduce((acc, d) => acc + d.cost, 0);
  return (
    <div data-testid="flowlytics-analytics-cost">
      <div style={cards}>
        <div style={card} data-testid="flowlytics-cost-projection">
          <div style={s.muted}>Projected next 30 days</div>
          <div style={cardValue}>{money(cost.projection.next30Days)}</div>
          <div style={{ fontSize: "12px" }}>
            {cost.projection.basis} · daily mean {money(cost.projection.dailyMean)}
          </div>
        </div>
        <div style={card}>
          <div style={s.muted}>Last 28 days</div>
          <div style={cardValue}>{money(last28)}</div>
          <div style={{ fontSize: "12px" }}>
            {cost.rateCardConfigured ? "from the rate card and billed figures" : "no rate card configured: costs are 0"}
          </div>
        </div>
      </div>
      {cost.budgets.length > 0 ? (
        <Table
          testId="flowlytics-analytics-budgets"
          headers={["Budget", "Monthly", "Spent this month", "Use", "Projected month end", "Projected use"]}
          rows={cost.budgets.map((b) => [
            b.dagId ? `DAG ${b.dagId}` : `owner ${b.owner ?? ""}`,
            money(b.monthlyAmount),
            money(b.spentThisMonth),
            formatPercent(b.use),
            money(b.projectedMonthEnd),
            formatPercent(b.projectedUse),
          ])}
        />
      ) : (
        <div style={s.muted}>No monthly budget set (see README "Cost: rate card and budgets").</div>
      )}
    </div>
  );
}

const DAY_MS = 86_400_000;
const RECENT_RUNS = 50;

/**
 * A DAG run's Gantt with its run picker (the DAG's recent runs in the page's range, newest first; the URL keeps
 * the chosen one, else the newest is shown). Bars, highlight and slack come from the run's critical-path answer.
 */
export function RunGantt({
  enabled = true,
  dagId,
  from,
  to,
  run,
  onRun,
}: {
  /** False until the page's first view is drawn (see AnalyticsPage). */
  enabled?: boolean;
  dagId: string;
  from: string | null;
  to: string | null;
  run: string | null;
  onRun: (run: string | null) => void;
}) {
  // The page's default range is the last 30 days; the batches list's own default is 7.
  const since = useMemo(() => from ?? new Date(Date.now() - 30 * DAY_MS).toISOString(), [from]);
  const runs = usePolledQuery(
    useCallback(
      (signal: AbortSignal) =>
        enabled ? fetchBatches({ dagId, since, until: to, limit: RECENT_RUNS }, signal) : Promise.resolve(undefined),
      [dagId, since, to, enabled],
    ),
    `${dagId}|${since}|${to ?? ""}|${enabled}`,
    REFRESH_MS,
  );
  const items = runs.data?.items ?? [];
  const chosen = run ?? items[0]?.batchId ?? null;
  const path = usePolledQuery(
    useCallback(
      (signal: AbortSignal) => (chosen ? fetchCriticalPath(chosen, signal) : Promise.resolve(undefined)),
      [chosen],
    ),
    chosen ?? "",
    REFRESH_MS,
  );
  const model = useMemo(() => (path.data ? ganttModel(path.data, new Date().toISOString()) : null), [path.data]);
  const listed = items.some((b) => b.batchId === chosen);
  return (
    <div data-testid="flowlytics-gantt">
      <div style={s.toolbar}>
        <label>
          Run{" "}
          <select
            data-testid="flowlytics-gantt-run"
            style={s.select}
            value={chosen ?? ""}
            onChange={(e) => onRun(e.target.value || null)}
          >
            {chosen && !listed ? <option value={chosen}>{chosen} (not in this range)</option> : null}
            {items.map((b) => (
              <option key={b.batchId} value={b.batchId}>
                {runOptionLabel(b)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNote what="the runs" error={runs.error} />
      <ErrorNote what="the run's critical path" error={path.error} />
      {runs.data && items.length === 0 && !chosen ? <div style={s.notice}>No run of this DAG in this range.</div> : null}
      {model && path.data?.runId === chosen ? (
        <>
          <GanttChart model={model} />
          <GanttFacts model={model} />
        </>
      ) : null}
    </div>
  );
}
