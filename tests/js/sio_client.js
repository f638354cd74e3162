#!/usr/bin/env node
// Drives the official npm `socket.io-client` (v4) against a Socket.IO testee (docs/testee-contract.md);
// prints one JSON line.
//
//   node tests/js/sio_client.js http://127.0.0.1:PORT basic|recovery
//
// basic: connects on "/" with an auth payload over polling and waits for the upgrade to WebSocket, then
// message -> message-back (with binary), message-with-ack (with binary), the server's emit-with-ack
// answered here, "/custom" on the same connection, "/refused" and an unknown namespace refused, rooms
// with a second client (broadcast reaches the other member only), disconnect-me.
// recovery (server run with recovery on): a member of room "r" loses its transport; meanwhile another
// client broadcasts two events to "r"; the client reconnects by itself and must come back recovered with
// both events, each once.
'use strict';

const { io } = require('socket.io-client');

const url = process.argv[2];
const mode = process.argv[3] || 'basic';
const result = { error: null };
const timer = setTimeout(() => finish('timeout'), 15000);
const sockets = [];

function finish(error) {
  clearTimeout(timer);
  if (error && !result.error) result.error = String(error && error.message ? error.message : error);
  for (const s of sockets) s.disconnect();
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}

function open(nsp, options) {
  const socket = io(url + nsp, { transports: ['polling', 'websocket'], reconnectionDelay: 50,
                                 reconnectionDelayMax: 100, ...options });
  sockets.push(socket);
  return socket;
}

function once(socket, event) {
  return new Promise((resolve) => socket.once(event, (...args) => resolve(args)));
}

function plain(value) {  // Buffers as {binary: [...]} so that JSON shows them
  if (Buffer.isBuffer(value) || value instanceof ArrayBuffer) return { binary: Array.from(new Uint8Array(value)) };
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

async function basic() {
  const a = open('/', { auth: { token: 'abc' }, forceNew: true });
  a.io.once('open', () => { result.firstTransport = a.io.engine.transport.name; });
  const auth = once(a, 'auth');
  await once(a, 'connect');
  result.auth = plain((await auth)[0]);
  if (a.io.engine.transport.name !== 'websocket') await new Promise((r) => a.io.engine.once('upgrade', r));
  result.upgradedTo = a.io.engine.transport.name;

  const back = once(a, 'message-back');
  a.emit('message', 1, 'two', Buffer.from([0, 1, 255]));
  result.messageBack = plain(await back);
  result.ack = plain(await a.timeout(5000).emitWithAck('message-with-ack', { nested: Buffer.from([7]) }, 'x'));

  a.once('ack-request', (...args) => {
    const reply = args.pop();
    reply('answered', ...args);
  });
  const response = once(a, 'ack-response');
  a.emit('emit-with-ack', 'ping', 2);
  result.ackResponse = plain(await response);

  const custom = a.io.socket('/custom', { auth: { where: 'custom' } });
  sockets.push(custom);
  const customAuth = once(custom, 'auth');
  custom.connect();
  await once(custom, 'connect');
  result.customAuth = plain((await customAuth)[0]);
  result.sameEngine = custom.io.engine === a.io.engine;

  for (const nsp of ['/refused', '/nope']) {
    const refused = a.io.socket(nsp);
    sockets.push(refused);
    refused.connect();
    const [err] = await once(refused, 'connect_error');
    result[nsp] = { message: err.message, data: err.data === undefined ? null : err.data };
  }

  const b = open('/', { forceNew: true });
  await once(b, 'connect');
  result.joined = [await a.emitWithAck('join', 'r'), await b.emitWithAck('join', 'r')];
  const got = [];
  a.on('broadcast-back', (...args) => got.push(['a', ...args]));
  b.on('broadcast-back', (...args) => got.push(['b', ...args]));
  await b.emitWithAck('broadcast', 'r', 'from b');
  await a.emitWithAck('broadcast', 'r', 'from a');
  await new Promise((r) => setTimeout(r, 200));
  result.broadcasts = got;

  const gone = once(custom, 'disconnect');
  custom.emit('disconnect-me');
  result.disconnectReason = (await gone)[0];
  const back2 = once(a, 'message-back');
  a.emit('message', 'main still connected');
  result.afterDisconnectMe = await back2;
}

async function recovery() {
  const a = open('/', { forceNew: true });
  const b = open('/', { forceNew: true });
  await Promise.all([once(a, 'connect'), once(b, 'connect')]);
  await a.emitWithAck('join', 'r');
  result.firstSid = a.id;
  result.recoveredAtFirst = a.recovered;
  const got = [];
  a.on('broadcast-back', (...args) => got.push(args[0]));
  const dropped = once(a, 'disconnect');
  a.io.engine.close();  // the transport goes away; the manager reconnects by itself
  result.dropReason = (await dropped)[0];
  await b.emitWithAck('broadcast', 'r', 'missed-1');
  await b.emitWithAck('broadcast', 'r', 'missed-2');
  await once(a, 'connect');
  result.sameSid = a.id === result.firstSid;
  result.recovered = a.recovered;
  await new Promise((r) => setTimeout(r, 300));
  result.missed = got;
}

(mode === 'recovery' ? recovery() : basic()).then(() => finish(null), finish);
