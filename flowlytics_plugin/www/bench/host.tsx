/**
 * A stand-in for the Airflow UI host: provides React, ReactDOM and the JSX
 * runtime as globals exactly like Airflow does, installs the mock API, loads
 * the built bundle (dist/flowlytics.js?view=…) and renders the view's
 * component. Query: ?view=lineage&nodes=500&fields=0&node=<root id>&theme=dark, or
 * ?view=batch-health&processes=1000&latency=0 (also batch-run with &dagId=&runId=, batch-widget), or
 * ?view=analytics&from=&to= over a real API (no mock).
 */
import * as React from "react";
import * as ReactDOM from "react-dom";
import * as ReactJSXRuntime from "react/jsx-runtime";
import { createRoot } from "react-dom/client";
import { installBatchMockApi, mockBatches } from "./batchMock";
import { demoGraph, installMockApi } from "./mockApi";

Object.assign(globalThis, { React, ReactDOM, ReactJSXRuntime });

const params = new URLSearchParams(window.location.search);
if (params.get("theme") === "dark") {
  // As Airflow's dark mode: class "dark" on <html>, a dark page.
  document.documentElement.classList.add("dark");
  document.documentElement.style.colorScheme = "dark";
  document.body.style.background = "#0f172a";
  document.body.style.color = "#e5e7eb";
}
const view = params.get("view") ?? "lineage";
if (view === "analytics" || view === "dag-analytics") {
  // The real API: the bench server forwards …/flowlytics/api/v1/ to it (scripts/bench-analytics-ui.mjs).
} else if (view.startsWith("batch")) {
  // Batch Health views: ?processes=1000 (the newest batch's size) &latency=<ms per API answer>.
  const data = mockBatches(Number(params.get("processes") ?? 1000), Number(params.get("seed") ?? 7));
  installBatchMockApi(data, { latencyMs: Number(params.get("latency") ?? 0) });
} else {
  const nodes = Number(params.get("nodes") ?? 500);
  const graph = demoGraph(nodes, Number(params.get("seed") ?? 42), Number(params.get("fields") ?? 0));
  installMockApi(graph);
  if (!params.get("node") && graph.rootIds[0]) {
    params.set("node", graph.rootIds[0]);
    window.history.replaceState(null, "", `${window.location.pathname}?${params.toString()}`);
  }
}

(globalThis as Record<string, unknown>).AirflowPlugin = undefined;
const bundle = new URL(`../dist/flowlytics.js?view=${encodeURIComponent(view)}`, window.location.href).href;
import(/* @vite-ignore */ bundle).then(() => {
  const Component = (globalThis as Record<string, unknown>).AirflowPlugin as React.ComponentType<Record<string, unknown>>;
  createRoot(document.getElementById("root") as HTMLElement).render(
    <Component
      dagId={params.get("dagId") ?? undefined}
      runId={params.get("runId") ?? undefined}
      taskId={params.get("taskId") ?? undefined}
    />,
  );
});
