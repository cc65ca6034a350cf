// Browser side of the e2e suite. run.mjs loads it into the test page (served
// from another origin than the SockJS server) or injects it into the echo
// server's own page (same origin, for htmlfile). Every entry point returns a
// plain object: {ok: true, ...} or {ok: false, expected, got}.
(function () {
  "use strict";

  var e2e = (window.e2e = {});
  var sockets = [];
  var pending = null; // {what, st}: what the running case waits for
  var IDLE_MS = 6000;

  function Fail(expected, got) {
    this.expected = expected;
    this.got = got;
  }

  // show quotes a string for a failure message: ASCII only, long ones cut.
  function show(s, max) {
    if (typeof s !== "string") {
      return String(s);
    }
    max = max || 80;
    var q = JSON.stringify(s).replace(/[^\x20-\x7e]/g, function (c) {
      return "\\u" + ("000" + c.charCodeAt(0).toString(16)).slice(-4);
    });
    return q.length > max ? q.slice(0, max) + "...\" (" + s.length + " chars)" : q;
  }
  e2e.show = show;

  function summary(st) {
    var parts = [];
    if (st.opened) {
      parts.push("open via " + st.transport);
    } else if (!st.closed) {
      parts.push("not open yet");
    }
    parts.push(st.msgs.length + " message" + (st.msgs.length === 1 ? "" : "s") +
      (st.msgs.length ? " (last " + show(st.msgs[st.msgs.length - 1]) + ")" : ""));
    if (st.closed) {
      parts.push((st.opened ? "then " : "") + "close " + st.closed.code + " " + show(st.closed.reason) +
        (st.closed.wasClean ? "" : " (not clean)"));
    }
    return parts.join(", ");
  }

  function connect(o, service, transport) {
    var url = o.base + "/" + service;
    // timeout: the client's own transport time-out is 2 round trips of the
    // /info request, some 600 ms here, too short for a busy 2-core machine
    var options = { timeout: 5000 };
    if (transport) {
      options.transports = [transport];
    }
    var s = new SockJS(url, null, options);
    var st = { sock: s, opened: false, transport: null, msgs: [], closed: null, waiters: [], last: Date.now() };
    sockets.push(st);
    function poke() {
      st.last = Date.now();
      st.waiters = st.waiters.filter(function (w) { return !w(); });
    }
    s.onopen = function () {
      st.opened = true;
      st.transport = s.transport;
      poke();
    };
    s.onmessage = function (e) {
      st.msgs.push(e.data);
      poke();
    };
    s.onclose = function (e) {
      st.closed = { code: e.code, reason: e.reason, wasClean: e.wasClean };
      poke();
    };
    // until resolves once pred() holds. It fails with what was expected and
    // what the socket went through if the socket closes first, or if
    // nothing arrives for IDLE_MS: every wait here is for an answer to
    // something just sent, so a silent server fails fast.
    st.until = function (what, pred, closeIsOk) {
      pending = { what: what, st: st };
      st.last = Date.now();
      return new Promise(function (resolve, reject) {
        var idle = setInterval(function () {
          if (Date.now() - st.last > IDLE_MS) {
            done();
            reject(new Fail(what, summary(st) + "; then nothing for " + IDLE_MS / 1000 + " s"));
          }
        }, 250);
        function done() {
          clearInterval(idle);
          pending = null;
          st.waiters = st.waiters.filter(function (w) { return w !== check; });
        }
        function check() {
          if (pred()) {
            done();
            resolve();
            return true;
          }
          if (st.closed && !closeIsOk) {
            done();
            reject(new Fail(what, summary(st)));
            return true;
          }
          return false;
        }
        if (!check()) {
          st.waiters.push(check);
        }
      });
    };
    return st;
  }

  async function opened(st, transport) {
    await st.until(transport ? "open via " + transport : "open", function () { return st.opened; });
    if (transport && st.transport !== transport) {
      throw new Fail("sock.transport " + show(transport), show(st.transport));
    }
  }

  // WINDOW bounds the code units sent and not yet echoed, so that a batch
  // the client sends in one request stays far below the server's 1 MiB
  // MaxMessageSize, even escaped and percent-encoded in a jsonp_send form.
  var WINDOW = 32768;

  function hex(c) {
    return "0x" + ("000" + c.toString(16)).slice(-4);
  }

  // difference tells how got differs from want, code unit by code unit, or
  // returns "" when they are equal.
  function difference(want, got) {
    if (got === want) {
      return "";
    }
    if (typeof got !== "string") {
      return show(got);
    }
    var i = 0;
    while (i < want.length && i < got.length && want.charCodeAt(i) === got.charCodeAt(i)) {
      i++;
    }
    var at = function (s) { return i < s.length ? hex(s.charCodeAt(i)) : "the end"; };
    var around = function (s) { return show(s.slice(Math.max(0, i - 8), i + 8), 60); };
    return "first difference at code unit " + i + ": expected " + at(want) + ", got " + at(got) +
      " (lengths " + want.length + " and " + got.length + "; around it expected " + around(want) + ", got " + around(got) + ")";
  }

  // mismatch compares got, from st, with want message by message and
  // describes the first difference, or returns null.
  function mismatch(st, what, want, got) {
    function label(i) {
      return what + " #" + i + " of " + want.length + " over " + st.transport + " with sockjs-client " + SockJS.version;
    }
    for (var i = 0; i < want.length; i++) {
      if (i >= got.length) {
        return new Fail(label(i) + " (" + want[i].length + " code units)", "nothing (" + got.length + " arrived)");
      }
      var d = difference(want[i], got[i]);
      if (!d) {
        continue;
      }
      // a message that arrived in the place of a later one: the ones
      // between were lost (as when the client drops a frame it cannot parse)
      var j = want.indexOf(got[i], i + 1);
      if (j > i && (i + 1 >= got.length || got[i + 1] === want[j + 1])) {
        return new Fail(label(i) + " (" + want[i].length + " code units)", "nothing: " +
          (j === i + 1 ? "it is" : "#" + i + " to #" + (j - 1) + " are") + " missing, the next to arrive was #" + j);
      }
      return new Fail(label(i) + " unchanged", d);
    }
    return null;
  }

  // explain turns a failed wait for want, the messages from index start
  // on, into the first wrong or missing one.
  function explain(e, st, what, want, start) {
    var m = mismatch(st, what, want, st.msgs.slice(start));
    if (m && e instanceof Fail) {
      m.got += "; then " + e.got;
    }
    return m || e;
  }

  // received waits until the messages from index start on are as many as
  // want, then requires them equal to want.
  async function received(st, start, want, what) {
    try {
      await st.until(want.length + " " + what + (want.length === 1 ? "" : "s"), function () {
        return st.msgs.length - start >= want.length;
      });
    } catch (e) {
      throw explain(e, st, what, want, start);
    }
    var bad = mismatch(st, what, want, st.msgs.slice(start));
    if (bad) {
      throw bad;
    }
    st.accounted = start + want.length;
  }

  // echo sends every message of list, keeping at most WINDOW code units
  // unanswered, and checks that the same come back, in order.
  async function echo(st, list, what) {
    what = what || "echo";
    var start = st.msgs.length;
    var ends = [0]; // ends[i]: code units of list[0:i], counting 1 more for each message
    list.forEach(function (m, i) { ends.push(ends[i] + m.length + 1); });
    var sent = 0;
    while (sent < list.length) {
      var back = Math.min(st.msgs.length - start, sent);
      while (sent < list.length && (sent === back || ends[sent + 1] - ends[back] <= WINDOW)) {
        st.sock.send(list[sent++]);
      }
      if (sent === list.length) {
        break;
      }
      try {
        await st.until("an echo of message #" + back + " of " + list.length, function () { return st.msgs.length - start > back; });
      } catch (e) {
        throw explain(e, st, what, list, start);
      }
    }
    await received(st, start, list, what);
  }

  function sleep(ms) {
    return new Promise(function (r) { setTimeout(r, ms); });
  }

  // noneMore checks, after a moment, that no message came after those the
  // case expected.
  async function noneMore(st) {
    await sleep(50);
    if (st.accounted !== undefined && st.msgs.length > st.accounted) {
      throw new Fail("no message after the " + st.accounted + " expected", (st.msgs.length - st.accounted) + " more, the first " + show(st.msgs[st.accounted]));
    }
  }

  // closeNormally checks that no more messages came, then closes st.
  async function closeNormally(st) {
    if (st.closed) {
      return;
    }
    await noneMore(st);
    st.sock.close();
    await st.until("close 1000", function () { return !!st.closed; }, true);
  }

  async function info(o, service) {
    var what = "an answer to GET /" + service + "/info";
    var r;
    try {
      r = await fetch(o.base + "/" + service + "/info", { credentials: "include", cache: "no-store", signal: AbortSignal.timeout(IDLE_MS) });
    } catch (e) {
      throw new Fail(what, e.name === "TimeoutError" ? "nothing in " + IDLE_MS / 1000 + " s" : String(e));
    }
    if (r.status !== 200) {
      throw new Fail("GET /" + service + "/info 200", String(r.status));
    }
    return r.json();
  }

  // rawWebsocketOpens tells whether a plain WebSocket to url opens within ms.
  function rawWebsocketOpens(url, ms) {
    return new Promise(function (resolve) {
      var ws;
      try {
        ws = new WebSocket(url);
      } catch (e) {
        resolve("throws " + e);
        return;
      }
      var t = setTimeout(function () { resolve("neither opened nor failed in " + ms + " ms"); ws.close(); }, ms);
      ws.onopen = function () { clearTimeout(t); resolve("open"); ws.close(); };
      ws.onclose = function (e) { clearTimeout(t); resolve("refused (close " + e.code + ")"); };
    });
  }

  function wsURL(o, path) {
    return o.base.replace(/^http/, "ws") + path;
  }

  function randomID() {
    return Math.random().toString(36).slice(2, 10);
  }

  var special = [
    "plain ASCII",
    "",
    "   leading and trailing spaces   ",
    "h\u00e9llo w\u00f6rld \u00f1 \u00e7 \u00df \u00e6\u00f8\u00e5 \u20ac \u00a3 \u00a5",
    "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac \u0420\u0443\u0441\u0441\u043a\u0438\u0439 \u4e2d\u6587 \u65e5\u672c\u8a9e \ud55c\uad6d\uc5b4 \u05e2\u05d1\u05e8\u05d9\u05ea \u0627\u0644\u0639\u0631\u0628\u064a\u0629",
    "emoji \ud83d\ude00\ud83c\udf89\ud83d\udc4d\ud83c\udffd \ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67\u200d\ud83d\udc66 \ud83c\uddeb\ud83c\uddee \ud834\udd1e",
    "line separator \u2028 paragraph separator \u2029 end",
    "\u2028",
    "NUL \u0000 inside",
    "\u0000",
    "C0 controls " + (function () { var s = ""; for (var i = 1; i < 32; i++) { s += String.fromCharCode(i); } return s; })(),
    "DEL and C1 \u007f\u0080\u0085\u009f",
    "tab\tnewline\ncarriage return\r\nend",
    "\n",
    "</script><script>alert(1)</script>",
    "<!-- not a comment -->",
    "<![CDATA[ x ]]> &amp; &lt; <b>bold</b> <iframe>",
    "\"double quotes\" 'single quotes' `backticks`",
    "back\\slash \\\\ \\u0041 \\n \\\"",
    "JSON {\"a\":[1,2,{\"b\":null}]} , : [ ] { } true false null",
    "/slash/ //comment /* block */",
    "a[\"frame lookalike\"]",
    "c[3000,\"Go away!\"]",
    "o",
    "h",
    "data: eventsource lookalike\n\n",
    "escaped by the client \u200c\u200d\u200e\u200f \u2060\u2061\u206f \ufeff \ufff0\ufffd\ufffe\uffff",
    "\u20ac".repeat(2000) + " (6000 UTF-8 bytes, over the 4096-byte limit)"
  ];

  var cases = {};

  cases["echo-order"] = async function (o) {
    var st = connect(o, "echo", o.transport);
    await opened(st, o.expectTransport || o.transport);
    var list = [];
    for (var i = 0; i < 200; i++) {
      list.push("message " + i + " " + "abcdefghij".slice(0, i % 10));
    }
    await echo(st, list);
    await closeNormally(st);
    return { transport: st.transport };
  };

  cases["echo-special"] = async function (o) {
    var st = connect(o, "echo", o.transport);
    await opened(st, o.transport);
    await echo(st, special);
    // once more, one at a time, so each stands alone in a frame
    for (var i = 0; i < special.length; i++) {
      await echo(st, [special[i]]);
    }
    await closeNormally(st);
    return { transport: st.transport };
  };

  cases["echo-64k"] = async function (o) {
    var st = connect(o, "echo", o.transport);
    await opened(st, o.transport);
    var big = "";
    while (big.length < 65536) {
      big += "0123456789abcdef";
    }
    var bigUnicode = "\u00e9\u4e2d\ud83d\ude00<>\"\\\u2028\u0000".repeat(6554).slice(0, 65536);
    await echo(st, [big, "after 64 KiB"]);
    await echo(st, [bigUnicode, "after 64 KiB non-ASCII"]);
    await closeNormally(st);
    return { transport: st.transport };
  };

  cases["close-3000"] = async function (o) {
    var st = connect(o, "close", o.transport);
    await st.until("open then close 3000 \"Go away!\"", function () { return !!st.closed; }, true);
    if (!st.opened) {
      throw new Fail("open then close 3000 \"Go away!\"", summary(st));
    }
    if (st.transport !== o.transport) {
      throw new Fail("sock.transport " + show(o.transport), show(st.transport));
    }
    if (st.closed.code !== 3000 || st.closed.reason !== "Go away!") {
      throw new Fail("close 3000 \"Go away!\"", "close " + st.closed.code + " " + show(st.closed.reason));
    }
    if (st.msgs.length) {
      throw new Fail("no message", summary(st));
    }
    return { transport: st.transport };
  };

  cases["client-close"] = async function (o) {
    var st = connect(o, "echo", o.transport);
    await opened(st, o.transport);
    await echo(st, ["before close"]);
    await noneMore(st);
    st.sock.close();
    await st.until("close", function () { return !!st.closed; }, true);
    var c = st.closed;
    if (c.code !== 1000 || c.reason !== "Normal closure" || !c.wasClean) {
      throw new Fail("close 1000 \"Normal closure\" (clean)", "close " + c.code + " " + show(c.reason) + (c.wasClean ? "" : " (not clean)"));
    }
    if (st.sock.readyState !== 3) {
      throw new Fail("readyState CLOSED (3)", String(st.sock.readyState));
    }
    // a new session works after the old one is gone
    var again = connect(o, "echo", o.transport);
    await opened(again, o.transport);
    await echo(again, ["after close"]);
    await closeNormally(again);
    return { transport: st.transport };
  };

  cases.amplify = async function (o) {
    var st = connect(o, "amplify", o.transport);
    await opened(st, o.transport);
    var ns = [1, 2, 10, 12, 13, 16, 17, 18];
    for (var k = 0; k < ns.length; k++) {
      var n = ns[k];
      var want = Math.pow(2, n);
      var before = st.msgs.length;
      st.sock.send(String(n));
      await st.until("an answer of " + want + " x to \"" + n + "\"", function () { return st.msgs.length > before; });
      var got = st.msgs[before];
      if (typeof got !== "string" || got.length !== want || !/^x*$/.test(got)) {
        throw new Fail(want + " x for \"" + n + "\"", show(got) + (typeof got === "string" ? " (" + got.length + " chars)" : ""));
      }
    }
    await closeNormally(st);
    return { transport: st.transport };
  };

  cases["cookie-needed"] = async function (o) {
    var inf = await info(o, "cookie_needed_echo");
    if (inf.cookie_needed !== true) {
      throw new Fail("/cookie_needed_echo/info cookie_needed: true", JSON.stringify(inf));
    }
    var st = connect(o, "cookie_needed_echo", o.transport);
    await opened(st, o.transport);
    await echo(st, ["cookie one", "cookie two \u2603", special[14]]);
    await closeNormally(st);
    return { transport: st.transport };
  };

  cases["disabled-ws"] = async function (o) {
    var inf = await info(o, "disabled_websocket_echo");
    if (inf.websocket !== false) {
      throw new Fail("/disabled_websocket_echo/info websocket: false", JSON.stringify(inf));
    }
    var st;
    if (o.transport === "websocket") {
      st = connect(o, "disabled_websocket_echo", "websocket");
      await st.until("close 2000 \"All transports failed\" without open", function () { return !!st.closed; }, true);
      if (st.opened || st.closed.code !== 2000) {
        throw new Fail("close 2000 \"All transports failed\" without open", summary(st));
      }
      // the client believed /info; the server must refuse a websocket anyway
      var path = "/disabled_websocket_echo/000/" + randomID() + "/websocket";
      var refused = await rawWebsocketOpens(wsURL(o, path), 5000);
      if (refused === "open") {
        throw new Fail("WebSocket to " + path + " refused", "open");
      }
      var raw = await rawWebsocketOpens(wsURL(o, "/disabled_websocket_echo/websocket"), 5000);
      if (raw === "open") {
        throw new Fail("WebSocket to /disabled_websocket_echo/websocket refused", "open");
      }
      // and the same test accepts a websocket where it is enabled
      var ok = await rawWebsocketOpens(wsURL(o, "/echo/000/" + randomID() + "/websocket"), 5000);
      if (ok !== "open") {
        throw new Fail("WebSocket to /echo/000/.../websocket open", ok);
      }
      return { transport: null };
    }
    st = connect(o, "disabled_websocket_echo", o.transport);
    await st.until("open", function () { return st.opened; });
    if (o.transport && st.transport !== o.transport) {
      throw new Fail("sock.transport " + show(o.transport), show(st.transport));
    }
    if (!o.transport && st.transport === "websocket") {
      throw new Fail("a fallback transport", "websocket");
    }
    await echo(st, ["no websocket here", special[6]]);
    await closeNormally(st);
    return { transport: st.transport };
  };

  // auth: /auth_echo lets a session open only with ?token=good in the URL
  // given to SockJS, which the client keeps on every request; it greets the
  // user that Authenticate named. A bad or missing token is refused on the
  // first request, and the client gives up without opening.
  cases.auth = async function (o) {
    var st = connect(o, "auth_echo?token=good", o.transport);
    await opened(st, o.transport);
    await st.until("a greeting", function () { return st.msgs.length >= 1; });
    if (st.msgs[0] !== "hello alice") {
      throw new Fail("greeting \"hello alice\"", show(st.msgs[0]));
    }
    await echo(st, ["sent with a token", "and another \u2603"]);
    await closeNormally(st);
    var refusals = [];
    var tokens = ["bad", ""];
    for (var i = 0; i < tokens.length; i++) {
      var r = connect(o, "auth_echo" + (tokens[i] ? "?token=" + tokens[i] : ""), o.transport);
      await r.until("a refusal", function () { return !!r.closed; }, true);
      if (r.opened || r.msgs.length) {
        throw new Fail("no open and no message with token " + show(tokens[i]), summary(r));
      }
      refusals.push(r.closed.code + " " + r.closed.reason);
    }
    return { transport: st.transport, refusals: refusals };
  };

  // fallback: /polling_only_echo serves xhr-polling and jsonp-polling only;
  // a client left to choose tries the others, which answer 404, and ends up
  // polling (over xhr, directly or from its iframe, as its timing allows).
  cases.fallback = async function (o) {
    var st = connect(o, "polling_only_echo", null);
    await st.until("open", function () { return st.opened; });
    if (["xhr-polling", "iframe-xhr-polling", "jsonp-polling"].indexOf(st.transport) < 0) {
      throw new Fail("a polling transport", show(st.transport));
    }
    await echo(st, ["fell back"]);
    await closeNormally(st);
    return { transport: st.transport };
  };

  // units: every UTF-16 code unit, lone surrogates included, in 64
  // messages of 1024 consecutive units, echoed back.
  cases.units = async function (o) {
    var list = [];
    for (var k = 0; k < 0x10000; k += 1024) {
      var u = [];
      for (var c = k; c < k + 1024; c++) {
        u.push(c);
      }
      list.push(String.fromCharCode.apply(null, u));
    }
    var st = connect(o, "echo", o.transport);
    await opened(st, o.transport);
    await echo(st, list, "echo of code units");
    await closeNormally(st);
    return { transport: st.transport };
  };

  // generated: /generated sends the strings of generate.js for o.seed and
  // o.count; then they are echoed back.
  cases.generated = async function (o) {
    var want = window.e2eGenerate(o.seed, o.count);
    var st = connect(o, "generated", o.transport);
    await opened(st, o.transport);
    await received(st, 0, want, "server-to-client message");
    await echo(st, want, "echo of generated message");
    await closeNormally(st);
    return { transport: st.transport };
  };

  e2e.cases = Object.keys(cases);

  e2e.run = async function (name, o) {
    try {
      var r = await cases[name](o);
      return Object.assign({ ok: true }, r);
    } catch (e) {
      return failure(e);
    } finally {
      sockets.forEach(function (st) { if (!st.closed) { st.sock.close(); } });
    }
  };

  function failure(e) {
    if (e instanceof Fail) {
      return { ok: false, expected: e.expected, got: e.got };
    }
    return { ok: false, expected: "no exception", got: String((e && e.stack) || e) };
  }

  // describe tells, after a time-out, what the page was waiting for.
  e2e.describe = function () {
    if (pending) {
      return "expected " + pending.what + ", got " + summary(pending.st);
    }
    return sockets.length ? "last socket: " + summary(sockets[sockets.length - 1]) : "no socket opened";
  };

  // probe opens a socket with one transport and tells whether the client enabled it.
  e2e.probe = async function (o) {
    var st = connect(o, "echo", o.transport);
    await st.until("open or close", function () { return st.opened || !!st.closed; }, true);
    if (st.opened) {
      st.sock.close();
      return { enabled: true, transport: st.transport };
    }
    return { enabled: false, detail: "close " + st.closed.code + " " + show(st.closed.reason) + " without trying it" };
  };

  // Broadcast: run.mjs drives two pages, each with one socket.
  var bc = null;
  e2e.bcOpen = async function (o) {
    try {
      bc = connect(o, "broadcast", o.transport);
      await opened(bc, o.transport);
      return { ok: true, transport: bc.transport };
    } catch (e) {
      return failure(e);
    }
  };
  e2e.bcSend = function (m) {
    bc.sock.send(m);
    return { ok: true };
  };
  // bcWait waits for the messages that start with tag (other cases may
  // broadcast at the same time) and checks that they are want, in order.
  e2e.bcWait = async function (tag, want) {
    function mine() {
      return bc.msgs.filter(function (m) { return m.indexOf(tag) === 0; });
    }
    try {
      await bc.until(want.length + " broadcast messages tagged " + tag, function () { return mine().length >= want.length; });
      var got = mine();
      for (var i = 0; i < want.length; i++) {
        if (got[i] !== want[i]) {
          throw new Fail("broadcast #" + i + " " + show(want[i]), show(got[i]));
        }
      }
      return { ok: true };
    } catch (e) {
      return failure(e);
    }
  };
  e2e.bcClose = async function () {
    try {
      await closeNormally(bc);
      return { ok: true };
    } catch (e) {
      return failure(e);
    }
  };
})();
