#!/usr/bin/env node
/**
 * Page-speed benchmark of the Analytics page (issue 11's target: cards and chart drawn <= 1.5 s after navigation
 * in headless Chromium with the real API, median of 5).
 *
 *   npm run build                   # the bundle under test: dist/flowlytics.js
 *   npm run bench:analytics-ui      # = node scripts/bench-analytics-ui.mjs
 *   node scripts/bench-analytics-ui.mjs --runs 5 --nodes 3000 --history-runs 200000 --budget 1500 \
 *        [--db /tmp/analytics-ui.db] [--screenshot /tmp/analytics.png]
 *
 * How: benchmarks/analytics_ui_fixture.py fills a SQLite file with months of synthetic runs (the analytics
 * benchmark's generator, benchmarks/synthetic.py: 90 days of history) and counts them into the rollups; then
 * `flowlytics serve` (create_app) runs over it as a child process. The bench host (bench/host.tsx, real React
 * as globals like Airflow) imports the committed bundle with ?view=analytics and the last 30 days of the
 * history as its range; the bench server forwards the page's …/flowlytics/api/v1/ requests to the real API
 * with a read key, as Airflow's mount does. Measured per fresh page: performance.now() (ms since navigation
 * start, so the bundle's download and evaluation and every API round trip are included) at the first frame in
 * which the six KPI cards show figures and the chart's canvas has pixels drawn. One warm-up page first (not
 * counted); then --runs pages, the median printed. Exits 1 when the median is over --budget ms.
 * Python: $FLOWLYTICS_PYTHON or <repo>/.venv/bin/python; Chromium: $FLOWLYTICS_CHROMIUM or /usr/bin/chromium.
 * --db reuses a file made by an earlier run (its sizes are then not printed again).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { arg, benchmark, median, ROOT } from "./bench-lib.mjs";

const REPO = path.resolve(ROOT, "..", "..");
const runs = Number(arg("runs", "5"));
const budget = Number(arg("budget", "1500"));
const nodes = arg("nodes", "3000");
const historyRuns = arg("history-runs", "200000");
const screenshot = arg("screenshot", "");
const python = process.env.FLOWLYTICS_PYTHON || path.join(REPO, ".venv", "bin", "python");
const KEY = "bench-analytics-ui-read-key";
const env = { ...process.env, PYTHONPATH: REPO, FLOWLYTICS_READ_API_KEYS: KEY };

function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`flowlytics serve exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`flowlytics serve did not answer /health within ${timeoutMs / 1000} s`);
}

const workdir = mkdtempSync(path.join(tmpdir(), "flowlytics-analytics-ui-"));
const dbArg = arg("db", "");
const dbPath = dbArg || path.join(workdir, "analytics-ui.db");
let fixture;
if (dbArg && existsSync(dbArg)) {
  const end = new Date("2025-06-01T00:00:00Z"); // benchmarks/synthetic.py END_TIME
  fixture = { dbUrl: `sqlite:///${path.resolve(dbArg)}`, from: new Date(end.getTime() - 30 * 86_400_000).toISOString(), to: end.toISOString() };
  console.log(`reusing ${dbArg}`);
} else {
  const made = spawnSync(
    python,
    [path.join(REPO, "benchmarks", "analytics_ui_fixture.py"), "--db", dbPath, "--nodes", nodes, "--runs", historyRuns],
    { env, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] },
  );
  if (made.status !== 0) {
    console.error(made.stdout);
    process.exit(1);
  }
  fixture = JSON.parse(made.stdout.trim().split("\n").pop());
  console.log(
    `database: ${fixture.runs} runs of ${fixture.jobs} jobs over ${fixture.historyDays} days (SQLite, rollups rebuilt; ` +
      `made in ${fixture.seconds} s)`,
  );
}

const port = await freePort();
const apiUrl = `http://127.0.0.1:${port}`;
const server = spawn(python, ["-m", "lineage_backend.cli", "serve", "--db-url", fixture.dbUrl, "--port", String(port), "--no-migrate"], {
  env,
  stdio: ["ignore", "ignore", "inherit"],
});
const stop = () => {
  if (server.exitCode === null) server.kill("SIGTERM");
  if (!dbArg) rmSync(workdir, { recursive: true, force: true });
};
process.on("exit", stop);

try {
  await waitForHealth(apiUrl, server, 60_000);
  const summary = await (
    await fetch(`${apiUrl}/api/v1/analytics/executions/summary?from=${fixture.from}&to=${fixture.to}`, {
      headers: { Authorization: `Bearer ${KEY}` },
    })
  ).json();
  const query = `view=analytics&from=${encodeURIComponent(fixture.from)}&to=${encodeURIComponent(fixture.to)}`;

  await benchmark(
    async (openPage) => {
      const times = [];
      for (let run = 0; run <= runs; run++) {
        const page = await openPage(query);
        // The first frame with the cards' figures and a drawn chart (pixels on its canvas).
        const handle = await page.waitForFunction(
          () => {
            const cards = document.querySelectorAll("[data-testid=flowlytics-kpi]");
            if (cards.length !== 6) return false;
            const canvas = document.querySelector("[data-testid=flowlytics-analytics-chart] canvas");
            if (!canvas || canvas.width === 0 || canvas.height === 0) return false;
            const pixels = canvas.getContext("2d")?.getImageData(0, 0, canvas.width, canvas.height).data;
            if (!pixels) return false;
            for (let i = 3; i < pixels.length; i += 4 * 37) if (pixels[i] !== 0) return performance.now();
            return false;
          },
          null,
          { polling: "raf", timeout: 60_000 },
        );
        const ms = await handle.jsonValue();
        const shownTotal = await page.locator("[data-testid=flowlytics-kpi][data-kpi=total]").innerText();
        page.checkErrors();
        const digits = shownTotal.replace(/\D/g, "");
        if (digits.indexOf(String(summary.total)) < 0) {
          throw new Error(`the Runs card shows ${JSON.stringify(shownTotal)}, the API counts ${summary.total}`);
        }
        if (run > 0) times.push(ms); // run 0 warms the API and the browser's caches
        if (screenshot && run === runs) await page.screenshot({ path: screenshot, fullPage: true });
        await page.close();
      }
      const med = median(times);
      console.log(
        `analytics page, ${summary.total} runs in its 30-day range: cards and chart drawn in median ${med.toFixed(0)} ms ` +
          `after navigation (min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)} ms, ${runs} runs ` +
          `after 1 warm-up; real API over SQLite, headless Chromium)`,
      );
      if (med > budget) {
        console.error(`FAIL: median ${med.toFixed(0)} ms is over the ${budget} ms budget`);
        process.exitCode = 1;
      }
    },
    { api: { url: apiUrl, key: KEY } },
  );
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  stop();
}
