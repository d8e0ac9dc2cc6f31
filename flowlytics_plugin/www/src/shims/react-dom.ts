/**
 * Build-time replacement for `react-dom`: the host's `globalThis.ReactDOM`.
 * Not used by the current views; present so a future `createPortal` /
 * `flushSync` import does not accidentally bundle a second ReactDOM.
 */
type ReactDomModule = typeof import("react-dom");

const host = (globalThis as { ReactDOM?: ReactDomModule }).ReactDOM;
if (!host) {
  throw new Error("Flowlytics: globalThis.ReactDOM is not defined; this bundle must be loaded by the Airflow UI.");
}

export default host;
export const { createPortal, flushSync } = host;
