#!/usr/bin/env node
// Drives the official npm `engine.io-client` (v6) against an Engine.IO echo server; prints one JSON line.
//
//   node tests/js/eio_echo_client.js http://127.0.0.1:PORT [polling,websocket]
//
// Opens a session on the given transports (polling first, then the client's own upgrade to WebSocket),
// waits for the upgrade when WebSocket is allowed, sends a text and a binary message and records their
// echoes, the transport names seen and whether a heartbeat ping arrived, then closes.
'use strict';

const { Socket } = require('engine.io-client');

const url = process.argv[2];
const transports = (process.argv[3] || 'polling,websocket').split(',');
const result = { open: null, upgraded: null, transport: null, messages: [], pings: 0, close: null,
                 error: null };
const socket = new Socket(url, { transports, upgrade: transports.includes('websocket') });
const timer = setTimeout(() => finish('timeout'), 10000);

function finish(error) {
  clearTimeout(timer);
  if (error && !result.error) result.error = String(error);
  socket.close();
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}

function exchange() {
  result.transport = socket.transport.name;
  socket.send('héllo ✓');
  socket.send(Uint8Array.from([0, 1, 2, 253, 254, 255]));
}

socket.on('open', () => {
  result.open = { transport: socket.transport.name, sid: socket.id };
  if (!transports.includes('websocket') || transports[0] === 'websocket') exchange();
});
socket.on('upgrade', (transport) => {
  result.upgraded = transport.name;
  exchange();
});
socket.on('ping', () => { result.pings += 1; });
socket.on('message', (data) => {
  result.messages.push(typeof data === 'string' ? { text: data } : { binary: Array.from(new Uint8Array(data)) });
  if (result.messages.length === 2) setTimeout(() => finish(null), 500);  // time for a heartbeat
});
socket.on('error', (err) => finish(err && err.message ? err.message : err));
socket.on('close', (reason) => { result.close = reason; });
