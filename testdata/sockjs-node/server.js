'use strict';
// The reference SockJS server: npm sockjs 0.3.24 serving the same services as
// examples/echo, for the differential and interoperability tests.
//
//   node server.js [--addr HOST:PORT] [--response-limit N]
//                  [--heartbeat-ms N] [--disconnect-ms N]
//
//   /echo                     echoes every message (response limit 4096 unless set)
//   /close                    closes every session with 3000 "Go away!" on open
//   /amplify                  answers a message "N" with 2^N 'x' characters
//   /broadcast                sends every message to every open session
//   /disabled_websocket_echo  echo without the websocket transports
//   /cookie_needed_echo       echo that sets the JSESSIONID cookie
//   /cmd                      runs commands: "close CODE REASON" closes the
//                             session, "send N" sends the messages "1".."N"
//                             (N at most 1000), CODE and N being 1 to 4 digits
//                             without a leading 0; every other message is
//                             echoed (response limit as /echo)
//
// It prints "listening on http://HOST:PORT" once it accepts connections and
// exits on SIGTERM or SIGINT, or when its standard input closes, so that it
// never outlives the test that started it.
const http = require('http');
const sockjs = require('sockjs');

const args = { addr: '127.0.0.1:0', 'response-limit': '4096', 'heartbeat-ms': '25000', 'disconnect-ms': '5000' };
for (let i = 2; i < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  if (!(k in args) || i + 1 >= process.argv.length) {
    console.error(`server.js: bad argument ${process.argv[i]}`);
    process.exit(2);
  }
  args[k] = process.argv[i + 1];
}
const cut = args.addr.lastIndexOf(':');
const host = args.addr.slice(0, cut);
const port = parseInt(args.addr.slice(cut + 1), 10);

const base = {
  log: () => {},
  heartbeat_delay: parseInt(args['heartbeat-ms'], 10),
  disconnect_delay: parseInt(args['disconnect-ms'], 10),
};

function service(prefix, onConnection, extra) {
  const srv = sockjs.createServer(Object.assign({}, base, extra));
  srv.on('connection', onConnection);
  return { prefix, srv };
}

function echo(conn) {
  conn.on('data', (m) => conn.write(m));
}

const members = new Set();
const services = [
  service('/echo', echo, { response_limit: parseInt(args['response-limit'], 10) }),
  service('/close', (conn) => conn.close(3000, 'Go away!')),
  service('/amplify', (conn) => {
    conn.on('data', (m) => {
      let n = parseInt(m, 10);
      if (!(n >= 1 && n <= 18)) n = 1;
      conn.write('x'.repeat(1 << n));
    });
  }),
  service('/broadcast', (conn) => {
    members.add(conn);
    conn.on('data', (m) => {
      for (const c of members) c.write(m);
    });
    conn.on('close', () => members.delete(conn));
  }),
  service('/disabled_websocket_echo', echo, { websocket: false }),
  service('/cmd', (conn) => {
    conn.on('data', (m) => {
      const w = m.split(' ');
      const number = w.length >= 2 && /^[1-9][0-9]{0,3}$/.test(w[1]);
      if (w[0] === 'close' && number) {
        conn.close(Number(w[1]), w.slice(2).join(' '));
      } else if (w[0] === 'send' && number && w.length === 2) {
        for (let i = 1; i <= Math.min(Number(w[1]), 1000); i++) conn.write(String(i));
      } else {
        conn.write(m);
      }
    });
  }, { response_limit: parseInt(args['response-limit'], 10) }),
  service('/cookie_needed_echo', echo, { jsessionid: true }),
];

const server = http.createServer();
for (const s of services) s.srv.installHandlers(server, { prefix: s.prefix });
// sockjs answers the requests under its prefixes; everything else is 404.
server.on('request', (req, res) => {
  const p = req.url.split('?')[0];
  if (services.some((s) => p === s.prefix || p.startsWith(s.prefix + '/'))) return;
  res.writeHead(404, { 'Content-Type': 'text/plain' });
  res.end('not found\n');
});
server.listen(port, host, () => {
  const a = server.address();
  process.stdout.write(`listening on http://${a.address}:${a.port}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
// sockjs 0.3.24 throws out of its event handlers on some input, which would
// end the process: a websocket frame ["close 3000 x","y"] to /cmd closes the
// session, and the next message of the array meets the session it cleared.
// Log and go on, as one request's failure should not end the server.
process.on('uncaughtException', (e) => console.error('uncaught exception:', e));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
