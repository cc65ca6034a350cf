'use strict';
// sockjs-node (0.3.24) reference server for the benchmark.
//   /echo       SockJS echo
//   /broadcast  SockJS; receives what POST /trigger broadcasts
//   /trigger    POST; the body is written to every open /broadcast connection
// Listen address: --addr HOST:PORT or BENCH_ADDR (default 127.0.0.1:0).
const http = require('http');
const sockjs = require('sockjs');

let addr = process.env.BENCH_ADDR || '127.0.0.1:0';
const i = process.argv.indexOf('--addr');
if (i >= 0 && process.argv[i + 1]) addr = process.argv[i + 1];
const cut = addr.lastIndexOf(':');
const host = addr.slice(0, cut);
const port = parseInt(addr.slice(cut + 1), 10);

const opts = {
  log: () => {},
  response_limit: 128 * 1024,
  heartbeat_delay: 25000,
  disconnect_delay: 5000,
};

const echo = sockjs.createServer(opts);
echo.on('connection', (conn) => {
  conn.on('data', (msg) => conn.write(msg));
});

const members = new Set();
const bcast = sockjs.createServer(opts);
bcast.on('connection', (conn) => {
  members.add(conn);
  conn.on('close', () => members.delete(conn));
});

const server = http.createServer();
server.on('request', (req, res) => {
  if (req.url.split('?')[0] !== '/trigger') return; // sockjs handlers answer their prefixes
  if (req.method !== 'POST') {
    res.writeHead(405);
    res.end();
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const msg = Buffer.concat(chunks).toString('utf8');
    for (const c of members) c.write(msg);
    res.writeHead(204);
    res.end();
  });
});
echo.installHandlers(server, { prefix: '/echo' });
bcast.installHandlers(server, { prefix: '/broadcast' });
// Anything that is neither a SockJS prefix nor /trigger gets a 404.
server.on('request', (req, res) => {
  const p = req.url.split('?')[0];
  if (p === '/trigger' || p.startsWith('/echo') || p.startsWith('/broadcast')) return;
  res.writeHead(404);
  res.end();
});
server.listen(port, host, () => {
  const a = server.address();
  process.stdout.write(`listening on http://${a.address}:${a.port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
