// SSE load client on Node http: opens CLIENTS streams to http://127.0.0.1:PORT/events, then counts the
// `data:` lines all of them receive during WINDOW seconds after WARMUP seconds.
// Usage: node sse_load.js PORT CLIENTS WARMUP WINDOW. Prints WINDOW_START / WINDOW_END lines, then one JSON
// line {"events": N, "seconds": S, "cpu_seconds": C}: the client's own CPU time over the window.
'use strict';
const http = require('http');

const [port, clients, warmup, window] = process.argv.slice(2).map(Number);
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
let counting = false;
let events = 0;
let open = 0;

function count(chunk) {
  let at = chunk.indexOf('data:');
  while (at !== -1) { events++; at = chunk.indexOf('data:', at + 5); }
}

function connect() {
  const req = http.get({ host: '127.0.0.1', port, path: '/events', agent }, (res) => {
    res.setEncoding('latin1');  // counting ASCII markers: no UTF-8 decoding cost
    res.on('data', (chunk) => { if (counting) count(chunk); });
    res.on('error', () => {});
    if (++open === clients) setTimeout(measure, warmup * 1000);
  });
  req.on('error', (err) => { console.error(`sse_load: ${err.message}`); process.exit(1); });
}

function measure() {
  counting = true;
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  console.log('WINDOW_START');
  setTimeout(() => {
    counting = false;
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    console.log('WINDOW_END');
    console.log(JSON.stringify({ events, seconds, cpu_seconds: (cpu.user + cpu.system) / 1e6 }));
    process.exit(0);
  }, window * 1000);
}

for (let i = 0; i < clients; i++) connect();
setTimeout(() => { console.error('sse_load: timed out'); process.exit(1); }, (warmup + window + 60) * 1000);
