// Browser test of examples/chat's history: two tabs (separate browser
// contexts) in the lobby; one talks while the other reloads, or loses its
// network for 10 s; the other must then show every line once.
//
//   node e2e/chat.mjs        (CHROMIUM=/path overrides /usr/bin/chromium)
//
// It builds and runs the chat on 127.0.0.1:0, serves sockjs-client from a
// second server, prints one line per case and "N passed, M failed" last.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.dirname(here);
const OFFLINE_MS = 10000;
const pids = [];
let staticServer, passed = 0, failed = 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sockjs-chat-e2e-"));

function cleanup() {
  for (const pid of pids.splice(0)) {
    try { process.kill(pid, "SIGKILL"); } catch {}
  }
  if (staticServer) staticServer.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => { cleanup(); process.exit(130); });

// serveClient serves sockjs-client's bundle and returns the script's URL.
function serveClient() {
  const js = fs.readFileSync(path.join(here, "node_modules/sockjs-client-1.6.1/dist/sockjs.min.js"));
  staticServer = http.createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "application/javascript; charset=utf-8", "Cache-Control": "no-store" });
    res.end(js);
  });
  return new Promise((resolve) => staticServer.listen(0, "127.0.0.1", () =>
    resolve(`http://127.0.0.1:${staticServer.address().port}/sockjs.min.js`)));
}

// startServer builds and runs examples/chat and returns its base URL.
async function startServer(sockjsURL) {
  const bin = path.join(tmp, "chat");
  const b = spawnSync("go", ["build", "-o", bin, "./examples/chat"], { cwd: repo, encoding: "utf8" });
  if (b.status !== 0) throw new Error(`go build failed:\n${b.stderr}`);
  const child = spawn(bin, ["-addr", "127.0.0.1:0", "-sockjs-url", sockjsURL], { stdio: ["ignore", "pipe", "inherit"] });
  pids.push(child.pid);
  const line = await new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
  const m = /^chat on (http:\/\/\S+?)\/?$/.exec(line);
  if (!m) throw new Error(`unexpected first line: ${line}`);
  return m[1];
}

// lines returns the texts of the chat lines a page shows.
const lines = (page) => page.$$eval("#log .msg .bubble", (els) => els.map((e) => e.textContent));

async function say(page, text) {
  await page.fill("#text", text);
  await page.click("#send");
}

// open opens the chat in a new tab (a browser context of its own) and
// waits until it is in the lobby.
async function open(browser, url) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => [...document.querySelectorAll("#log .sys")].some((e) => e.textContent.startsWith("You joined")), null, { timeout: 15000 });
  return page;
}

// showsOnce waits until page shows each of texts, then checks that it
// shows every line once.
async function showsOnce(page, texts) {
  await page.waitForFunction((texts) => {
    const shown = [...document.querySelectorAll("#log .msg .bubble")].map((e) => e.textContent);
    return texts.every((t) => shown.includes(t));
  }, texts, { timeout: 20000 }).catch(async () => {
    throw new Error(`missing lines: shown ${JSON.stringify(await lines(page))}, want ${JSON.stringify(texts)}`);
  });
  await page.waitForTimeout(300); // for a line that would come twice
  const shown = await lines(page);
  const twice = shown.filter((t, i) => shown.indexOf(t) !== i);
  if (twice.length) throw new Error(`lines shown twice: ${JSON.stringify(twice)}`);
}

async function runTransport(browser, base, transport) {
  const url = `${base}/?transport=${transport}`;
  const talker = await open(browser, url);
  const listener = await open(browser, url);
  const said = [];
  const talk = async (tag, n) => {
    for (let i = 0; i < n; i++) {
      const t = `${transport} ${tag} ${i}`;
      await say(talker, t);
      said.push(t);
    }
  };
  const cases = [
    ["both tabs see the lines", async () => {
      await talk("first", 3);
      await showsOnce(listener, said);
    }],
    ["a reloaded tab shows what was said while it was away, once", async () => {
      await listener.goto("about:blank"); // the tab's session ends
      await talk("away", 4);
      await listener.goto(url); // the same tab: its sessionStorage holds its lines and offset
      await showsOnce(listener, said);
    }],
    [`a tab offline for ${OFFLINE_MS / 1000} s shows what was said meanwhile, once`, async () => {
      const drops = () => listener.$$eval("#log .sys", (els) => els.filter((e) => e.textContent.startsWith("Connection lost")).length);
      const before = await drops();
      await listener.context().setOffline(true);
      await talk("offline", 3);
      await listener.waitForTimeout(OFFLINE_MS);
      await talk("still offline", 2);
      await listener.context().setOffline(false);
      await talk("back", 2);
      await showsOnce(listener, said);
      return (await drops()) > before ? "the connection dropped; the tab joined again after its offset" : "the connection outlived the outage";
    }],
  ];
  for (const [name, fn] of cases) {
    try {
      const note = await fn();
      passed++;
      console.log(`ok   ${transport}: ${name}${note ? ` (${note})` : ""}`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${transport}: ${name}: ${String(e.message).split("\n")[0]}`);
      break; // the later cases depend on this one
    }
  }
  await talker.context().close();
  await listener.context().close();
}

try {
  const base = await startServer(await serveClient());
  const browserServer = await chromium.launchServer({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  pids.push(browserServer.process().pid);
  const browser = await chromium.connect(browserServer.wsEndpoint());
  for (const t of ["websocket", "xhr-polling"]) await runTransport(browser, base, t);
  await browser.close();
  await browserServer.close();
} catch (e) {
  failed++;
  console.log(`FAIL setup: ${e.stack || e}`);
}
console.log(`${passed} passed, ${failed} failed`);
cleanup();
process.exit(failed ? 1 : 0);
