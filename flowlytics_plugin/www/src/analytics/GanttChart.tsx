/**
 * The Gantt of one DAG run: Chart.js horizontal floating bars (wait before start, each try's run time) on a shared
 * axis in seconds from the run's start, the critical path in its own colour and legend entry, and beside it the
 * same facts as text (the path as a list, a table with each task's slack), so nothing depends on colour alone.
 */
import {
  BarElement,
  CategoryScale,
  Chart as ChartJS,
  Legend,
  LinearScale,
  Tooltip,
  type ChartOptions,
  type TooltipItem,
} from "chart.js";
import { useMemo } from "react";
import { Bar } from "react-chartjs-2";
import * as s from "../components/styles";
import { PALETTES, useColorMode } from "../lineage/theme";
import { barTooltip, ganttDatasets, type GanttBar, type GanttModel } from "./gantt";
import { formatSeconds } from "./logic";

ChartJS.register(CategoryScale, LinearScale, BarElement, Tooltip, Legend);

const ROW_PX = 26;

export function GanttChart({ model }: { model: GanttModel }) {
  const mode = useColorMode();
  const palette = PALETTES[mode];
  const rowsByTask = useMemo(() => new Map(model.rows.map((r) => [r.task, r])), [model]);
  const data = useMemo(
    () => ({ labels: model.rows.map((r) => r.task), datasets: ganttDatasets(model) }),
    [model],
  );
  const options = useMemo<ChartOptions<"bar">>(() => {
    const grid = { color: mode === "dark" ? "rgba(255,255,255,0.12)" : "rgba(0,0,0,0.08)" };
    return {
      indexAxis: "y",
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      parsing: { xAxisKey: "x", yAxisKey: "y" },
      plugins: {
        legend: { labels: { color: palette.fg } },
        tooltip: {
          callbacks: {
            title: () => "",
            label: (item: TooltipItem<"bar">) => {
              const bar = (item.raw as { bar: GanttBar }).bar;
              return barTooltip(bar, rowsByTask.get(bar.task));
            },
          },
        },
      },
      scales: {
        x: {
          type: "linear",
          min: 0,
          max: Math.max(model.horizon, 1),
          grid,
          ticks: { color: palette.muted, callback: (value) => `+${formatSeconds(Number(value))}` },
          title: { display: true, text: "time since the run's start", color: palette.muted },
        },
        y: { type: "category", grid, ticks: { color: palette.fg } },
      },
    };
  }, [mode, palette, model.horizon, rowsByTask]);
  return (
    <div
      data-testid="flowlytics-gantt-chart"
      data-color-mode={mode}
      style={{ position: "relative", height: `${Math.max(120, model.rows.length * ROW_PX + 90)}px` }}
    >
      <Bar data={data} options={options} />
    </div>
  );
}

/** The critical path as text and every task's figures (slack for the others), next to the chart. */
export function GanttFacts({ model }: { model: GanttModel }) {
  return (
    <>
      <div data-testid="flowlytics-gantt-path" style={{ margin: "8px 0" }}>
        <strong>Critical path</strong> ({formatSeconds(model.totalSeconds)}):{" "}
        {model.criticalPath.length === 0 ? (
          <span style={s.muted}>none (no task finished)</span>
        ) : (
          <ol style={{ display: "inline", padding: 0, margin: 0, listStyle: "none" }}>
            {model.criticalPath.map((task, i) => (
              <li key={task} data-testid="flowlytics-gantt-path-step" style={{ display: "inline" }}>
                {i > 0 ? " → " : ""}
                {task}
              </li>
            ))}
          </ol>
        )}
      </div>
      <div style={s.tableWrap}>
        <table data-testid="flowlytics-gantt-tasks" style={s.table}>
          <thead>
            <tr>
              {["Task", "Critical path", "State", "Start", "Wait", "Run time", "Tries", "Slack"].map((h) => (
                <th key={h} style={s.th}>
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {model.rows.map((row) => (
              <tr
                key={row.jobNodeId}
                data-testid="flowlytics-gantt-task"
                data-task={row.task}
                data-critical={row.onCriticalPath ? "true" : "false"}
                style={row.onCriticalPath ? { fontWeight: 600 } : undefined}
              >
                <td style={s.td}>{row.task}</td>
                <td style={s.tdNowrap}>{row.onCriticalPath ? "yes" : "no"}</td>
                <td style={s.tdNowrap}>{row.state ?? "–"}</td>
                <td style={s.tdNowrap}>{row.start === null ? "–" : `+${formatSeconds(row.start)}`}</td>
                <td style={s.tdNowrap}>{formatSeconds(row.waitSeconds)}</td>
                <td style={s.tdNowrap}>{row.end === null ? "no end" : formatSeconds(row.runSeconds)}</td>
                <td style={s.tdNowrap}>{row.tries}</td>
                <td style={s.tdNowrap}>{row.onCriticalPath ? "0 (on the path)" : formatSeconds(row.slackSeconds)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
