// A third-party target: the npm `ws` library's server as a plain echo server (no compression).
// Run as `node tests/fuzz/ws_echo_server.js [port]` (needs `npm ci --prefix tests/js`); prints
// `listening on ws://127.0.0.1:PORT` like the reference server's CLI.
"use strict";
const path = require("path");
const { WebSocketServer } = require(path.join(__dirname, "..", "js", "node_modules", "ws"));

const wss = new WebSocketServer({ host: "127.0.0.1", port: Number(process.argv[2] || 0),
  perMessageDeflate: false, maxPayload: 32 * 1024 * 1024 });
wss.on("listening", () => {
  console.log(`listening on ws://127.0.0.1:${wss.address().port}`);
});
wss.on("connection", (ws) => {
  ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on("error", () => {});
});
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(0));
