/**
 * Bundle entry point (built to dist/flowlytics.js).
 *
 * The Airflow UI host loads each `react_apps` entry with
 *   globalThis.AirflowPlugin = undefined;
 *   await import(new URL(bundle_url, document.baseURI).href);
 * and then uses globalThis[<entry name>], falling back to
 * globalThis.AirflowPlugin; either must be a React component function. The
 * host also renders globalThis[<entry name>] directly when it is already a
 * function, without importing again.
 *
 * All entries share this one bundle with a different `?view=` in their URL
 * (a distinct URL, so the browser evaluates the module once per view), so:
 * - AirflowPlugin is set to the component of the view this URL asks for;
 * - every entry name is set to its own component, whichever URL loaded us.
 */
import { App, VIEW_COMPONENTS } from "./App";
import { VIEW_GLOBAL_NAMES, VIEWS, viewFromModuleUrl } from "./lib/view";

const pluginGlobals = globalThis as typeof globalThis & Record<string, unknown>;

for (const view of VIEWS) pluginGlobals[VIEW_GLOBAL_NAMES[view]] = VIEW_COMPONENTS[view];
pluginGlobals.AirflowPlugin = VIEW_COMPONENTS[viewFromModuleUrl(import.meta.url)];

export { App };
export * from "./App";
export default App;
