import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/** Builds bench/dist/host.js: the stand-in host page (real React from node_modules). */
export default defineConfig({
  define: { "process.env.NODE_ENV": JSON.stringify("production") },
  oxc: { jsx: { runtime: "automatic", development: false } },
  logLevel: "warn",
  build: {
    outDir: fileURLToPath(new URL("./dist", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    minify: true,
    copyPublicDir: false,
    reportCompressedSize: false,
    lib: {
      entry: fileURLToPath(new URL("./host.tsx", import.meta.url)),
      formats: ["es"],
      fileName: () => "host.js",
    },
  },
});
