/**
 * A stand-in for the Airflow UI host: provides React, ReactDOM and the JSX
 * runtime as globals exactly like Airflow does, installs the mock API, loads
 * the built bundle (dist/flowlytics.js?view=…) and renders the view's
 * component. Query: ?view=lineage&nodes=500&fields=0&node=<root id>&theme=dark.
 */
import * as React from "react";
import * as ReactDOM from "react-dom";
import * as ReactJSXRuntime from "react/jsx-runtime";
import { createRoot } from "react-dom/client";
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
const nodes = Number(params.get("nodes") ?? 500);
const graph = demoGraph(nodes, Number(params.get("seed") ?? 42), Number(params.get("fields") ?? 0));
installMockApi(graph);
if (!params.get("node") && graph.rootIds[0]) {
  params.set("node", graph.rootIds[0]);
  window.history.replaceState(null, "", `${window.location.pathname}?${params.toString()}`);
}

(globalThis as Record<string, unknown>).AirflowPlugin = undefined;
const bundle = new URL(`../dist/flowlytics.js?view=${encodeURIComponent(view)}`, window.location.href).href;
import(/* @vite-ignore */ bundle).then(() => {
  const Component = (globalThis as Record<string, unknown>).AirflowPlugin as React.ComponentType<Record<string, unknown>>;
  createRoot(document.getElementById("root") as HTMLElement).render(
    <Component dagId={params.get("dagId") ?? undefined} taskId={params.get("taskId") ?? undefined} />,
  );
});
