// A real peer for wspeer's interoperability tests, built on Node `ws` (npm).
//   node_peer.js server [--cert C --key K]   echo server with commands; prints "port N"
//   node_peer.js client URL [--ca FILE]      runs the client script against a wspeer echo server
// Same commands as python_peer.py.
'use strict';
const fs = require('fs');
const https = require('https');
const { WebSocket, WebSocketServer } = require('ws');

const argv = process.argv.slice(2);
const arg = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);

function serve() {
  let httpsServer = null;
  const options = {
    host: '127.0.0.1',
    maxPayload: 64 * 1024 * 1024,
    perMessageDeflate: false,
    handleProtocols: (offered) => (offered.has('chat') ? 'chat' : offered.has('superchat') ? 'superchat' : false),
  };
  if (arg('--cert')) {
    httpsServer = https.createServer({ cert: fs.readFileSync(arg('--cert')), key: fs.readFileSync(arg('--key')) });
    delete options.host;
    options.server = httpsServer;
  } else {
    options.port = 0;
  }
  const wss = new WebSocketServer(options);
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? null : data.toString();
      if (text !== null && text.startsWith('cmd:')) {
        if (text === 'cmd:fragment') {
          ws.send('Hel', { fin: false });
          ws.send('lo, ', { fin: false });
          ws.send('w\u00f6rld', { fin: true });
        } else if (text === 'cmd:ping') {
          ws.once('pong', () => ws.send('pong-received'));
          ws.ping('are you there');
        } else if (text === 'cmd:protocol') {
          ws.send(ws.protocol);
        } else if (text.startsWith('cmd:close:')) {
          const [, , code, ...reason] = text.split(':');
          ws.close(Number(code), reason.join(':'));
        }
      } else {
        ws.send(data, { binary: isBinary });
      }
    });
    ws.on('close', (code, reason) => console.log(`closed ${code} ${reason.toString()}`));
  });
  const announce = (port) => console.log(`port ${port}`);
  if (httpsServer) {
    httpsServer.listen(0, '127.0.0.1', () => announce(httpsServer.address().port));
  } else {
    wss.on('listening', () => announce(wss.address().port));
  }
}

function fail(what) {
  console.log(`FAILED: ${what}`);
  process.exit(1);
}

function client(url) {
  const options = { maxPayload: 64 * 1024 * 1024, perMessageDeflate: false };
  if (arg('--ca')) options.ca = fs.readFileSync(arg('--ca'));
  const ws = new WebSocket(url, ['chat'], options);
  const big = Buffer.alloc(1 << 20);
  for (let i = 0; i < big.length; i++) big[i] = i % 251;
  const binary = Buffer.from([...Array(256).keys()]);
  const steps = [
    { send: () => ws.send('hello'), check: (d, b) => !b && d.toString() === 'hello', what: 'text echo' },
    { send: () => ws.send(binary), check: (d, b) => b && d.equals(binary), what: 'binary echo' },
    {
      send: () => {
        ws.send('frag', { fin: false });
        ws.send('mented ', { fin: false });
        ws.send('text', { fin: true });
      },
      check: (d, b) => !b && d.toString() === 'fragmented text',
      what: 'fragmented echo',
    },
    { send: () => ws.send(big), check: (d, b) => b && d.equals(big), what: '1 MiB echo' },
  ];
  let step = 0;
  ws.on('open', () => {
    if (ws.protocol !== 'chat') fail(`subprotocol ${ws.protocol}`);
    steps[0].send();
  });
  ws.on('message', (data, isBinary) => {
    if (!steps[step].check(data, isBinary)) fail(steps[step].what);
    step += 1;
    if (step < steps.length) {
      steps[step].send();
    } else {
      ws.once('pong', () => ws.close(4003, 'client bye'));
      ws.ping('ping from node');
    }
  });
  ws.on('close', (code) => {
    if (code !== 4003) fail(`close code ${code}`);
    if (step !== steps.length) fail('closed early');
    console.log('client ok');
    process.exit(0);
  });
  ws.on('error', (e) => fail(`error ${e.message}`));
  setTimeout(() => fail('timeout'), 20000).unref();
}

if (argv[0] === 'server') serve();
else client(argv[1]);
