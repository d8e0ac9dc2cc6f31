/**
 * The executions time series, drawn by Chart.js 4 through react-chartjs-2 (the chart library Airflow's own UI
 * uses). Only the parts a line chart needs are registered, so the bundle carries no other chart types.
 */
import {
  CategoryScale,
  Chart as ChartJS,
  Legend,
  LinearScale,
  LineElement,
  PointElement,
  Tooltip,
  type ChartOptions,
} from "chart.js";
import { useMemo } from "react";
import { Line } from "react-chartjs-2";
import { PALETTES, useColorMode } from "../lineage/theme";
import { axisOf, METRIC_LABELS, type ChartData, type Metric } from "./logic";

ChartJS.register(CategoryScale, LinearScale, PointElement, LineElement, Tooltip, Legend);

export function ExecutionsChart({ data, metrics }: { data: ChartData; metrics: readonly Metric[] }) {
  const mode = useColorMode();
  const palette = PALETTES[mode];
  const options = useMemo<ChartOptions<"line">>(() => {
    const grid = { color: mode === "dark" ? "rgba(255,255,255,0.12)" : "rgba(0,0,0,0.08)" };
    const ticks = { color: palette.muted };
    const scales: NonNullable<ChartOptions<"line">["scales"]> = {
      x: { grid, ticks },
      y: { grid, ticks, beginAtZero: true, position: "left", display: metrics.some((m) => axisOf(m) === "y") },
    };
    for (const metric of metrics) {
      const axis = axisOf(metric);
      if (axis === "y") continue;
      scales[axis] = {
        grid: { drawOnChartArea: false },
        ticks,
        beginAtZero: true,
        position: "right",
        title: { display: true, text: METRIC_LABELS[metric], color: palette.muted },
      };
    }
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { labels: { color: palette.fg } } },
      scales,
    };
  }, [metrics, mode, palette]);
  return (
    <div data-testid="flowlytics-analytics-chart" data-color-mode={mode} style={{ position: "relative", height: "300px" }}>
      <Line data={data} options={options} />
    </div>
  );
}
