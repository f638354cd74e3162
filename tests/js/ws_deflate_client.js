#!/usr/bin/env node
// Drives the npm `ws` client with permessage-deflate against an echo server; prints one JSON line.
//
//   node tests/js/ws_deflate_client.js ws://127.0.0.1:PORT/
//
// Offers permessage-deflate (with client_max_window_bits, ws's default offer), sends compressible text,
// a compressible 4 MiB binary message, a fragmented text message, a short message under ws's compression
// threshold and the same text twice, one at a time; then closes with 1000. Prints the negotiated
// extensions as ws parsed them from the 101, and a digest of every echo.
'use strict';

const crypto = require('node:crypto');
const WebSocket = require('ws');

const url = process.argv[2];
const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');

const text = 'compress me: κόσμε ✓ '.repeat(2000);
const big = Buffer.alloc(4 * 1024 * 1024);
for (let i = 0; i < big.length; i++) big[i] = (i >>> 10) & 0xff; // long runs: compresses well

const result = { extensions: null, header: null, messages: [], close: null, error: null };
const ws = new WebSocket(url, { perMessageDeflate: { threshold: 0 }, maxPayload: 64 * 1024 * 1024 });

ws.on('upgrade', (res) => { result.header = res.headers['sec-websocket-extensions'] || null; });

const steps = [
  () => ws.send(text, { compress: true }),
  () => ws.send(big, { binary: true, compress: true }),
  () => {
    ws.send('frag', { fin: false, compress: true });
    ws.send('ment', { fin: false, compress: true });
    ws.send('ed', { fin: true, compress: true });
  },
  () => ws.send('short', { compress: false }),
  () => ws.send(text, { compress: true }),
];

function next() {
  const step = steps.shift();
  if (step) step();
  else ws.close(1000, 'done');
}

ws.on('open', () => {
  result.extensions = ws.extensions;
  next();
});
ws.on('message', (data, isBinary) => {
  const buf = Buffer.isBuffer(data) ? data : Buffer.concat(data);
  result.messages.push({ binary: isBinary, length: buf.length, sha256: sha256(buf) });
  next();
});
ws.on('close', (code, reason) => {
  result.close = { code, reason: reason.toString('utf8') };
  result.expected = { text: sha256(Buffer.from(text)), big: sha256(big), fragmented: sha256(Buffer.from('fragmented')),
                      short: sha256(Buffer.from('short')) };
  process.stdout.write(JSON.stringify(result) + '\n');
});
ws.on('error', (err) => {
  result.error = String(err);
});
setTimeout(() => {
  result.error = result.error || 'timed out';
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(1);
}, 30000).unref();
