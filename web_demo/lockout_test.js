// The demo server cannot be locked out by sockets that hold connections open without finishing
// a request: 1000 attackers (half silent, half sending one byte a second, each reconnecting as
// soon as it is dropped) keep attacking while visitors load the page and open the room's
// WebSocket. At least 95% of the visitors must be served within 1 s.
//   node lockout_test.js SERVER_BINARY
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');

const [serverBinary, attackPort] = process.argv.slice(2);
const ATTACKERS = 1000;
const VISITS = 40;  // half page loads, half WebSocket upgrades
const LIMIT_MS = 1000;
const cases = [];
let server;
let attacking = true;
if (serverBinary !== '--attack') {
  setTimeout(() => { record('harness', false, 'timed out'); finish(); }, 150000).unref();
}

function record(name, ok, message = '') {
  cases.push({ name, ok, message });
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}${message ? `: ${message}` : ''}`);
}

function finish() {
  attacking = false;
  if (server) server.kill('SIGKILL');
  const failed = cases.filter((c) => !c.ok).length;
  const escape = (t) => String(t).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  if (process.env.XML_OUTPUT_FILE) {
    const body = cases.map((c) => (c.ok ? `<testcase name="${escape(c.name)}"/>`
      : `<testcase name="${escape(c.name)}"><failure message="${escape(c.message)}"/></testcase>`)).join('');
    fs.writeFileSync(process.env.XML_OUTPUT_FILE, `<?xml version="1.0"?>\n<testsuites><testsuite name="demo_lockout" tests="${cases.length}" failures="${failed}">${body}</testsuite></testsuites>\n`);
  }
  console.log(`demo_lockout: ${cases.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

const stats = { connects: 0, drops: 0 };

// A silent attacker: connects and says nothing.
function silent(port) {
  if (!attacking) return;
  const socket = net.connect(port, '127.0.0.1');
  stats.connects++;
  socket.on('error', () => {});
  socket.on('close', () => { stats.drops++; setTimeout(() => silent(port), 0); });
}

// A trickling attacker: sends a request one byte a second, never finishing in time.
function trickle(port) {
  if (!attacking) return;
  const socket = net.connect(port, '127.0.0.1');
  stats.connects++;
  const request = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\n';
  let sent = 0;
  const timer = setInterval(() => { if (sent < request.length) socket.write(request[sent++]); }, 1000);
  socket.on('error', () => {});
  socket.on('close', () => { clearInterval(timer); stats.drops++; setTimeout(() => trickle(port), 0); });
}

// One visitor: a page load (until the whole response arrived) or a WebSocket upgrade (until the
// 101). Resolves with the time it took, or Infinity when it failed.
function visit(port, upgrade) {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    let settled = false;
    const done = (ok) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(ok ? Number(process.hrtime.bigint() - start) / 1e6 : Infinity);
    };
    socket.on('connect', () => socket.write(upgrade
      ? `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nOrigin: http://127.0.0.1:${port}\r\n` +
        'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
        'Sec-WebSocket-Version: 13\r\n\r\n'
      : `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`));
    socket.on('data', (chunk) => {
      data += chunk;
      if (upgrade && data.includes('\r\n\r\n')) done(data.startsWith('HTTP/1.1 101'));
    });
    socket.on('end', () => done(!upgrade && data.startsWith('HTTP/1.1 200') && data.includes('</html>')));
    socket.on('error', () => done(false));
    setTimeout(() => done(false), 5000);
  });
}

// Runs one attack against a server started with `args`; records the cases under `label`.
async function attack(label, args) {
  server = spawn(serverBinary, ['--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let output = '';
    server.stdout.on('data', (chunk) => {
      output += chunk;
      const match = output.match(/listening on port (\d+)/);
      if (match) resolve(Number(match[1]));
    });
    server.on('exit', (code) => reject(new Error(`server exited (${code})`)));
  });
  const baseline = await visit(port, false);
  record(`${label}: a page loads before the attack`, baseline < LIMIT_MS, `${baseline.toFixed(1)} ms`);

  // The attackers run in a process of their own, as they would on other machines: the visitors'
  // timings are not slowed by the attackers' own event loop.
  const attackers = spawn(process.execPath, [__filename, '--attack', String(port)],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  let attackerReport = '';
  attackers.stdout.on('data', (chunk) => { attackerReport += chunk; });
  await new Promise((r) => setTimeout(r, 3000));  // past the first-byte timeout: churn is on

  const times = { page: [], upgrade: [] };
  for (let i = 0; i < VISITS; i++) {
    const upgrade = i % 2 === 1;
    times[upgrade ? 'upgrade' : 'page'].push(await visit(port, upgrade));
    await new Promise((r) => setTimeout(r, 150));
  }
  const all = [...times.page, ...times.upgrade];
  const served = all.filter((t) => t < LIMIT_MS).length;
  const show = (list) => list.map((t) => (t === Infinity ? 'failed' : t.toFixed(0))).join(' ');
  attackers.kill('SIGTERM');
  await new Promise((r) => attackers.on('exit', r));
  const [connects, drops] = (attackerReport.match(/(\d+) (\d+)/) || [0, 0, 0]).slice(1).map(Number);
  stats.connects = connects;
  stats.drops = drops;
  console.log(`attackers: ${stats.connects} connections, ${stats.drops} dropped by the server`);
  console.log(`page loads (ms): ${show(times.page)}`);
  console.log(`upgrades (ms): ${show(times.upgrade)}`);
  record(`${label}: at least 95% of ${VISITS} visits are served within ${LIMIT_MS} ms`,
    served >= Math.ceil(0.95 * VISITS), `${served} of ${VISITS}`);
  record(`${label}: the attackers were really attacking (connections held and dropped)`,
    stats.connects >= ATTACKERS && stats.drops > 0, `${stats.connects} connects, ${stats.drops} drops`);
  record(`${label}: the server is still running`, server.exitCode === null);
  server.kill('SIGKILL');
}

async function main() {
  // Default settings: the stalling sockets fit in the waiting room and are dropped by timeouts.
  await attack('default limits', []);
  // A waiting room smaller than the attack: newcomers evict the oldest stalled connection.
  await attack('more attackers than waiting places', ['--max-waiting', '256']);
  finish();
}

if (serverBinary === '--attack') {
  // The attacking process: reports "connections drops" when told to stop.
  for (let i = 0; i < ATTACKERS; i++) (i % 2 ? trickle : silent)(Number(attackPort));
  process.on('SIGTERM', () => {
    attacking = false;
    process.stdout.write(`${stats.connects} ${stats.drops}\n`, () => process.exit(0));
  });
} else {
  main().catch((error) => { record('harness', false, error.stack || String(error)); finish(); });
}
