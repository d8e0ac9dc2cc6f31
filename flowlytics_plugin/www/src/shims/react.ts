/**
 * Build-time replacement for `import ... from "react"` (see vite.config.ts).
 *
 * The Airflow UI host exposes its own React instance as `globalThis.React`;
 * plugins must use it (two Reacts on one page break hooks), so the bundle
 * never ships React. Only the names re-exported here can be imported from
 * "react" in src/ -- a missing one fails the build instead of failing at
 * runtime.
 */
type ReactModule = typeof import("react");

const host = (globalThis as { React?: ReactModule }).React;
if (!host) {
  throw new Error("Flowlytics: globalThis.React is not defined; this bundle must be loaded by the Airflow UI.");
}

export default host;
export const {
  Children,
  Component,
  Fragment,
  StrictMode,
  Suspense,
  cloneElement,
  createContext,
  createElement,
  forwardRef,
  isValidElement,
  lazy,
  memo,
  startTransition,
  use,
  useCallback,
  useContext,
  useDebugValue,
  useDeferredValue,
  useEffect,
  useId,
  useLayoutEffect,
  useMemo,
  useReducer,
  useRef,
  useState,
  useSyncExternalStore,
  useTransition,
} = host;
