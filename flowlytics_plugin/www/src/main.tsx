/**
 * Bundle entry point (built to dist/flowlytics.js).
 *
 * The Airflow UI host loads plugins with
 *   globalThis.AirflowPlugin = undefined;
 *   await import(new URL(bundle_url, document.baseURI).href);
 * and then uses globalThis["Flowlytics"] (the react_apps name), falling back to
 * globalThis.AirflowPlugin; either must be a React component function. We set
 * both explicitly as a side effect of evaluating this module.
 */
import { App } from "./App";

const pluginGlobals = globalThis as typeof globalThis & {
  AirflowPlugin?: unknown;
  Flowlytics?: unknown;
};

pluginGlobals.AirflowPlugin = App;
pluginGlobals.Flowlytics = App;

export { App };
export default App;
