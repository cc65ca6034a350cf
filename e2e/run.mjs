// Browser end-to-end suite: sockjs-client in headless Chromium against
// examples/echo, one transport at a time.
//
//   node e2e/run.mjs [--transports a,b] [--cases a,b] [--timeout MS] [--jobs N]
//                    [--server "CMD ARGS"] [--chromium PATH]
//
// By default it builds ./examples/echo with go and runs it on 127.0.0.1:0.
// --server runs another command instead; it gets -addr and -sockjs-url
// appended and must print "listening on http://HOST:PORT" first.
// The test page comes from a second server on another port, so every SockJS
// request is cross-origin; htmlfile, which needs the same origin, runs from
// the echo server's own page. The last line is "N passed, M failed[, K skipped]".
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

// E2E_TRACE=1 prints every request, response and console message of each case.
const TRACE = !!process.env.E2E_TRACE;
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.dirname(here);

// ---- options -------------------------------------------------------------

const opt = {
  transports: null,
  cases: null,
  timeout: 20000,
  jobs: 3,
  server: null,
  chromium: process.env.CHROMIUM || "/usr/bin/chromium",
};
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  const val = () => {
    if (i + 1 >= process.argv.length) usage(`${a} needs a value`);
    return process.argv[++i];
  };
  if (a === "--transports") opt.transports = val().split(",");
  else if (a === "--cases") opt.cases = val().split(",");
  else if (a === "--timeout") opt.timeout = Number(val());
  else if (a === "--jobs") opt.jobs = Math.max(1, Number(val()));
  else if (a === "--server") opt.server = val();
  else if (a === "--chromium") opt.chromium = val();
  else usage(`unknown argument ${a}`);
}
function usage(msg) {
  console.error(`run.mjs: ${msg}\nusage: node e2e/run.mjs [--transports a,b] [--cases a,b] [--timeout MS] [--jobs N] [--server "CMD ARGS"] [--chromium PATH]`);
  process.exit(2);
}

// ---- what runs -----------------------------------------------------------

// Receiving requests of the streaming transports, which the server ends at
// ResponseLimit bytes so that the client opens a new one.
const STREAMING = new Set(["xhr-streaming", "eventsource", "iframe-eventsource", "htmlfile", "iframe-htmlfile"]);
const ALL_CASES = ["echo-order", "echo-special", "echo-64k", "close-3000", "client-close", "amplify", "cookie-needed", "disabled-ws", "broadcast"];

const TRANSPORTS = [
  { name: "websocket" },
  { name: "xhr-streaming" },
  { name: "xhr-polling" },
  { name: "eventsource" },
  { name: "iframe-eventsource" },
  { name: "iframe-htmlfile" },
  { name: "iframe-xhr-polling" },
  { name: "jsonp-polling" },
  { name: "htmlfile", sameOrigin: true },
  { name: "xdr-streaming", probe: true },
  { name: "xdr-polling", probe: true },
  // no transports option: the client picks; websocket first, a fallback where it is off
  { name: "auto", cases: ["echo-order", "disabled-ws"], expect: { "echo-order": "websocket" } },
  // the page a person opens first: examples/echo's own index.html
  { name: "echo-page", page: true, cases: ["round-trip", "pick-transport"] },
];

const selected = TRANSPORTS.filter((t) => !opt.transports || opt.transports.includes(t.name));
if (selected.length === 0) usage(`no transport matches ${opt.transports}`);

// ---- bookkeeping of what we started --------------------------------------

const children = new Set();
const tmpDirs = [];
let staticServer = null;
let browser = null;

async function cleanup() {
  if (browser) {
    const b = browser;
    browser = null;
    await withDeadline(b.close(), 3000).catch(() => {});
  }
  await Promise.all([...children].map(stopChild));
  if (staticServer) {
    staticServer.closeAllConnections?.();
    staticServer.close();
    staticServer = null;
  }
  for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

function stopChild(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      children.delete(child);
      resolve();
      return;
    }
    const hard = setTimeout(() => child.kill("SIGKILL"), 3000);
    child.once("exit", () => {
      clearTimeout(hard);
      children.delete(child);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

let stopping = false;
let cleaningUp = false;
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, async () => {
    if (stopping) return;
    stopping = true;
    console.log(`\ninterrupted by ${sig}; stopping the server and the browser`);
    await cleanup();
    process.exit({ SIGINT: 130, SIGTERM: 143, SIGHUP: 129 }[sig]);
  });
}

function withDeadline(promise, ms, what = "operation") {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function mkTemp(prefix) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(d);
  return d;
}

// keepTail drains a stream into a ring of its last lines.
function keepTail(stream, lines, max = 200) {
  readline.createInterface({ input: stream }).on("line", (l) => {
    lines.push(l);
    if (lines.length > max) lines.shift();
  });
}

// ---- the page origin: a static server ------------------------------------

const clientPath = path.join(here, "node_modules", "sockjs-client", "dist", "sockjs.min.js");
const harnessPath = path.join(here, "harness.js");

function startStatic() {
  const client = fs.readFileSync(clientPath);
  const harness = fs.readFileSync(harnessPath);
  const page = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>sockjs e2e</title>
<script src="/sockjs.min.js"></script>
<script src="/harness.js"></script>
</head><body><p>sockjs-client e2e page</p></body></html>
`;
  const srv = http.createServer((req, res) => {
    const p = new URL(req.url, "http://x").pathname;
    const send = (type, body) => {
      res.writeHead(200, { "Content-Type": type, "Cache-Control": "no-store" });
      res.end(body);
    };
    if (p === "/") send("text/html; charset=utf-8", page);
    else if (p === "/sockjs.min.js") send("application/javascript; charset=utf-8", client);
    else if (p === "/harness.js") send("application/javascript; charset=utf-8", harness);
    else if (p === "/favicon.ico") {
      res.writeHead(204);
      res.end();
    }
    else {
      res.writeHead(404, { "Content-Type": "text/plain" });
      res.end("not found\n");
    }
  });
  return new Promise((resolve, reject) => {
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      staticServer = srv;
      resolve(`http://127.0.0.1:${srv.address().port}`);
    });
  });
}

// ---- the SockJS server ---------------------------------------------------

function buildEcho() {
  const out = path.join(mkTemp("sockjs-e2e-bin-"), "echo");
  const r = spawnSync("go", ["build", "-o", out, "./examples/echo"], { cwd: repo, encoding: "utf8" });
  if (r.error) throw new Error(`go build: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`go build ./examples/echo failed:\n${r.stderr.trim()}`);
  return [out];
}

const serverLog = [];
let serverExit = null;

function startServer(cmd, sockjsURL) {
  const args = [...cmd.slice(1), "-addr", "127.0.0.1:0", "-sockjs-url", sockjsURL];
  const child = spawn(cmd[0], args, { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  keepTail(child.stderr, serverLog);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server printed no "listening on" line in 20 s`)), 20000);
    const rl = readline.createInterface({ input: child.stdout });
    let first = true;
    rl.on("line", (line) => {
      if (!first) {
        serverLog.push(line);
        return;
      }
      first = false;
      clearTimeout(timer);
      const m = /^listening on (http:\/\/\S+?)\/?\s*$/.exec(line);
      if (m) resolve(m[1]);
      else reject(new Error(`expected "listening on http://HOST:PORT" as the server's first line, got ${JSON.stringify(line)}`));
    });
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      serverExit = signal ? `signal ${signal}` : `code ${code}`;
      if (!stopping && !cleaningUp) console.log(`!!   the echo server exited (${serverExit})`);
      reject(new Error(`the server exited (${serverExit}) before listening:\n${serverLog.slice(-20).join("\n")}`));
    });
  });
}

// ---- the browser ---------------------------------------------------------

const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // pages of a browser that no window shows count as hidden: without these,
  // Chromium delays their timers to once a second and the polling
  // transports crawl (Playwright's own launcher passes the same)
  "--disable-background-timer-throttling",
  "--disable-backgrounding-occluded-windows",
  "--disable-renderer-backgrounding",
];

async function startBrowser() {
  if (!fs.existsSync(opt.chromium)) throw new Error(`${opt.chromium} is missing: run bash e2e/setup.sh`);
  const profile = mkTemp("sockjs-e2e-profile-");
  const args = [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank"];
  const child = spawn(opt.chromium, args, { stdio: ["ignore", "ignore", "pipe"] });
  children.add(child);
  const log = [];
  const endpoint = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Chromium did not start in 30 s:\n${log.join("\n")}`)), 30000);
    const rl = readline.createInterface({ input: child.stderr });
    rl.on("line", (line) => {
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      } else if (log.length < 50) log.push(line);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`Chromium exited (${signal || code}) before listening:\n${log.join("\n")}`));
    });
  });
  browser = await chromium.connectOverCDP(endpoint);
  return browser.version();
}

// ---- one case ------------------------------------------------------------

class CaseFailure extends Error {
  constructor(expected, got) {
    super(`expected ${expected}, got ${got}`);
    this.expected = expected;
    this.got = got;
  }
}

class Timeout extends Error {}

let serverURL, pageURL, harnessSource;

// call runs fn in the page and turns {ok: false} into a CaseFailure.
async function call(page, fn, arg) {
  const r = await page.evaluate(fn, arg);
  if (r && r.ok === false) throw new CaseFailure(r.expected, r.got);
  return r;
}

async function runCase(tr, name) {
  if (serverExit) return { status: "FAIL", ms: 0, detail: `the echo server had exited (${serverExit})` };
  const context = await browser.newContext({ viewport: { width: 1040, height: 900 } });
  const requests = [];
  const responses = [];
  const consoleErrors = [];
  context.on("request", (r) => requests.push({ url: r.url(), method: r.method() }));
  if (TRACE) {
    const t0 = Date.now();
    const tag = `${tr.name} ${name}`;
    context.on("request", (r) => console.log(`  trace ${tag} +${Date.now() - t0} > ${r.method()} ${r.url()} ${(r.postData() || "").slice(0, 120)}`));
    context.on("requestfinished", (r) => console.log(`  trace ${tag} +${Date.now() - t0} < ${r.method()} ${r.url()} done`));
    context.on("requestfailed", (r) => console.log(`  trace ${tag} +${Date.now() - t0} < ${r.method()} ${r.url()} failed: ${r.failure()?.errorText}`));
    context.on("console", (m) => console.log(`  trace ${tag} +${Date.now() - t0} console.${m.type()}: ${m.text().slice(0, 200)}`));
  }
  context.on("response", (r) => {
    responses.push(
      r.headerValue("set-cookie").then(
        (cookie) => ({ url: r.url(), method: r.request().method(), status: r.status(), cookie }),
        () => ({ url: r.url(), method: r.request().method(), status: r.status(), cookie: null }),
      ),
    );
  });
  const pages = [];
  const x = {
    transport: tr.name === "auto" ? "" : tr.name,
    tr,
    requests,
    responses,
    step: "opening a page",
    async newPage() {
      const page = await context.newPage();
      pages.push(page);
      page.on("websocket", (ws) => requests.push({ url: ws.url(), method: "WEBSOCKET" }));
      page.on("console", (m) => {
        if (m.type() === "error" && consoleErrors.length < 20) consoleErrors.push(m.text());
      });
      page.on("pageerror", (e) => {
        if (consoleErrors.length < 20) consoleErrors.push(`uncaught ${e.message}`);
      });
      x.step = `loading ${tr.sameOrigin || tr.page ? serverURL : pageURL}/`;
      if (tr.sameOrigin || tr.page) {
        await page.goto(serverURL + "/");
        if (!tr.page) {
          await page.waitForFunction(() => typeof SockJS === "function");
          await page.addScriptTag({ content: harnessSource });
        }
      } else {
        await page.goto(pageURL + "/");
      }
      if (!tr.page) await page.waitForFunction(() => typeof SockJS === "function" && !!window.e2e);
      x.step = "running";
      return page;
    },
  };
  const start = Date.now();
  let timer;
  const work = (tr.page ? PAGE_CASES : CASES)[name](x);
  work.catch(() => {});
  try {
    const info = await Promise.race([
      work,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Timeout()), opt.timeout);
      }),
    ]);
    if (!tr.page && x.transport && info && info.transport) checkWire(x);
    return { status: "ok", ms: Date.now() - start, info };
  } catch (e) {
    const ms = Date.now() - start;
    let detail;
    if (e instanceof Timeout) {
      const said = [];
      for (const [i, p] of pages.entries()) {
        said.push((pages.length > 1 ? `page ${"AB"[i] || i}: ` : "") + await withDeadline(p.evaluate(() => (window.e2e ? window.e2e.describe() : "no harness")), 2000).catch((err) => `(page did not answer: ${err.message.split("\n")[0]})`));
      }
      detail = `timed out after ${opt.timeout} ms (${x.step}): ${said.join("; ") || "no page"}`;
    } else if (e instanceof CaseFailure) {
      detail = e.message;
    } else {
      detail = `error: ${(e && e.message) || e}`.split("\n").slice(0, 6).join("\n     ");
    }
    return { status: "FAIL", ms, detail, consoleErrors };
  } finally {
    clearTimeout(timer);
    await withDeadline(context.close(), 5000).catch(() => {});
  }
}

// The receiving request of each transport, as the last part of its URL.
const RECEIVE = {
  websocket: "websocket",
  "xhr-streaming": "xhr_streaming",
  "xhr-polling": "xhr",
  eventsource: "eventsource",
  htmlfile: "htmlfile",
  "iframe-eventsource": "eventsource",
  "iframe-htmlfile": "htmlfile",
  "iframe-xhr-polling": "xhr",
  "jsonp-polling": "jsonp",
};

// checkWire checks on the wire what sock.transport said: the sessions used
// the transport's receiving requests and no other's; the iframe transports
// loaded iframe.html.
function checkWire(x) {
  const want = RECEIVE[x.transport];
  if (!want) return;
  const kinds = new Set();
  for (const r of x.requests) {
    const m = /^\/[a-z_]+\/[^/]+\/[^/]+\/(websocket|xhr_streaming|xhr|eventsource|htmlfile|jsonp)$/.exec(new URL(r.url).pathname);
    if (m && r.method !== "OPTIONS") kinds.add(m[1]);
  }
  if (kinds.size !== 1 || !kinds.has(want)) {
    throw new CaseFailure(`sessions received over .../${want} only`, kinds.size ? [...kinds].map((k) => ".../" + k).join(" and ") : "no receiving request seen");
  }
  if (x.transport.startsWith("iframe-") && !x.requests.some((r) => /^\/[a-z_]+\/iframe[0-9a-z.-]*\.html$/.test(new URL(r.url).pathname))) {
    throw new CaseFailure("a request for the iframe page .../iframe.html", "none");
  }
}

function receives(x, service) {
  const re = new RegExp(`^/${service}/[^/]+/[^/]+/(xhr_streaming|eventsource|htmlfile)$`);
  return x.requests.filter((r) => re.test(new URL(r.url).pathname)).length;
}

// inPage opens a page and runs one of harness.js's cases in it.
function inPage(caseName) {
  return async (x) => {
    const page = await x.newPage();
    return call(page, ([c, o]) => window.e2e.run(c, o), [caseName, { base: serverURL, transport: x.transport, expectTransport: x.tr.expect?.[caseName] }]);
  };
}

// reconnects checks that a streaming transport used more than one receiving request.
function reconnects(x, service, why) {
  if (!STREAMING.has(x.transport)) return;
  const n = receives(x, service);
  if (n < 2) throw new CaseFailure(`at least 2 receiving requests to /${service} (${why})`, `${n}`);
}

const CASES = {
  "echo-order": inPage("echo-order"),
  "echo-special": inPage("echo-special"),
  "echo-64k": async (x) => {
    const r = await inPage("echo-64k")(x);
    reconnects(x, "echo", "64 KiB echoes exceed its 4096-byte ResponseLimit");
    return r;
  },
  "close-3000": inPage("close-3000"),
  "client-close": inPage("client-close"),
  amplify: async (x) => {
    const r = await inPage("amplify")(x);
    reconnects(x, "amplify", "a 2^18-byte answer exceeds the default 128 KiB ResponseLimit");
    return r;
  },
  "cookie-needed": async (x) => {
    const r = await inPage("cookie-needed")(x);
    if (x.transport !== "websocket") {
      const all = await Promise.all(x.responses);
      const session = all.filter((s) => s.method !== "OPTIONS" && /^\/cookie_needed_echo\/[^/]+\/[^/]+\/[a-z_]+$/.test(new URL(s.url).pathname));
      if (session.length === 0) throw new CaseFailure("session requests to /cookie_needed_echo", "none seen");
      const without = session.filter((s) => !/(^|\n)\s*JSESSIONID=/.test(s.cookie || ""));
      if (without.length) {
        const s = without[0];
        throw new CaseFailure(
          `Set-Cookie: JSESSIONID=... on every session response`,
          `${without.length} of ${session.length} without, e.g. ${s.method} ${new URL(s.url).pathname} ${s.status} set-cookie ${JSON.stringify(s.cookie)}`,
        );
      }
    }
    return r;
  },
  "disabled-ws": inPage("disabled-ws"),
  broadcast: async (x) => {
    const o = { base: serverURL, transport: x.transport };
    const a = await x.newPage();
    const b = await x.newPage();
    await call(b, (o) => window.e2e.bcOpen(o), o);
    await call(a, (o) => window.e2e.bcOpen(o), o);
    const tag = `[${x.transport} ${Math.random().toString(36).slice(2, 8)}] `;
    const fromA = `${tag}from page A \u00e9\ud83d\ude00`;
    const fromB = `${tag}from page B </script>`;
    await call(a, (m) => window.e2e.bcSend(m), fromA);
    await Promise.all([a, b].map((p) => call(p, ([t, w]) => window.e2e.bcWait(t, w), [tag, [fromA]])));
    await call(b, (m) => window.e2e.bcSend(m), fromB);
    await Promise.all([a, b].map((p) => call(p, ([t, w]) => window.e2e.bcWait(t, w), [tag, [fromA, fromB]])));
    await Promise.all([a, b].map((p) => call(p, () => window.e2e.bcClose())));
    return { transport: x.transport };
  },
};

// PAGE_CASES drive examples/echo's index.html as a person would.
const PAGE_CASES = {
  "round-trip": async (x) => {
    const page = await x.newPage();
    x.step = "driving the page";
    await expectText(page, "#status", "disconnected");
    await page.click("#connect");
    await expectText(page, "#status", "open");
    await expectText(page, "#transport", "websocket");
    const hello = "Hello, SockJS! Grüße from the e2e suite";
    await page.fill("#message", hello);
    await page.press("#message", "Enter");
    await expectLog(page, "recv", hello);
    await page.fill("#message", "<b>not bold</b> & 2 < 3");
    await page.click("#send");
    await expectLog(page, "recv", "<b>not bold</b> & 2 < 3");
    if ((await page.inputValue("#message")) !== "") throw new CaseFailure("an empty #message after sending", JSON.stringify(await page.inputValue("#message")));
    fs.mkdirSync(path.join(here, "out"), { recursive: true });
    await page.screenshot({ path: path.join(here, "out", "screenshot.png"), fullPage: true });
  },
  "pick-transport": async (x) => {
    const page = await x.newPage();
    x.step = "driving the page";
    await page.selectOption("#service", "amplify");
    await page.selectOption("#transport-choice", "xhr-polling");
    await page.click("#connect");
    await expectText(page, "#status", "open");
    await expectText(page, "#transport", "xhr-polling");
    await page.fill("#message", "10");
    await page.click("#send");
    await expectLog(page, "recv", "(1024 characters)");
    await page.click("#connect");
    await expectText(page, "#status", "closed");
    await expectLog(page, "sys", "closed: 1000 Normal closure");
  },
};

async function expectText(page, sel, want) {
  try {
    await page.waitForFunction(([s, w]) => document.querySelector(s)?.textContent.trim() === w, [sel, want], { timeout: 8000 });
  } catch {
    const got = await page.evaluate((s) => document.querySelector(s)?.textContent.trim() ?? null, sel).catch(() => "?");
    throw new CaseFailure(`${sel} ${JSON.stringify(want)}`, JSON.stringify(got));
  }
}

async function expectLog(page, kind, text) {
  try {
    await page.waitForFunction(([k, t]) => [...document.querySelectorAll("#log li." + k)].some((li) => li.textContent.includes(t)), [kind, text], { timeout: 8000 });
  } catch {
    const got = await page.evaluate(() => [...document.querySelectorAll("#log li")].slice(-4).map((li) => li.className + ": " + li.textContent).join(" | ")).catch(() => "?");
    throw new CaseFailure(`a ${kind} log line with ${JSON.stringify(text)}`, got || "an empty log");
  }
}

// ---- the run -------------------------------------------------------------

const results = [];
const width = Math.max(...TRANSPORTS.map((t) => t.name.length)) + 1;

function print(status, tr, name, r) {
  const head = `${status.padEnd(4)} ${tr.padEnd(width)} ${name}`;
  if (status === "ok") console.log(`${head} (${r.ms} ms)`);
  else if (status === "skip") console.log(`${head}: ${r.detail}`);
  else {
    console.log(`${head}: ${r.detail} (${r.ms} ms)`);
    const seen = new Map();
    for (const c of r.consoleErrors || []) seen.set(c, (seen.get(c) || 0) + 1);
    for (const [c, n] of [...seen].slice(0, 4)) console.log(`     | console: ${c.slice(0, 300)}${n > 1 ? ` (${n} times)` : ""}`);
  }
}

async function runTransport(tr) {
  if (stopping) return;
  const cases = (tr.cases || ALL_CASES).filter((c) => !opt.cases || opt.cases.includes(c));
  if (tr.probe) {
    const p = await probe(tr);
    if (!p.enabled) {
      const r = { status: "skip", detail: `not enabled by Chromium (${p.detail})` };
      results.push({ tr: tr.name, name: "(all cases)", ...r });
      print("skip", tr.name, "(all cases)", r);
      return;
    }
  }
  for (const name of cases) {
    if (stopping) return;
    const r = await runCase(tr, name);
    if (stopping) return;
    results.push({ tr: tr.name, name, ...r });
    print(r.status, tr.name, tr.name === "auto" && r.info?.transport ? `${name} [${r.info.transport}]` : name, r);
  }
}

async function probe(tr) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(pageURL + "/");
    await page.waitForFunction(() => !!window.e2e);
    return await withDeadline(page.evaluate((o) => window.e2e.probe(o), { base: serverURL, transport: tr.name }), opt.timeout, "probe");
  } catch (e) {
    return { enabled: false, detail: `probe failed: ${e.message.split("\n")[0]}` };
  } finally {
    await withDeadline(context.close(), 5000).catch(() => {});
  }
}

// matrix tabulates the transports that run every case; the others follow as lists.
function matrix() {
  const rows = [...new Set(results.map((r) => r.tr))];
  const cell = (r) => (r ? (r.status === "ok" ? "ok" : r.status) : "-");
  const full = rows.filter((row) => !TRANSPORTS.find((t) => t.name === row)?.cases && !results.some((r) => r.tr === row && r.status === "skip"));
  const cols = ALL_CASES.filter((c) => results.some((r) => r.name === c && full.includes(r.tr)));
  const lines = [];
  if (full.length) {
    lines.push(`${"".padEnd(width)} ${cols.map((c) => c.padEnd(c.length + 2)).join("")}`.trimEnd());
    for (const row of full) {
      lines.push(`${row.padEnd(width)} ${cols.map((c) => cell(results.find((x) => x.tr === row && x.name === c)).padEnd(c.length + 2)).join("")}`.trimEnd());
    }
  }
  for (const row of rows.filter((r) => !full.includes(r))) {
    lines.push(`${row.padEnd(width)} ${results.filter((r) => r.tr === row).map((r) => `${r.name} ${cell(r)}`).join(", ")}`);
  }
  return lines.join("\n");
}

async function main() {
  const t0 = Date.now();
  harnessSource = fs.readFileSync(harnessPath, "utf8");
  if (!fs.existsSync(clientPath)) throw new Error(`${clientPath} is missing: run bash e2e/setup.sh`);
  const clientVersion = JSON.parse(fs.readFileSync(path.join(here, "node_modules", "sockjs-client", "package.json"), "utf8")).version;
  pageURL = await startStatic();
  const cmd = opt.server ? opt.server.split(/\s+/).filter(Boolean) : buildEcho();
  serverURL = await startServer(cmd, `${pageURL}/sockjs.min.js`);
  const version = await startBrowser();
  console.log(`# sockjs-client ${clientVersion}, Chromium ${version}`);
  console.log(`# server ${serverURL} (${opt.server || "go build ./examples/echo"}), test page ${pageURL}, ${opt.timeout} ms per case`);

  const queue = [...selected];
  const workers = Array.from({ length: Math.min(opt.jobs, queue.length) }, async () => {
    for (let tr = queue.shift(); tr; tr = queue.shift()) await runTransport(tr);
  });
  await Promise.all(workers);
  if (stopping) return new Promise(() => {}); // the signal handler exits

  const passed = results.filter((r) => r.status === "ok").length;
  const failed = results.filter((r) => r.status === "FAIL").length;
  const skipped = results.filter((r) => r.status === "skip").length;
  console.log("");
  console.log(matrix());
  if (failed && serverLog.length) {
    console.log(`\n# last lines of the server's output:\n${serverLog.slice(-15).map((l) => "  " + l).join("\n")}`);
  }
  if (serverExit) console.log(`# the echo server exited during the run (${serverExit})`);
  console.log(`# ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
  return failed ? 1 : 0;
}

let code = 1;
const global_ = setTimeout(() => {
  console.log("FAIL the whole run took more than 10 minutes; stopping");
  cleanup().finally(() => process.exit(1));
}, 10 * 60 * 1000);
try {
  code = await main();
} catch (e) {
  if (stopping) await new Promise(() => {});
  console.log(`FAIL setup: ${e.message}`);
  console.log(`${results.filter((r) => r.status === "ok").length} passed, ${results.filter((r) => r.status === "FAIL").length + 1} failed`);
  code = 1;
} finally {
  cleaningUp = true;
  clearTimeout(global_);
  await cleanup();
}
process.exit(code);
