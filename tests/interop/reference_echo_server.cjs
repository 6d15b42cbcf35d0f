'use strict';
// Reference echo server (Node ws 8) with the CLI contract of burrow's echo_server; a second
// reference, next to reference_echo_server.py, to prove the interop suites right.
//
// usage:  node reference_echo_server.cjs --port N [--host 127.0.0.1] [--subprotocol NAME]...
//                                         [--max-message-size BYTES] [--corrupt]
// --corrupt (test-only) flips the last byte of every echoed binary message of 1000 bytes or more.
const WebSocket = require('../../scripts/fixtures/ws_peers/load_ws.cjs');

const args = { port: null, host: '127.0.0.1', subprotocols: [], max: 64 * 1024 * 1024, corrupt: false };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--port') args.port = Number(argv[++i]);
  else if (a === '--host') args.host = argv[++i];
  else if (a === '--subprotocol') args.subprotocols.push(argv[++i]);
  else if (a === '--max-message-size') args.max = Number(argv[++i]);
  else if (a === '--corrupt') args.corrupt = true;
  else { console.error(`error: unknown argument ${a}`); process.exit(2); }
}
if (args.port === null || Number.isNaN(args.port)) { console.error('error: --port N is required'); process.exit(2); }

const wss = new WebSocket.WebSocketServer({
  host: args.host,
  port: args.port,
  maxPayload: args.max,
  handleProtocols: (offered) => [...offered].find((p) => args.subprotocols.includes(p)) || false,
});
wss.on('listening', () => {
  const a = wss.address();
  console.log(`listening on ${a.address}:${a.port}`);
});
wss.on('connection', (ws) => {
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => {
    let out = Buffer.from(data);
    if (args.corrupt && isBinary && out.length >= 1000) out[out.length - 1] ^= 1;
    ws.send(out, { binary: isBinary });
  });
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
