'use strict';
// Reference echo client (Node ws 8) with the CLI contract of burrow's echo_client; a second
// reference, next to reference_echo_client.py, to prove the interop suites right.
//
// usage:  node reference_echo_client.cjs URL [--subprotocol NAME]... [--max-message-size BYTES] [--corrupt]
// Exit status 0 after a clean close handshake started by the server; 1 on any error.
// --corrupt (test-only) flips the last byte of every echoed binary message of 1000 bytes or more.
const WebSocket = require('../../scripts/fixtures/ws_peers/load_ws.cjs');

const args = { url: null, subprotocols: [], max: 64 * 1024 * 1024, corrupt: false };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--subprotocol') args.subprotocols.push(argv[++i]);
  else if (a === '--max-message-size') args.max = Number(argv[++i]);
  else if (a === '--corrupt') args.corrupt = true;
  else if (!a.startsWith('--') && args.url === null) args.url = a;
  else { console.error(`error: unknown argument ${a}`); process.exit(2); }
}
if (!args.url) { console.error('error: URL is required'); process.exit(2); }

// ws rejects a handshake that selects no subprotocol when some were offered, and the contract
// lets the server select none: offer them with a header of our own, check the server's answer
// in 'upgrade' (emitted before ws checks it) and hide it from ws.
let ws;
try {
  ws = new WebSocket(args.url, { maxPayload: args.max, handshakeTimeout: 10000, perMessageDeflate: false,
    headers: args.subprotocols.length ? { 'Sec-WebSocket-Protocol': args.subprotocols.join(', ') } : {} });
} catch (e) {
  console.error(`error: ${e.message}`);
  process.exit(1);
}
let failed = null;
ws.on('upgrade', (res) => {
  const selected = res.headers['sec-websocket-protocol'];
  delete res.headers['sec-websocket-protocol'];
  if (selected !== undefined && !args.subprotocols.includes(selected)) {
    failed = `server selected subprotocol '${selected}', which was not offered`;
  } else if (selected !== undefined) {
    console.log(`subprotocol: ${selected}`);
  }
});
ws.on('open', () => { if (failed) ws.close(1002); });
ws.on('message', (data, isBinary) => {
  const out = Buffer.from(data);
  if (args.corrupt && isBinary && out.length >= 1000) out[out.length - 1] ^= 1;
  ws.send(out, { binary: isBinary });
});
ws.on('error', (e) => { failed = failed || e.message; });
ws.on('close', (code) => {
  if (!failed && code === 1006) failed = 'connection closed without a close frame';
  if (failed) {
    console.error(`error: ${failed}`);
    process.exit(1);
  }
  process.exit(0);
});
