/**
 * Build-time replacement for `react/jsx-runtime` (automatic JSX runtime):
 * uses the host's `globalThis.ReactJSXRuntime`. See ./react.ts.
 */
type JsxRuntimeModule = typeof import("react/jsx-runtime");

const runtime = (globalThis as { ReactJSXRuntime?: JsxRuntimeModule }).ReactJSXRuntime;
if (!runtime) {
  throw new Error(
    "Flowlytics: globalThis.ReactJSXRuntime is not defined; this bundle must be loaded by the Airflow UI.",
  );
}

export const { Fragment, jsx, jsxs } = runtime;
