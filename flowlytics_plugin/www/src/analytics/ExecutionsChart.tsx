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
import { useMemo, useRef, useState, type PointerEvent as ReactPointerEvent } from "react";
import { Line } from "react-chartjs-2";
import { PALETTES, useColorMode } from "../lineage/theme";
import { axisOf, METRIC_LABELS, type ChartData, type Metric } from "./logic";

ChartJS.register(CategoryScale, LinearScale, PointElement, LineElement, Tooltip, Legend);

/** Below this many pixels a press is a click (tooltips), not a drag to zoom. */
const MIN_DRAG_PX = 6;

/**
 * `onZoom(a, b)`: the user dragged across the chart from bucket index `a` to `b` (the page turns it into a range).
 * Drag-to-select is a few pointer handlers over Chart.js's own scale (getValueForPixel), rather than
 * chartjs-plugin-zoom, which brings hammerjs (unmaintained since 2016) into the bundle.
 */
export function ExecutionsChart({
  data,
  metrics,
  onZoom,
}: {
  data: ChartData;
  metrics: readonly Metric[];
  onZoom?: (a: number, b: number) => void;
}) {
  const chartRef = useRef<ChartJS<"line"> | null>(null);
  const [drag, setDrag] = useState<{ start: number; current: number } | null>(null);
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
  const localX = (event: ReactPointerEvent<HTMLDivElement>) => event.clientX - event.currentTarget.getBoundingClientRect().left;
  const insideArea = (x: number) => {
    const area = chartRef.current?.chartArea;
    return area !== undefined && x >= area.left && x <= area.right;
  };
  const onPointerDown = (event: ReactPointerEvent<HTMLDivElement>) => {
    const x = localX(event);
    if (!onZoom || event.button !== 0 || !insideArea(x)) return;
    event.currentTarget.setPointerCapture?.(event.pointerId);
    setDrag({ start: x, current: x });
  };
  const onPointerMove = (event: ReactPointerEvent<HTMLDivElement>) => {
    if (drag) setDrag({ ...drag, current: localX(event) });
  };
  const onPointerUp = () => {
    const chart = chartRef.current;
    if (drag && chart && onZoom && Math.abs(drag.current - drag.start) >= MIN_DRAG_PX) {
      const a = chart.scales.x.getValueForPixel(drag.start);
      const b = chart.scales.x.getValueForPixel(drag.current);
      if (a !== undefined && b !== undefined) onZoom(a, b);
    }
    setDrag(null);
  };
  const area = chartRef.current?.chartArea;
  return (
    <div
      data-testid="flowlytics-analytics-chart"
      data-color-mode={mode}
      title={onZoom ? "drag across the chart to zoom to a range" : undefined}
      style={{ position: "relative", height: "300px", cursor: onZoom ? "crosshair" : undefined, touchAction: "pan-y" }}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={() => setDrag(null)}
    >
      <Line ref={chartRef} data={data} options={options} />
      {drag && area ? (
        <div
          data-testid="flowlytics-analytics-zoom-selection"
          style={{
            position: "absolute",
            top: `${area.top}px`,
            height: `${area.bottom - area.top}px`,
            left: `${Math.max(area.left, Math.min(drag.start, drag.current))}px`,
            width: `${Math.abs(drag.current - drag.start)}px`,
            background: "rgba(59,130,246,0.18)",
            border: "1px solid rgba(59,130,246,0.6)",
            pointerEvents: "none",
          }}
        />
      ) : null}
    </div>
  );
}
