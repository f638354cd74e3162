// Echo server on the npm `ws` package (the peer "npm ws" of tests/bench/bench_servers.py).
// Usage: node ws_echo_server.js PORT   (0: a free port). Prints "READY <port>"; 127.0.0.1 only.
'use strict';
const { WebSocketServer } = require('ws');

const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.argv[2] || 0),
  perMessageDeflate: false, maxPayload: 64 << 20, clientTracking: false });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
});
wss.on('listening', () => console.log(`READY ${wss.address().port}`));
process.on('SIGTERM', () => process.exit(0));
