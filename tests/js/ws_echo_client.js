#!/usr/bin/env node
// Drives the npm `ws` client against an echo server and prints what it received as one JSON line.
//
//   node tests/js/ws_echo_client.js ws://127.0.0.1:PORT/ [large_bytes]
//
// Sends, in order and one at a time: a text message, a binary message, a fragmented text message (three
// frames: fin=false, fin=false, fin=true), a large binary message, then a ping; after the pong it closes
// with 1000. The pytest side compares every echo with what it knows was sent.
'use strict';

const crypto = require('node:crypto');
const WebSocket = require('ws');

const url = process.argv[2];
const largeSize = Number(process.argv[3] || 16 * 1024 * 1024);
const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');

// A large payload that is not all zeros, so a corrupted echo shows.
const large = Buffer.alloc(largeSize);
for (let i = 0; i < large.length; i++) large[i] = (i * 31 + (i >>> 12)) & 0xff;

const result = { messages: [], pong: null, close: null, error: null };
const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: largeSize + 1024 });

const steps = [
  () => ws.send('héllo, wörld ✓'),
  () => ws.send(Buffer.from([0, 1, 2, 253, 254, 255]), { binary: true }),
  () => {
    ws.send('frag', { fin: false });
    ws.send('ment', { fin: false });
    ws.send('ed', { fin: true });
  },
  () => ws.send(large, { binary: true }),
];

function next() {
  const step = steps.shift();
  if (step) step();
  else ws.ping(Buffer.from('are you there?'));
}

ws.on('open', next);
ws.on('message', (data, isBinary) => {
  const buf = Buffer.isBuffer(data) ? data : Buffer.concat(data);
  if (buf.length > 1024) {
    result.messages.push({ binary: isBinary, length: buf.length, sha256: sha256(buf) });
  } else if (isBinary) {
    result.messages.push({ binary: true, hex: buf.toString('hex') });
  } else {
    result.messages.push({ binary: false, text: buf.toString('utf8') });
  }
  next();
});
ws.on('pong', (payload) => {
  result.pong = payload.toString('utf8');
  ws.close(1000, 'done');
});
ws.on('close', (code, reason) => {
  result.close = { code, reason: reason.toString('utf8') };
  result.large_sha256 = sha256(large);
  process.stdout.write(JSON.stringify(result) + '\n');
});
ws.on('error', (err) => {
  result.error = String(err);
});
