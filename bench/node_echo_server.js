// Node `ws` echo server for the comparison. Usage:
//   node node_echo_server.js [--deflate] [--tls CERT.pem KEY.pem]   (prints the port)
// --deflate accepts permessage-deflate at zlib level 1 and memLevel 8 (wspeer's defaults),
// compressing every message. --tls serves wss:// through Node's `https` server.
'use strict';
const fs = require('fs');
const https = require('https');
const { WebSocketServer } = require('ws');
const perMessageDeflate = process.argv.includes('--deflate')
  ? { threshold: 0, zlibDeflateOptions: { level: 1, memLevel: 8 } }
  : false;
const tls = process.argv.indexOf('--tls');
const options = { perMessageDeflate, maxPayload: 64 << 20 };
let server;
if (tls >= 0) {
  const httpsServer = https.createServer({
    cert: fs.readFileSync(process.argv[tls + 1]),
    key: fs.readFileSync(process.argv[tls + 2]),
  });
  server = new WebSocketServer({ ...options, server: httpsServer });
  httpsServer.listen(0, '127.0.0.1', () =>
    console.log(`listening on port ${httpsServer.address().port}`));
} else {
  server = new WebSocketServer({ ...options, host: '127.0.0.1', port: 0 });
  server.on('listening', () => console.log(`listening on port ${server.address().port}`));
}
server.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
