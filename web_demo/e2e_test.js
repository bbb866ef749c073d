// End-to-end test of the live demo in headless Chromium: the demo server, two browser pages and
// the native bot share a room (over wspeer's multiplayer layer); a page with ?room= has its own. Each step is reported as a JUnit test case; screenshots of a
// desktop-sized and a phone-sized page are saved as test artifacts.
//   node e2e_test.js SERVER_BINARY BOT_BINARY
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');
const { launchChromium, launchFirefox } = require(path.join(__dirname, '..', 'tests', 'js', 'browsers.js'));
const { createHarness } = require(path.join(__dirname, 'e2e_harness.js'));

const [serverBinary, botBinary] = process.argv.slice(2);
const artifacts = process.env.TEST_UNDECLARED_OUTPUTS_DIR || fs.mkdtempSync('/tmp/demo-e2e-');
const work = fs.mkdtempSync(path.join(process.env.TEST_TMPDIR || '/tmp', 'demo-e2e-work-'));
const { record, finish, step, assert, waitFor, start } =
  createHarness({ suite: 'web_demo_e2e', prefix: 'demo', timeoutMs: 150000 });

async function main() {
  // With --deflate the room runs compressed, as it would for a bandwidth-conscious deployment.
  const { child: server, match } = await start(serverBinary, ['--port', '0', '--deflate'],
    /listening on port (\d+)/);
  const port = Number(match[1]);
  const base = `http://127.0.0.1:${port}`;
  // Without LocalNetworkAccessChecks off, Chromium itself stops the cross-site page below from
  // reaching 127.0.0.1, and the test would not reach the server's own Origin check.
  const browser = await launchChromium(work, ['--disable-features=LocalNetworkAccessChecks']);
  const ann = await browser.newPage({ viewport: { width: 1100, height: 720 } });
  const bob = await browser.newPage({ viewport: { width: 1100, height: 720 } });
  let bot;
  await step('the server serves the page and its WebAssembly client on one port', async () => {
    const response = await ann.goto(`${base}/?name=Ann`);
    assert(response.status() === 200, `status ${response.status()}`);
    await bob.goto(`${base}/?name=Bob`);
    await waitFor(ann, (s) => s.state === 'OPEN', 'Ann to connect');
    await waitFor(bob, (s) => s.state === 'OPEN', 'Bob to connect');
  });
  await step('Chromium and the server agree on permessage-deflate (--deflate)', async () => {
    const s = await waitFor(ann, (x) => x.state === 'OPEN', 'Ann open');
    assert(s.extensions.startsWith('permessage-deflate'), `extensions "${s.extensions}"`);
  });
  await step('newcomers appear at distinct spots', async () => {
    const s = await waitFor(ann, (x) => ['Ann', 'Bob'].every((n) => x.participants.some((p) => p.name === n)),
      'Ann and Bob on Ann\'s page');
    const a = s.participants.find((p) => p.name === 'Ann');
    const b = s.participants.find((p) => p.name === 'Bob');
    assert(Math.hypot(a.x - b.x, a.y - b.y) > 0.1, `Ann at (${a.x}, ${a.y}), Bob at (${b.x}, ${b.y})`);
    const seen = await waitFor(bob, (x) => {
      const p = x.participants.find((q) => q.name === 'Ann');
      return p && Math.abs(p.x - a.x) < 0.01 && Math.abs(p.y - a.y) < 0.01;
    }, "Ann's spot on Bob's page");
    assert(seen, 'Bob sees Ann where she appeared');
  });
  await step('the native bot (same C++ client code) joins the room', async () => {
    ({ child: bot } = await start(botBinary, ['--url', `ws://127.0.0.1:${port}/ws`], /joined/));
    for (const page of [ann, bob]) {
      await waitFor(page, (s) => ['Ann', 'Bob', 'native-bot'].every((n) => s.participants.some((p) => p.name === n)),
        'three participants');
    }
  });
  await step("each page sees the other's marker move", async () => {
    const box = await ann.locator('#room').boundingBox();
    await ann.mouse.click(box.x + box.width * 0.8, box.y + box.height * 0.2);
    await waitFor(bob, (s) => {
      const a = s.participants.find((p) => p.name === 'Ann');
      return a && Math.abs(a.x - 0.8) < 0.02 && Math.abs(a.y - 0.2) < 0.02;
    }, "Ann's marker at (0.8, 0.2) on Bob's page");
    await bob.locator('#room').focus();
    for (let i = 0; i < 5; i++) await bob.keyboard.press('ArrowLeft');
    await waitFor(ann, (s) => {
      const b = s.participants.find((p) => p.name === 'Bob');
      return b && Math.abs(b.x - 0.4) < 0.02;
    }, "Bob's marker moved left by arrow keys on Ann's page");
  });
  await step("the bot's marker moves on both pages", async () => {
    for (const page of [ann, bob]) {
      const first = (await waitFor(page, (s) => s.participants.some((p) => p.name === 'native-bot'), 'bot')).participants.find((p) => p.name === 'native-bot');
      await waitFor(page, (s) => {
        const now = s.participants.find((p) => p.name === 'native-bot');
        return now && Math.hypot(now.x - first.x, now.y - first.y) > 0.05;
      }, 'the bot to move');
    }
  });
  await step('chat messages arrive everywhere and the native bot answers', async () => {
    await ann.fill('#message', 'hello from Ann');
    await ann.press('#message', 'Enter');
    await waitFor(bob, (s) => s.chat.some((c) => c.from === 'Ann' && c.text === 'hello from Ann'), "Ann's line on Bob's page");
    await waitFor(ann, (s) => s.chat.some((c) => c.from === 'native-bot' && c.text.includes('hello from Ann')), "the bot's answer");
    const text = await bob.locator('#chat').innerText();
    assert(text.includes('hello from Ann'), `chat panel shows: ${text}`);
  });
  await step('the statistics update (round trip, messages per second, buffered amount)', async () => {
    await ann.waitForTimeout(1500);
    const s = await waitFor(ann, (x) => x.rttMs >= 0 && x.inPerSecond > 1, 'statistics');
    assert(typeof s.buffered === 'number' && s.buffered >= 0, 'buffered amount');
    const rtt = await ann.locator('#rtt').innerText();
    assert(/ms$/.test(rtt), `round trip shown as ${rtt}`);
    await ann.screenshot({ path: path.join(artifacts, 'demo.png') });
  });
  await step('a page with ?room=NAME is in a room of its own', async () => {
    const side = await browser.newPage({ viewport: { width: 1100, height: 720 } });
    await side.goto(`${base}/?name=Cleo&room=side-room`);
    await waitFor(side, (s) => s.state === 'OPEN' && s.participants.some((p) => p.name === 'Cleo'), 'Cleo to join');
    const roomName = await side.locator('#room-name').innerText();
    assert(roomName.includes('side-room'), `the page names its room: ${roomName}`);
    await side.fill('#message', 'only the side room hears this');
    await side.press('#message', 'Enter');
    await waitFor(side, (s) => s.chat.some((c) => c.text === 'only the side room hears this'), 'Cleo\'s own line');
    await ann.waitForTimeout(500);
    const s = await waitFor(side, (x) => x.state === 'OPEN', 'Cleo still there');
    assert(s.participants.length === 1, `Cleo sees only herself: ${s.participants.map((p) => p.name)}`);
    const a = await waitFor(ann, (x) => x.state === 'OPEN', 'Ann still there');
    assert(!a.participants.some((p) => p.name === 'Cleo'), 'Ann does not see Cleo');
    assert(!a.chat.some((c) => c.text === 'only the side room hears this'), 'nor hear her');
    await side.close();
  });
  await step('the page is usable at phone size', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await phone.goto(`${base}/?name=Phone`);
    await waitFor(phone, (s) => s.state === 'OPEN' && s.participants.length >= 4, 'the phone page to join');
    const canvas = await phone.locator('#room').boundingBox();
    const panel = await phone.locator('aside').boundingBox();
    assert(canvas.width <= 390 && panel.y >= canvas.y + canvas.height - 1, 'panel stacks below the room');
    const box = canvas;
    await phone.touchscreen.tap(box.x + box.width * 0.25, box.y + box.height * 0.75);
    await waitFor(ann, (s) => {
      const p = s.participants.find((x) => x.name === 'Phone');
      return p && Math.abs(p.x - 0.25) < 0.03 && Math.abs(p.y - 0.75) < 0.03;
    }, 'the tapped position on Ann\'s page');
    await phone.screenshot({ path: path.join(artifacts, 'demo-phone.png') });
    await phone.close();
  });
  await step('WebSocket requests from other origins are refused with 403 before the 101', async () => {
    const evil = await rawUpgrade(port, { Origin: 'http://evil.example' });
    assert(evil.status === 403, `Origin http://evil.example got ${evil.status}`);
    assert(evil.text.includes('not allowed'), `refusal explained: ${evil.text}`);
    const sandboxed = await rawUpgrade(port, { Origin: 'null' });
    assert(sandboxed.status === 403, `Origin null got ${sandboxed.status}`);
    const same = await rawUpgrade(port, { Origin: base });
    assert(same.status === 101, `same origin got ${same.status}`);
    const native = await rawUpgrade(port, {});
    assert(native.status === 101, `a request without Origin (a native client) got ${native.status}`);
  });
  await step('a request shaped like DNS rebinding (Host and Origin both another name) is refused', async () => {
    const rebound = await rawUpgrade(port, { Host: `evil.example:${port}`, Origin: `http://evil.example:${port}` });
    assert(rebound.status === 403, `Host and Origin evil.example got ${rebound.status}`);
    assert(rebound.text.includes('--allow-host evil.example'), `refusal explained: ${rebound.text}`);
    const local = await rawUpgrade(port, { Host: `localhost:${port}`, Origin: `http://localhost:${port}` });
    assert(local.status === 101, `localhost got ${local.status}`);
  });
  await step('a page on another site cannot join the room from a visitor\'s browser', async () => {
    const evilPage = await browser.newPage();
    const logs = [];
    evilPage.on('console', (message) => logs.push(message.text()));
    // The "other site" is served by the test itself: nothing leaves this machine.
    await evilPage.route('http://evil.localhost:8123/', (route) => route.fulfill({
      contentType: 'text/html',
      body: `<script>
        window.result = new Promise((resolve) => {
          const ws = new WebSocket('ws://127.0.0.1:${port}/ws');
          ws.onopen = () => { ws.send('hello intruder'); resolve('open'); };
          ws.onclose = (e) => resolve('closed ' + e.code);
        });
      </script>`,
    }));
    await evilPage.goto('http://evil.localhost:8123/');
    const result = await evilPage.evaluate(() => window.result);
    assert(result === 'closed 1006', `the cross-site socket ended with: ${result}`);
    assert(logs.some((line) => line.includes('Unexpected response code: 403')),
      `the browser saw the server's 403: ${logs.join(' | ')}`);
    const s = await waitFor(ann, (x) => x.state === 'OPEN', 'Ann still connected');
    assert(!s.participants.some((p) => p.name === 'intruder'), 'no intruder in the room');
    await evilPage.close();
  });
  let firefox;
  let fox;
  await step('a page in Firefox (a second browser engine) joins the same room', async () => {
    firefox = await launchFirefox(work);
    fox = await firefox.newPage();
    await fox.goto(`${base}/?name=Fox`);
    const joined = await waitFor(fox, (s) => s.state === 'OPEN' && s.participants.some((p) => p.name === 'Ann'),
      'the Firefox page to join and see Ann');
    assert(joined.extensions.startsWith('permessage-deflate'), `Firefox extensions "${joined.extensions}"`);
    await waitFor(ann, (s) => s.participants.some((p) => p.name === 'Fox'), 'Ann to see Fox');
    await ann.fill('#message', 'hello Fox');
    await ann.press('#message', 'Enter');
    await waitFor(fox, (s) => s.chat.some((c) => c.from === 'Ann' && c.text === 'hello Fox'),
      "Ann's line in Firefox");
  });
  await step('stopping the server shows a clean close code in the page', async () => {
    server.kill('SIGINT');
    if (fox) await waitFor(fox, (s) => s.state === 'CLOSED' && s.closeCode === 1001, 'close code 1001 in Firefox');
    for (const page of [ann, bob]) {
      await waitFor(page, (s) => s.state === 'CLOSED' && s.closeCode === 1001, 'close code 1001');
      const shown = await page.locator('#close').innerText();
      assert(shown.includes('1001') && shown.includes('server shutting down'), `close shown as ${shown}`);
      const rtt = await page.locator('#rtt').innerText();
      assert(rtt === '–', `the round trip is cleared after the close, shows ${rtt}`);
      assert(await page.locator('#error').isVisible(), 'the closing is explained in words');
      assert(await page.locator('#reconnect').isVisible(), 'a reconnect button appears');
    }
    const botStatus = await new Promise((resolve) => (bot.exitCode !== null ? resolve(bot.exitCode) : bot.on('exit', resolve)));
    assert(botStatus === 0, `bot exit status ${botStatus}`);
    await ann.screenshot({ path: path.join(artifacts, 'demo-closed.png') });
  });
  await browser.close();
  if (firefox) await firefox.close();
  await step('the server also serves the page over https and the room over wss', async () => {
    const dir = fs.mkdtempSync(path.join(process.env.TEST_TMPDIR || '/tmp', 'demo-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem',
      '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
      { cwd: dir, stdio: 'ignore' });
    const spki = execFileSync('sh', ['-c', 'openssl x509 -in cert.pem -pubkey -noout | openssl pkey -pubin -outform der | ' +
      'openssl dgst -sha256 -binary | base64'], { cwd: dir }).toString().trim();
    const { match: tlsMatch } = await start(serverBinary, ['--port', '0', '--tls-cert', path.join(dir, 'cert.pem'),
      '--tls-key', path.join(dir, 'key.pem')], /listening on port (\d+)/);
    const secureBrowser = await launchChromium(work, [`--ignore-certificate-errors-spki-list=${spki}`]);
    try {
      const page = await secureBrowser.newPage();
      await page.goto(`https://localhost:${tlsMatch[1]}/?name=Secure`);
      const s = await waitFor(page, (x) => x.state === 'OPEN' && x.participants.some((p) => p.name === 'Secure'),
        'the wss connection');
      assert(s.ownId > 0, 'joined the room');
    } finally {
      await secureBrowser.close();
    }
  });
  await step('--allow-origin admits pages of another origin, and Host must still be ours', async () => {
    const { child, match: allowMatch } = await start(serverBinary,
      ['--port', '0', '--allow-origin', 'https://game.example'], /listening on port (\d+)/);
    const allowed = await rawUpgrade(Number(allowMatch[1]), { Origin: 'https://game.example' });
    assert(allowed.status === 101, `allowed origin got ${allowed.status}`);
    const other = await rawUpgrade(Number(allowMatch[1]), { Origin: 'https://other.example' });
    assert(other.status === 403, `another origin got ${other.status}`);
    const rebound = await rawUpgrade(Number(allowMatch[1]),
      { Host: 'game.example', Origin: 'https://game.example' });
    assert(rebound.status === 403, `an allowed origin with a foreign Host got ${rebound.status}`);
    child.kill('SIGINT');
  });
  await step('--allow-host adds a name the server answers to', async () => {
    const { child, match: hostMatch } = await start(serverBinary,
      ['--port', '0', '--allow-host', 'game.example'], /listening on port (\d+)/);
    const named = await rawUpgrade(Number(hostMatch[1]), { Host: 'game.example', Origin: 'http://game.example' });
    assert(named.status === 101, `its own name got ${named.status}`);
    const other = await rawUpgrade(Number(hostMatch[1]), { Host: 'evil.example', Origin: 'http://evil.example' });
    assert(other.status === 403, `another name got ${other.status}`);
    child.kill('SIGINT');
  });
  finish();
}

// Sends a WebSocket upgrade request with `headers` and returns the response's status and text.
function rawUpgrade(port, headers) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    const { Host: host = `127.0.0.1:${port}`, ...others } = headers;
    const lines = Object.entries(others).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.on('connect', () => socket.write(`GET /ws HTTP/1.1\r\nHost: ${host}\r\n` +
      'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
      `Sec-WebSocket-Version: 13\r\n${lines}\r\n`));
    const done = () => {
      socket.destroy();
      resolve({ status: Number((text.match(/^HTTP\/1\.1 (\d{3})/) || [])[1] || 0), text });
    };
    socket.on('data', (chunk) => {
      text += chunk;
      if (text.startsWith('HTTP/1.1 101') && text.includes('\r\n\r\n')) done();
    });
    socket.on('end', done);
    socket.on('error', reject);
    setTimeout(done, 5000);
  });
}

main().catch((error) => { record('harness', false, error.stack || String(error)); finish(); });
