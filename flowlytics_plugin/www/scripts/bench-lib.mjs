/**
 * What the UI benchmarks share: command-line options, the median, and a harness that builds the bench
 * host (bench/), serves it with the committed bundle, and hands out fresh headless Chromium pages that
 * fail the run on any page error or dialog.
 */
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";
import { chromium } from "playwright-core";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".json": "application/json" };

/**
 * `api`: `{ url, key }` of a real Flowlytics API; requests under `…/flowlytics/api/v1/` (where the bundle sends
 * them, relative to the page) are forwarded to `<url>/api/v1/…` with the key, as Airflow's mount would.
 */
function serve(api) {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const apiAt = url.pathname.indexOf("/flowlytics/api/v1/");
    if (api && apiAt >= 0) {
      forward(api, `${url.pathname.slice(apiAt + "/flowlytics".length)}${url.search}`, res);
      return;
    }
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

function forward(api, pathAndQuery, res) {
  fetch(`${api.url}${pathAndQuery}`, { headers: { Authorization: `Bearer ${api.key}` } })
    .then(async (answer) => {
      const body = Buffer.from(await answer.arrayBuffer());
      res.writeHead(answer.status, { "Content-Type": answer.headers.get("content-type") ?? "application/json", "Cache-Control": "no-store" });
      res.end(body);
    })
    .catch((err) => res.writeHead(502).end(String(err)));
}

/**
 * Runs `measure(openPage)` against the bench host (`options.api`: a real API to forward to, see serve); `openPage(query)` opens /bench/index.html?query in a
 * fresh page and returns it with a `checkErrors()` that throws what the page reported. Exits 1 on failure.
 */
export async function benchmark(measure, options = {}) {
  try {
    const executablePath = process.env.FLOWLYTICS_CHROMIUM || "/usr/bin/chromium";
    if (!existsSync(path.join(ROOT, "dist", "flowlytics.js"))) throw new Error("dist/flowlytics.js is missing: run `npm run build` first");
    if (!existsSync(executablePath)) throw new Error(`no Chromium at ${executablePath} (set FLOWLYTICS_CHROMIUM)`);
    await build({ configFile: path.join(ROOT, "bench", "vite.config.ts"), logLevel: "warn" });
    const server = await serve(options.api);
    const base = `http://127.0.0.1:${server.address().port}`;
    const browser = await chromium.launch({
      executablePath,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    const openPage = async (query) => {
      const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
      const errors = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      page.on("dialog", (d) => {
        errors.push(`unexpected dialog: ${d.message()}`);
        void d.dismiss();
      });
      await page.goto(`${base}/bench/index.html?${query}`);
      page.checkErrors = () => {
        if (errors.length) throw new Error(`page errors: ${errors.join("; ")}`);
      };
      return page;
    };
    try {
      await measure(openPage);
    } finally {
      await browser.close();
      server.close();
    }
  } catch (err) {
    console.error(err);
    process.exit(1);
  }
}
