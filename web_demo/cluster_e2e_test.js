// The live demo across servers, as `./run demo --nodes 3` runs it: Redis, three demo servers
// sharing their rooms through it, HAProxy in front (leastconn, send-proxy-v2), all started here
// on loopback; three headless Chromium pages land on different servers and share one room: they
// see each other appear, move and chat; a server killed with SIGKILL takes its page's
// participant away from the others' pages within the node timeout.
//   node cluster_e2e_test.js SERVER_BINARY
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');
const { launchChromium } = require(path.join(__dirname, '..', 'tests', 'js', 'browsers.js'));
const { createHarness } = require(path.join(__dirname, 'e2e_harness.js'));

const [serverBinary] = process.argv.slice(2);
const work = fs.mkdtempSync(path.join(process.env.TEST_TMPDIR || '/tmp', 'demo-cluster-'));
const { record, finish, step, assert, waitFor, start } =
  createHarness({ suite: 'web_demo_cluster_e2e', prefix: 'demo cluster', timeoutMs: 120000 });

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('connect', () => { socket.destroy(); resolve(true); });
    socket.on('error', () => resolve(false));
  });
}
async function waitForPort(port, what) {
  for (let i = 0; i < 200; i++) {
    if (await accepts(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not listen on ${port}`);
}
async function main() {
  const redisPort = await freePort();
  await start('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'no', '--dir', work, '--loglevel', 'warning']);
  await waitForPort(redisPort, 'redis-server');
  const servers = [];
  for (let n = 1; n <= 3; n++) {
    const { child, match } = await start(serverBinary, ['--port', '0', '--proxy-from', '127.0.0.1',
      '--redis', `redis://127.0.0.1:${redisPort}`, '--node-id', `node${n}`], /listening on port (\d+)/);
    servers.push({ child, port: Number(match[1]) });
  }
  const port = await freePort();
  const config = path.join(work, 'haproxy.cfg');
  fs.writeFileSync(config, ['global', '  maxconn 1000', 'defaults', '  mode http',
    '  timeout connect 2s', '  timeout client 30s', '  timeout server 30s', '  timeout tunnel 1h',
    'frontend visitors', `  bind 127.0.0.1:${port}`, '  default_backend nodes', 'backend nodes',
    '  balance leastconn',
    ...servers.map((s, i) => `  server node${i + 1} 127.0.0.1:${s.port} send-proxy-v2 check inter 1s`),
    ''].join('\n'));
  await start('haproxy', ['-db', '-f', config]);
  await waitForPort(port, 'haproxy');
  const base = `http://127.0.0.1:${port}`;

  const browser = await launchChromium(work);
  const names = ['Ann', 'Bob', 'Cy'];
  const pages = [];
  await step('three pages through HAProxy land on three servers', async () => {
    for (const name of names) {
      const page = await browser.newPage({ viewport: { width: 900, height: 600 } });
      const response = await page.goto(`${base}/?name=${name}`);
      assert(response.status() === 200, `status ${response.status()}`);
      await waitFor(page, (s) => s.state === 'OPEN' && s.ownId > 1, `${name} to join`);
      pages.push(page);
    }
    // A node's ids start with its id slot (the high bits): three slots, three servers.
    const slots = new Set();
    for (const page of pages) {
      const s = await page.evaluate(() => window.demoSnapshot());
      slots.add(s.ownId >> 21);
    }
    assert(slots.size === 3, `the pages' servers (id slots): ${[...slots]}`);
  });
  await step('each page sees everyone of the room, wherever they landed', async () => {
    for (const page of pages) {
      await waitFor(page, (s) => names.every((n) => s.participants.some((p) => p.name === n)),
        'all three participants');
    }
  });
  await step("a move and a chat line cross servers", async () => {
    const box = await pages[0].locator('#room').boundingBox();
    await pages[0].mouse.click(box.x + box.width * 0.8, box.y + box.height * 0.2);
    for (const page of pages.slice(1)) {
      await waitFor(page, (s) => {
        const a = s.participants.find((p) => p.name === 'Ann');
        return a && Math.abs(a.x - 0.8) < 0.02 && Math.abs(a.y - 0.2) < 0.02;
      }, "Ann's marker at (0.8, 0.2)");
    }
    await pages[1].fill('#message', 'hello from Bob');
    await pages[1].press('#message', 'Enter');
    for (const page of [pages[0], pages[2]]) {
      await waitFor(page, (s) => s.chat.some((c) => c.from === 'Bob' && c.text === 'hello from Bob'),
        "Bob's line");
    }
  });
  await step("a server killed with SIGKILL: its page's participant leaves the others' pages", async () => {
    // Which server gave Cy its id: each holds one id slot in Redis (wspeer:slot:N -> its uid,
    // wspeer:node:NAME -> the same uid).
    const cy = (await pages[2].evaluate(() => window.demoSnapshot())).ownId;
    const redis = (...args) => execFileSync('redis-cli', ['-p', String(redisPort), '--raw', ...args])
      .toString().trim();
    const owner = redis('GET', `wspeer:slot:${cy >> 21}`);
    const index = [1, 2, 3].findIndex((n) => redis('GET', `wspeer:node:node${n}`) === owner);
    assert(index >= 0, `no server holds slot ${cy >> 21}`);
    const killedAt = Date.now();
    servers[index].child.kill('SIGKILL');
    for (const page of pages.slice(0, 2)) {
      await waitFor(page, (s) => !s.participants.some((p) => p.name === 'Cy'), 'Cy to leave', 15000);
    }
    const took = (Date.now() - killedAt) / 1000;
    assert(took < 5 + 2, `Cy left after ${took} s (node timeout 5 s)`);
    await waitFor(pages[0], (s) => s.participants.some((p) => p.name === 'Bob'), 'Bob still there');
  });
  await browser.close();
  finish();
}

main().catch((error) => { record('harness', false, error.stack || String(error)); finish(); });
