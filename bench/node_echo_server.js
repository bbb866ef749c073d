// Node `ws` echo server for the comparison. Usage: node node_echo_server.js [--deflate] (prints
// the port). --deflate accepts permessage-deflate at zlib level 1 and memLevel 8 (wspeer's
// defaults), compressing every message.
'use strict';
const { WebSocketServer } = require('ws');
const perMessageDeflate = process.argv.includes('--deflate')
  ? { threshold: 0, zlibDeflateOptions: { level: 1, memLevel: 8 } }
  : false;
const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate, maxPayload: 64 << 20 });
server.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
server.on('listening', () => console.log(`listening on port ${server.address().port}`));
