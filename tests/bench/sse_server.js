// SSE fan-out on plain Node http with the batch policy of tests/bench/sse_servers.py: a batch of BATCH
// events to every subscriber (one res.write each), the next batch once every subscriber's write buffer
// has drained. Usage: node sse_server.js PORT. Prints "READY <port>"; 127.0.0.1 only.
'use strict';
const http = require('http');

const BATCH = 16;
const PAD = 'x'.repeat(48);
const subs = new Set();
let seq = 0;
let running = false;

function publish() {
  if (subs.size === 0) { running = false; return; }
  const now = Date.now() / 1000;
  let waiting = 0;
  const lines = [];
  for (let i = 0; i < BATCH; i++, seq++) lines.push(`id: ${seq}\ndata: {"seq":${seq},"ts":${now},"p":"${PAD}"}\n\n`);
  const done = () => { if (--waiting === 0) setImmediate(publish); };
  for (const res of subs) {
    let ok = true;
    for (const line of lines) ok = res.write(line);
    if (!ok) { waiting++; res.once('drain', done); }
  }
  if (waiting === 0) setImmediate(publish);
}

const server = http.createServer((req, res) => {
  if (req.url !== '/events') { res.writeHead(404); res.end(); return; }
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
  subs.add(res);
  req.on('close', () => subs.delete(res));
  if (!running) { running = true; setImmediate(publish); }
});
server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => console.log(`READY ${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
