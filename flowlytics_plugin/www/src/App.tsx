import { ErrorBoundary } from "./components/ErrorBoundary";
import { RunsPage } from "./pages/RunsPage";
import type { PluginProps } from "./types";

/**
 * Root component handed to the Airflow UI (`react_apps` entry "Flowlytics").
 * The host renders it as `<App dagId runId taskId mapIndex />`.
 *
 * Only the runs view exists so far; lineage / batch-health views will be
 * added here (e.g. as tabs) and live in src/pages/.
 */
export function App(props: PluginProps) {
  return (
    <ErrorBoundary>
      <RunsPage {...props} />
    </ErrorBoundary>
  );
}
