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
import { arg, benchmark, median } from "./bench-lib.mjs";

const sizes = arg("sizes", "100,500,1000").split(",").map(Number);
const runs = Number(arg("runs", "5"));
const budget = Number(arg("budget", "1000"));
const fields = Number(arg("fields", "0"));
const screenshot = arg("screenshot", "");

benchmark(async (openPage) => {
  const results = [];
  for (const size of sizes) {
    const total = [];
    const layout = [];
    let counts = null;
    for (let run = 0; run < runs; run++) {
      const page = await openPage(`view=lineage&nodes=${size}&fields=${fields}`);
      const graph = page.locator("[data-testid=flowlytics-graph][data-render-ms]");
      await graph.waitFor({ timeout: 60_000 });
      const renderMs = Number(await graph.getAttribute("data-render-ms"));
      const layoutMs = Number(await graph.getAttribute("data-layout-ms"));
      counts = await page.evaluate(() => ({
        nodes: document.querySelectorAll(".react-flow__node").length,
        edges: document.querySelectorAll(".react-flow__edge").length,
      }));
      page.checkErrors();
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
  const target = results.find((r) => r.nodes === 500);
  if (target && target.medianMs > budget) {
    console.error(`FAIL: 500 nodes shown in ${target.medianMs.toFixed(0)} ms, over the ${budget} ms budget`);
    process.exit(1);
  }
});
