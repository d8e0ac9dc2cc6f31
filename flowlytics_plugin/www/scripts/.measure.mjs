import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { chromium } from "playwright-core";
const ROOT = "/work/main/flowlytics_plugin/www";
const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  const file = path.normalize(path.join(ROOT, decodeURIComponent(url.pathname)));
  if (!existsSync(file) || !statSync(file).isFile()) { res.writeHead(404).end(); return; }
  res.writeHead(200, { "Content-Type": file.endsWith(".html") ? "text/html" : "text/javascript" });
  createReadStream(file).pipe(res);
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const base = `http://127.0.0.1:${server.address().port}/bench/index.html`;
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox", "--disable-gpu"] });
const page = await browser.newPage({ viewport: { width: 1180, height: 1000 } });
await page.goto(`${base}?view=batch-health&processes=1000`);
await page.locator("[data-interactive-ms]").waitFor();
console.log(await page.evaluate(() => { const t = document.querySelector("[data-testid=flowlytics-process-table]"); t.style.width="auto"; return [t.scrollWidth, t.parentElement.clientWidth, [...t.querySelectorAll("th")].map(th => th.getBoundingClientRect().width|0)]; }));
await browser.close(); server.close();
