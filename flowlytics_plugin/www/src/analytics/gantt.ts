/**
 * Pure logic of the Gantt of one DAG run (DAG tab → "Gantt of a run"): the floating bars Chart.js draws from a
 * `/analytics/runs/{runId}/critical-path` answer, on a shared axis in seconds from the run's start. No React, no
 * DOM (unit-tested in tests/analytics-gantt.test.ts).
 */
import type { CriticalPath } from "../api/analytics";
import { formatSeconds } from "./logic";

export type BarKind = "wait" | "critical" | "other" | "open";

/** One bar: [start, end] seconds after the run's start on the row of `task`. */
export interface GanttBar {
  kind: BarKind;
  task: string;
  start: number;
  end: number;
  /** 1-based try number (0 for a wait bar). */
  attempt: number;
  attempts: number;
  state: string | null;
  /** False for a try that never ended (running, or killed without an end event): drawn up to `now`. */
  ended: boolean;
}

export interface GanttRow {
  task: string;
  jobNodeId: string;
  onCriticalPath: boolean;
  state: string | null;
  /** Seconds after the run's start, null when no try started. */
  start: number | null;
  /** End of the last try, null while it has none. */
  end: number | null;
  runSeconds: number | null;
  waitSeconds: number | null;
  /** How much later the task could have finished without moving the run's end; null on the path or unknown. */
  slackSeconds: number | null;
  tries: number;
}

export interface GanttModel {
  /** ISO start the axis counts from (the DAG run's start, else its first task's). */
  origin: string | null;
  /** Where the axis ends: the run's end, else the latest known moment (open bars stop there). */
  horizon: number;
  rows: GanttRow[];
  bars: GanttBar[];
  /** Task names of the critical path, first to last (the text version of the highlight). */
  criticalPath: string[];
  totalSeconds: number;
}

/** Colours of the bar kinds; the critical path stands out in both colour modes, the rest stays calm. */
export const GANTT_COLORS: Readonly<Record<BarKind, string>> = {
  wait: "#9ca3af66",
  critical: "#f97316",
  other: "#3b82f6",
  open: "#a855f7",
};

export const GANTT_LABELS: Readonly<Record<BarKind, string>> = {
  wait: "Wait before start",
  critical: "Critical path",
  other: "Other tasks",
  open: "No end (running or killed)",
};

function ms(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

/**
 * The Gantt of a run. `nowIso` closes the bars of tries without an end when the run itself has none either (a run
 * that is still going); a finished run closes them at its end.
 */
export function ganttModel(path: CriticalPath, nowIso: string): GanttModel {
  const starts = path.tasks.flatMap((t) => t.attempts.map((a) => ms(a.startedAt) ?? ms(a.endedAt))).filter(
    (t): t is number => t !== null,
  );
  const runStart = ms(path.dagRunStartedAt);
  const originMs = runStart ?? (starts.length > 0 ? Math.min(...starts) : null);
  const at = (iso: string | null | undefined): number | null => {
    const t = ms(iso);
    return t === null || originMs === null ? null : (t - originMs) / 1000;
  };
  const known = path.tasks.flatMap((t) => t.attempts.flatMap((a) => [at(a.startedAt), at(a.endedAt)]));
  const runEnd = at(path.dagRunEndedAt);
  const latest = Math.max(0, ...known.filter((t): t is number => t !== null));
  const now = at(nowIso);
  const horizon = runEnd ?? Math.max(latest, now ?? latest);

  const onPath = new Set(path.steps.map((s) => s.jobNodeId));
  const slack = new Map(path.others.map((o) => [o.jobNodeId, o.slackSeconds]));
  const label = uniqueLabels(path.tasks.map((t) => [t.jobNodeId, t.taskId]));
  const rows: GanttRow[] = [];
  const bars: GanttBar[] = [];
  for (const task of path.tasks) {
    const name = label.get(task.jobNodeId) ?? task.taskId;
    const critical = onPath.has(task.jobNodeId);
    const tries = task.attempts.length;
    let first: number | null = null;
    let lastEnd: number | null = null;
    let ran = 0;
    task.attempts.forEach((attempt, index) => {
      const end = at(attempt.endedAt);
      const start = at(attempt.startedAt) ?? end;
      if (start === null) return;
      first = first === null ? start : Math.min(first, start);
      if (end !== null) {
        lastEnd = lastEnd === null ? end : Math.max(lastEnd, end);
        ran += end - start;
      }
      bars.push({
        kind: end === null ? "open" : critical ? "critical" : "other",
        task: name,
        start,
        end: end ?? Math.max(horizon, start),
        attempt: index + 1,
        attempts: tries,
        state: attempt.state,
        ended: end !== null,
      });
    });
    const wait = task.waitSeconds;
    if (first !== null && wait !== null && wait > 0) {
      bars.push({ kind: "wait", task: name, start: first - wait, end: first, attempt: 0, attempts: tries, state: null, ended: true });
    }
    rows.push({
      task: name,
      jobNodeId: task.jobNodeId,
      onCriticalPath: critical,
      state: task.state,
      start: first,
      end: lastEnd,
      runSeconds: lastEnd === null ? null : ran,
      waitSeconds: wait,
      slackSeconds: critical ? null : (slack.get(task.jobNodeId) ?? null),
      tries,
    });
  }
  return {
    origin: originMs === null ? null : new Date(originMs).toISOString(),
    horizon,
    rows,
    bars,
    criticalPath: path.steps.map((s) => label.get(s.jobNodeId) ?? s.jobNodeId),
    totalSeconds: path.totalSeconds,
  };
}

/** Task ids as row labels; where two tasks share one (different namespaces), the job node id tells them apart. */
function uniqueLabels(pairs: [string, string][]): Map<string, string> {
  const count = new Map<string, number>();
  for (const [, taskId] of pairs) count.set(taskId, (count.get(taskId) ?? 0) + 1);
  return new Map(pairs.map(([node, taskId]) => [node, (count.get(taskId) ?? 0) > 1 ? node : taskId]));
}

export interface GanttDataset {
  label: string;
  kind: BarKind;
  data: { x: [number, number]; y: string; bar: GanttBar }[];
  backgroundColor: string;
  borderColor: string;
  borderWidth: number;
  borderDash?: number[];
  grouped: false;
}

/** Chart.js datasets: one per bar kind (so the legend names each), bars overlaid on their task's row. */
export function ganttDatasets(model: GanttModel): GanttDataset[] {
  const kinds: BarKind[] = ["wait", "critical", "other", "open"];
  return kinds
    .map((kind) => ({
      label: GANTT_LABELS[kind],
      kind,
      data: model.bars.filter((b) => b.kind === kind).map((bar) => ({ x: [bar.start, bar.end] as [number, number], y: bar.task, bar })),
      backgroundColor: GANTT_COLORS[kind],
      borderColor: kind === "open" ? GANTT_COLORS.open : kind === "wait" ? "#9ca3af" : GANTT_COLORS[kind],
      borderWidth: kind === "open" ? 2 : 1,
      ...(kind === "open" ? { borderDash: [4, 3] } : {}),
      grouped: false as const,
    }))
    .filter((d) => d.data.length > 0);
}

/** A bar's tooltip lines: what it is, when, how long, and for a task off the path its slack. */
export function barTooltip(bar: GanttBar, row: GanttRow | undefined): string[] {
  if (bar.kind === "wait") return [`${bar.task}: waited ${formatSeconds(bar.end - bar.start)} before its start`];
  const tries = bar.attempts > 1 ? ` (try ${bar.attempt} of ${bar.attempts})` : "";
  const lines = [
    `${bar.task}${tries}: ${bar.state ?? "unknown state"}`,
    `from +${formatSeconds(bar.start)} ${bar.ended ? `for ${formatSeconds(bar.end - bar.start)}` : "(no end yet)"}`,
  ];
  if (row?.onCriticalPath) lines.push("on the critical path");
  else if (row) lines.push(row.slackSeconds === null ? "slack unknown" : `slack ${formatSeconds(row.slackSeconds)}`);
  return lines;
}

/** The recent runs of the run picker: newest first, with a readable label. */
export function runOptionLabel(run: { startedAt: string | null; state: string | null; batchId: string }): string {
  const when = run.startedAt ? `${run.startedAt.replace("T", " ").slice(0, 19)} UTC` : "not started";
  return `${when} · ${run.state ?? "unknown"}`;
}
