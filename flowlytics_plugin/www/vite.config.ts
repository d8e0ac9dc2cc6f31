/// <reference types="vitest/config" />
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/**
 * Library build of the Flowlytics Airflow UI plugin -> dist/flowlytics.js.
 *
 * The output is a single ES module (loaded by the host with dynamic import())
 * that registers the root component on globalThis (see src/main.tsx).
 *
 * React must come from the host page, never from this bundle: for the
 * production build `react`, `react/jsx-runtime` and `react-dom` are aliased to
 * tiny shims in src/shims/ that re-export `globalThis.React`,
 * `globalThis.ReactJSXRuntime` and `globalThis.ReactDOM`. (Plain rollup
 * externals would leave bare `import "react"` specifiers that a browser cannot
 * resolve.) Tests (`vitest`) use the real packages from node_modules.
 *
 * After changing anything here, in src/, package.json, package-lock.json or
 * tsconfig.json run `npm run build` and commit dist/ (see scripts/write-manifest.mjs).
 */
const shim = (name: string): string => fileURLToPath(new URL(`./src/shims/${name}.ts`, import.meta.url));

export default defineConfig(({ command }) => ({
  resolve: {
    alias:
      command === "build"
        ? [
            { find: /^react$/, replacement: shim("react") },
            { find: /^react\/jsx-runtime$/, replacement: shim("react-jsx-runtime") },
            { find: /^react-dom$/, replacement: shim("react-dom") },
          ]
        : [],
  },
  oxc: {
    jsx: { runtime: "automatic", development: false },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2020",
    // Unminified: the bundle is committed, so keep its diffs reviewable.
    minify: false,
    sourcemap: false,
    copyPublicDir: false,
    reportCompressedSize: false,
    lib: {
      entry: fileURLToPath(new URL("./src/main.tsx", import.meta.url)),
      formats: ["es"],
      fileName: () => "flowlytics.js",
    },
  },
  test: {
    include: ["tests/**/*.test.{ts,tsx}"],
    environment: "node",
  },
}));
