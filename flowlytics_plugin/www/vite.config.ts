/// <reference types="vitest/config" />
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

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
/**
 * Removes d3-selection's `selection.html()` (the only raw-HTML sink in the
 * bundled libraries: React Flow never calls it), so that the bundle contains
 * no innerHTML at all (tests/flowlytics_plugin/test_www_bundle.py checks it)
 * and no future code path can hand it an untrusted name. Fails the build if
 * d3-selection changed and the code to replace is not found.
 */
function withoutD3Html(): Plugin {
  const target = /[\\/]node_modules[\\/]d3-selection[\\/]dist[\\/]d3-selection\.mjs\?flowlytics-main$/;
  const html = /function htmlRemove\(\) \{[\s\S]*?\n\}\n\nfunction raise\(\)/;
  let patched = false;
  return {
    name: "flowlytics-without-d3-html",
    enforce: "pre",
    buildStart() {
      patched = false;
    },
    transform(code, id) {
      if (!target.test(id)) return null;
      if (!html.test(code)) this.error("d3-selection changed: selection.html() not found to remove (see vite.config.ts)");
      patched = true;
      const stub =
        "function selection_html() {\n" +
        '  throw new Error("Flowlytics: d3 selection.html() is disabled (untrusted names are rendered as text only)");\n' +
        "}\n\nfunction raise()";
      return { code: code.replace(html, stub), map: null };
    },
    buildEnd(error) {
      if (!error && !patched) this.error("React Flow's d3-selection was not patched (see mainD3Copy in vite.config.ts)");
    },
  };
}

/**
 * React Flow (loaded at once) and mermaid (loaded lazily) both use d3, but mermaid needs
 * selection.html() that withoutD3Html removes. So React Flow gets its own copy of every d3 package
 * (module ids with MAIN_COPY appended, propagated to what they import): that copy is patched and
 * bundled into flowlytics.js; mermaid's untouched copy goes into its lazy chunks only.
 */
const MAIN_COPY = "?flowlytics-main";
function mainD3Copy(): Plugin {
  const d3Package = /[\\/]node_modules[\\/]d3-[a-z-]+[\\/]/;
  const xyflow = /[\\/]node_modules[\\/]@xyflow[\\/]/;
  return {
    name: "flowlytics-main-d3-copy",
    enforce: "pre",
    async resolveId(source, importer, options) {
      if (!importer) return null;
      const fromCopy = importer.endsWith(MAIN_COPY);
      if (!fromCopy && !xyflow.test(importer)) return null;
      const plainImporter = fromCopy ? importer.slice(0, -MAIN_COPY.length) : importer;
      const resolved = await this.resolve(source, plainImporter, { ...options, skipSelf: true });
      if (!resolved || resolved.external || !d3Package.test(resolved.id)) return fromCopy ? resolved : null;
      return { ...resolved, id: resolved.id + MAIN_COPY };
    },
    load(id) {
      return id.endsWith(MAIN_COPY) ? readFileSync(id.slice(0, -MAIN_COPY.length), "utf8") : null;
    },
  };
}

/**
 * Records the modules the entry reaches through static imports (after the build, before the chunks
 * are named), so that chunkFileNames can tell a lazy-only chunk from one flowlytics.js loads at once.
 */
const staticallyLoaded = new Set<string>();
function recordStaticClosure(): Plugin {
  return {
    name: "flowlytics-static-closure",
    buildEnd() {
      staticallyLoaded.clear();
      const entries = Array.from(this.getModuleIds()).filter((id) => this.getModuleInfo(id)?.isEntry);
      const pending = [...entries];
      while (pending.length > 0) {
        const id = pending.pop() as string;
        if (staticallyLoaded.has(id)) continue;
        staticallyLoaded.add(id);
        pending.push(...(this.getModuleInfo(id)?.importedIds ?? []));
      }
      if (entries.length === 0) this.error("no entry module found (see recordStaticClosure in vite.config.ts)");
    },
  };
}

function isLazyOnly(moduleIds: readonly string[]): boolean {
  return (
    moduleIds.length > 0 &&
    moduleIds.every((id) => /[\\/]node_modules[\\/]/.test(id) && !staticallyLoaded.has(id) && !id.endsWith(MAIN_COPY))
  );
}

const shim = (name: string): string => fileURLToPath(new URL(`./src/shims/${name}.ts`, import.meta.url));

export default defineConfig(({ command }) => ({
  plugins: command === "build" ? [mainD3Copy(), withoutD3Html(), recordStaticClosure()] : [],
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
  // Library mode keeps `process.env.NODE_ENV` for the consumer; this bundle is
  // the final artefact (zustand's CJS dependency checks it), so fix it here.
  define: command === "build" ? { "process.env.NODE_ENV": JSON.stringify("production") } : {},
  oxc: {
    jsx: { runtime: "automatic", development: false },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2020",
    // Minified: since the lineage page (React Flow, d3) the bundle is mostly
    // third-party code, so its diffs are not reviewable anyway, and the Airflow
    // API server serves it uncompressed. The source fingerprint in
    // dist/manifest.json (checked by pytest) ties it to src/.
    minify: true,
    sourcemap: false,
    rolldownOptions: {
      // Vite keeps whitespace in ES library builds (for consumers' tree
      // shaking); this bundle is the final artefact, so minify it fully.
      output: {
        minify: true,
        // Lazy chunks (only `mermaid`, loaded by src/workflows/mermaidRender.ts) sit next to
        // flowlytics.js; relative import() specifiers resolve against the importing module's URL, so
        // they load from /flowlytics/static/ in Airflow whatever its base path. A chunk that only the
        // lazy import reaches goes to dist/mermaid/ (the one folder exempt from the innerHTML ban in
        // tests/flowlytics_plugin/test_www_bundle.py); a chunk that flowlytics.js loads statically
        // (e.g. d3 shared with React Flow) or that holds our own code goes to dist/chunks/ (checked).
        chunkFileNames: (chunk) => (isLazyOnly(chunk.moduleIds) ? "mermaid/[name]-[hash].js" : "chunks/[name]-[hash].js"),
      },
    },
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
    // Hang guards, not speed limits: importing the whole bundle entry took over 5 s (vitest's default) on a
    // loaded 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
}));
