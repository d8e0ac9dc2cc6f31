#!/usr/bin/env node
/**
 * UI benchmark: how long the Lineage page takes to lay out and show an
 * N-node graph in headless Chromium.
 *
 *   npm run build            # the bundle under test: dist/flowlytics.js
 *   npm run bench:ui         # = node scripts/bench-ui.mjs
 *   node scripts/bench-ui.mjs --sizes 100,500,1000 --runs 7 --budget 1000 --screenshot /tmp/lineage-500.png
 *
 * How: bench/host.tsx (built here into bench/dist/) plays the Airflow host:
 * real React 19 as globals, a mock API serving a synthetic layered graph
 * (tests/fixtures/graphs.ts), then the committed bundle is imported with
 * ?view=lineage and rendered. The page records, for each graph it receives,
 * the time from the data's arrival (the API response parsed) to every node
 * measured and painted (data-render-ms on [data-testid=flowlytics-graph]),
 * and the layout's share (data-layout-ms). Each run is a fresh page.
 *
 * Prints one line per size and exits 1 when the median for 500 nodes is over
 * --budget ms (the target: 1000 ms). Chromium: $FLOWLYTICS_CHROMIUM or
 * /usr/bin/chromium (playwright-core never downloads a browser).
 */
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";
import { chromium } from "playwright-core";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const sizes = arg("sizes", "100,500,1000").split(",").map(Number);
const runs = Number(arg("runs", "5"));
const budget = Number(arg("budget", "1000"));
const fields = Number(arg("fields", "0"));
const screenshot = arg("screenshot", "");
const executablePath = process.env.FLOWLYTICS_CHROMIUM || "/usr/bin/chromium";

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".json": "application/json" };

function serve() {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const file = path.normalize(path.join(ROOT, decodeURIComponent(url.pathname)));
    if (!file.startsWith(ROOT) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "Content-Type": TYPES[path.extname(file)] ?? "application/octet-stream", "Cache-Control": "no-store" });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  if (!existsSync(path.join(ROOT, "dist", "flowlytics.js"))) throw new Error("dist/flowlytics.js is missing: run `npm run build` first");
  if (!existsSync(executablePath)) throw new Error(`no Chromium at ${executablePath} (set FLOWLYTICS_CHROMIUM)`);
  await build({ configFile: path.join(ROOT, "bench", "vite.config.ts"), logLevel: "warn" });
  const server = await serve();
  const base = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const results = [];
  try {
    for (const size of sizes) {
      const total = [];
      const layout = [];
      let counts = null;
      for (let run = 0; run < runs; run++) {
        const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
        const errors = [];
        page.on("pageerror", (e) => errors.push(String(e)));
        page.on("dialog", (d) => {
          errors.push(`unexpected dialog: ${d.message()}`);
          void d.dismiss();
        });
        await page.goto(`${base}/bench/index.html?view=lineage&nodes=${size}&fields=${fields}`);
        const graph = page.locator("[data-testid=flowlytics-graph][data-render-ms]");
        await graph.waitFor({ timeout: 60_000 });
        const renderMs = Number(await graph.getAttribute("data-render-ms"));
        const layoutMs = Number(await graph.getAttribute("data-layout-ms"));
        counts = await page.evaluate(() => ({
          nodes: document.querySelectorAll(".react-flow__node").length,
          edges: document.querySelectorAll(".react-flow__edge").length,
        }));
        if (errors.length) throw new Error(`page errors: ${errors.join("; ")}`);
        if (counts.nodes !== size) throw new Error(`expected ${size} nodes on screen, found ${counts.nodes}`);
        total.push(renderMs);
        layout.push(layoutMs);
        if (screenshot && run === 0 && size === 500) await page.screenshot({ path: screenshot });
        await page.close();
      }
      const line = {
        nodes: size,
        edges: counts?.edges ?? 0,
        medianMs: median(total),
        maxMs: Math.max(...total),
        layoutMedianMs: median(layout),
      };
      results.push(line);
      console.log(
        `lineage page, ${size} nodes / ${line.edges} edges: shown in median ${line.medianMs.toFixed(0)} ms ` +
          `(max ${line.maxMs.toFixed(0)} ms, ${runs} runs); layout median ${line.layoutMedianMs.toFixed(1)} ms`,
      );
    }
  } finally {
    await browser.close();
    server.close();
  }
  const target = results.find((r) => r.nodes === 500);
  if (target && target.medianMs > budget) {
    console.error(`FAIL: 500 nodes shown in ${target.medianMs.toFixed(0)} ms, over the ${budget} ms budget`);
    process.exit(1);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
