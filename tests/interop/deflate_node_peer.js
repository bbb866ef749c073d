// Node `ws` with permessage-deflate, for tests/interop/deflate_interop_test.py.
//   deflate_node_peer.js client URL          sends MESSAGES, expects each echoed; prints the
//                                            agreed extensions and "ok N"
//   deflate_node_peer.js server              prints "port N", then for each connection sends
//                                            MESSAGES, expects each echoed, closes with 1000 and
//                                            prints the offer it got and "ok N"
'use strict';
const { WebSocket, WebSocketServer } = require('ws');

const deflate = { threshold: 0, clientMaxWindowBits: true };

function messages() {
  const list = [];
  for (let i = 0; i < 200; i++) list.push(JSON.stringify({ id: i, name: 'player'.repeat(i % 40), pos: [i, i * 2] }));
  list.push(Buffer.alloc(200000, 7), 'é'.repeat(50000), Buffer.alloc(0), '');
  return list;
}

function exchange(ws, done) {
  const list = messages();
  let next = 0;
  const sendNext = () => ws.send(list[next]);
  ws.on('message', (data, isBinary) => {
    const expected = list[next];
    const same = typeof expected === 'string'
      ? !isBinary && data.toString() === expected
      : isBinary && Buffer.compare(data, expected) === 0;
    if (!same) {
      console.log(`FAILED: message ${next} came back different`);
      process.exit(1);
    }
    if (++next === list.length) return done(list.length);
    sendNext();
  });
  sendNext();
}

if (process.argv[2] === 'client') {
  const ws = new WebSocket(process.argv[3], { perMessageDeflate: deflate });
  ws.on('open', () => {
    console.log(`extensions ${ws.extensions}`);
    exchange(ws, (count) => { console.log(`ok ${count}`); ws.close(1000); });
  });
  ws.on('error', (error) => { console.log(`FAILED: ${error.message}`); process.exit(1); });
} else {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: deflate });
  wss.on('listening', () => console.log(`port ${wss.address().port}`));
  wss.on('connection', (ws, request) => {
    console.log(`offer ${request.headers['sec-websocket-extensions'] || ''}`);
    exchange(ws, (count) => { console.log(`ok ${count}`); ws.close(1000); });
  });
}
