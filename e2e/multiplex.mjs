// Browser test of examples/multiplex: its page opens three channels (ann,
// bob, carl) over one SockJS connection in headless Chromium, per transport.
//
//   node e2e/multiplex.mjs        (CHROMIUM=/path overrides /usr/bin/chromium)
//
// It builds and runs the server on 127.0.0.1:0, serves sockjs-client from a
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
const TRANSPORTS = ["websocket", "xhr-streaming", "eventsource", "xhr-polling", "iframe-eventsource", "jsonp-polling"];
const pids = [];
let staticServer, browserServer, passed = 0, failed = 0;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sockjs-multiplex-e2e-"));

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

// startServer builds and runs examples/multiplex and returns its base URL.
async function startServer(sockjsURL) {
  const bin = path.join(tmp, "multiplex");
  const b = spawnSync("go", ["build", "-o", bin, "./examples/multiplex"], { cwd: repo, encoding: "utf8" });
  if (b.status !== 0) throw new Error(`go build failed:\n${b.stderr}`);
  const child = spawn(bin, ["-addr", "127.0.0.1:0", "-sockjs-url", sockjsURL], { stdio: ["ignore", "pipe", "inherit"] });
  pids.push(child.pid);
  const line = await new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`server exited with ${code}`)));
  });
  const m = /^listening on (http:\/\/\S+)$/.exec(line);
  if (!m) throw new Error(`unexpected first line: ${line}`);
  return m[1];
}

const section = (topic) => `section[data-topic="${topic}"]`;

// received returns the messages a channel's log shows as received.
const received = (page, topic) => page.$$eval(`${section(topic)} li.in`, (lis) => lis.map((li) => li.textContent));

async function say(page, topic, text) {
  await page.fill(`${section(topic)} input`, text);
  await page.click(`${section(topic)} form button`);
}

async function expectReply(page, topic, text) {
  await page.waitForFunction(({ sel, text }) =>
    [...document.querySelectorAll(sel)].some((li) => li.textContent === text),
  { sel: `${section(topic)} li.in`, text }, { timeout: 10000 });
}

const replies = { ann: (s) => s, bob: (s) => s.toUpperCase(), carl: (s) => [...s].reverse().join("") };

// runTransport opens the page with one transport and runs its cases in order.
async function runTransport(browser, base, transport) {
  const page = await browser.newPage();
  const sessions = new Set();
  let sockets = 0;
  page.on("request", (r) => {
    const m = /\/multiplex\/[^/]+\/([^/]+)\//.exec(new URL(r.url()).pathname);
    if (m) sessions.add(m[1]);
  });
  page.on("websocket", (ws) => {
    sockets++;
    const m = /\/multiplex\/[^/]+\/([^/]+)\//.exec(ws.url());
    if (m) sessions.add(m[1]);
  });
  const oneConnection = () => {
    if (sessions.size !== 1) throw new Error(`${sessions.size} sessions: ${[...sessions]}`);
    if (sockets !== (transport === "websocket" ? 1 : 0)) throw new Error(`${sockets} websockets`);
  };
  const cases = [
    ["three channels over one connection", async () => {
      await page.goto(`${base}/?transport=${transport}`);
      await page.waitForFunction((t) => document.querySelector("#transport").textContent === t, transport, { timeout: 15000 });
      // every raw message, to check what the server sends once bob is gone
      await page.evaluate(() => { window.raw = []; sock.addEventListener("message", (e) => window.raw.push(e.data)); });
      for (const topic of Object.keys(replies)) {
        await expectReply(page, topic, `hello from ${topic}`);
        await say(page, topic, `hi ${topic}, from ${transport}`);
      }
      for (const [topic, f] of Object.entries(replies)) await expectReply(page, topic, f(`hi ${topic}, from ${transport}`));
      oneConnection();
    }],
    ["unsubscribing bob leaves ann and carl working", async () => {
      await page.evaluate(() => { window.raw = []; });
      await page.click(`${section("bob")} .toggle`);
      await page.waitForSelector(`${section("bob")}[data-state="closed"]`, { timeout: 5000 });
      await page.evaluate(() => sock.send("msg,bob,ghost"));
      const before = (await received(page, "bob")).length;
      for (const topic of ["ann", "carl"]) {
        await say(page, topic, "still here");
        await expectReply(page, topic, replies[topic]("still here"));
      }
      const bob = await page.evaluate(() => window.raw.filter((m) => m.startsWith("msg,bob")));
      if (bob.length !== 0) throw new Error(`bob answered after uns: ${bob}`);
      if ((await received(page, "bob")).length !== before) throw new Error("bob's log grew");
      oneConnection();
    }],
    ["resubscribing bob on the same connection", async () => {
      await page.click(`${section("bob")} .toggle`);
      await page.waitForFunction((sel) => [...document.querySelectorAll(sel)].filter((li) => li.textContent === "hello from bob").length === 2,
        `${section("bob")} li.in`, { timeout: 5000 });
      await say(page, "bob", "back again");
      await expectReply(page, "bob", "BACK AGAIN");
      oneConnection();
    }],
  ];
  for (const [name, fn] of cases) {
    try {
      await fn();
      passed++;
      console.log(`ok   ${transport}: ${name}`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${transport}: ${name}: ${String(e.message).split("\n")[0]}`);
      break; // the later cases depend on this one
    }
  }
  await page.close();
}

try {
  const base = await startServer(await serveClient());
  browserServer = await chromium.launchServer({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    // Playwright gives the browser a fresh user-data-dir of its own.
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  pids.push(browserServer.process().pid);
  const browser = await chromium.connect(browserServer.wsEndpoint());
  for (const t of TRANSPORTS) await runTransport(browser, base, t);
  await browser.close();
  await browserServer.close();
} catch (e) {
  failed++;
  console.log(`FAIL setup: ${e.stack || e}`);
}
console.log(`${passed} passed, ${failed} failed`);
cleanup();
process.exit(failed ? 1 : 0);
