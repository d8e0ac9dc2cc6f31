/**
 * Which view a bundle URL asks for. The plugin declares one `react_apps`
 * entry per view, all pointing at dist/flowlytics.js with a different
 * `?view=` (distinct URLs, so the browser evaluates the module for each).
 */
export const VIEWS = [
  "runs",
  "lineage",
  "dag-lineage",
  "task-io",
  "batch-health",
  "batch-run",
  "batch-widget",
  "workflow-drafts",
  "alerts",
  "analytics",
  "dag-analytics",
] as const;
export type View = (typeof VIEWS)[number];

/** The `react_apps` names (globalThis keys the host looks up) of each view. */
export const VIEW_GLOBAL_NAMES: Readonly<Record<View, string>> = {
  runs: "Flowlytics",
  lineage: "Lineage",
  "dag-lineage": "Lineage (DAG)",
  "task-io": "Inputs & outputs",
  "batch-health": "Batch Health",
  "batch-run": "Batch health (run)",
  "batch-widget": "Latest batches",
  "workflow-drafts": "Workflow drafts",
  alerts: "Alerts",
  analytics: "Analytics",
  "dag-analytics": "Analytics (DAG)",
};

/** `?view=` of the module URL; the runs page when absent or unknown. */
export function viewFromModuleUrl(moduleUrl: string | undefined): View {
  if (!moduleUrl) return "runs";
  let value: string | null = null;
  try {
    value = new URL(moduleUrl).searchParams.get("view");
  } catch {
    return "runs";
  }
  return (VIEWS as readonly string[]).includes(value ?? "") ? (value as View) : "runs";
}
