/**
 * The Chart.js parts the Batch Health charts use (the Analytics page registers its own): bar and line charts,
 * the filled band of normal, tooltips and the band chart's legend. Registering twice is harmless.
 */
import { BarElement, CategoryScale, Chart as ChartJS, Filler, Legend, LinearScale, LineElement, PointElement, Tooltip } from "chart.js";

ChartJS.register(CategoryScale, LinearScale, PointElement, LineElement, BarElement, Filler, Tooltip, Legend);

/** Hidden from sight, read by screen readers (and tests): each chart's data as a table. */
export const visuallyHidden = {
  position: "absolute",
  width: "1px",
  height: "1px",
  padding: 0,
  margin: "-1px",
  overflow: "hidden",
  clip: "rect(0, 0, 0, 0)",
  whiteSpace: "nowrap",
  border: 0,
} as const;
