import type { ComponentType } from "react";
import { ErrorBoundary } from "./components/ErrorBoundary";
import type { View } from "./lib/view";
import { AlertsPage } from "./pages/AlertsPage";
import { AnalyticsPage } from "./pages/AnalyticsPage";
import { BatchHealthPage } from "./pages/BatchHealthPage";
import { BatchRunPage } from "./pages/BatchRunPage";
import { BatchWidget } from "./pages/BatchWidget";
import { DagLineagePage } from "./pages/DagLineagePage";
import { LineagePage } from "./pages/LineagePage";
import { RunsPage } from "./pages/RunsPage";
import { TaskIoPage } from "./pages/TaskIoPage";
import { WorkflowDraftsPage } from "./pages/WorkflowDraftsPage";
import type { PluginProps } from "./types";

/**
 * Root components handed to the Airflow UI, one per `react_apps` entry. The
 * host renders them as `<X dagId runId taskId mapIndex />`. Each is wrapped in
 * an error boundary so that a bug in the plugin never blanks Airflow's UI.
 */
function withBoundary(Page: ComponentType<PluginProps>, name: string): ComponentType<PluginProps> {
  function FlowlyticsView(props: PluginProps) {
    return (
      <ErrorBoundary>
        <Page {...props} />
      </ErrorBoundary>
    );
  }
  FlowlyticsView.displayName = `Flowlytics(${name})`;
  return FlowlyticsView;
}

/** The runs page ("Flowlytics" in the Browse menu). */
export const App = withBoundary(RunsPage, "runs");
export const LineageApp = withBoundary(LineagePage, "lineage");
export const DagLineageApp = withBoundary(DagLineagePage, "dag-lineage");
export const TaskIoApp = withBoundary(TaskIoPage, "task-io");
export const BatchHealthApp = withBoundary(BatchHealthPage, "batch-health");
export const BatchRunApp = withBoundary(BatchRunPage, "batch-run");
export const BatchWidgetApp = withBoundary(BatchWidget, "batch-widget");
export const WorkflowDraftsApp = withBoundary(WorkflowDraftsPage, "workflow-drafts");
export const AlertsApp = withBoundary(AlertsPage, "alerts");
export const AnalyticsApp = withBoundary(AnalyticsPage, "analytics");
export const DagAnalyticsApp = withBoundary(AnalyticsPage, "dag-analytics");

export const VIEW_COMPONENTS: Readonly<Record<View, ComponentType<PluginProps>>> = {
  runs: App,
  lineage: LineageApp,
  "dag-lineage": DagLineageApp,
  "task-io": TaskIoApp,
  "batch-health": BatchHealthApp,
  "batch-run": BatchRunApp,
  "batch-widget": BatchWidgetApp,
  "workflow-drafts": WorkflowDraftsApp,
  alerts: AlertsApp,
  analytics: AnalyticsApp,
  "dag-analytics": DagAnalyticsApp,
};
