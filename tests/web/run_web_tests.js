// Runs the web API test program against native wspeer servers, in one of three places:
//   --mode=node      the wasm build under Node 20 (standards WebSocket)
//   --mode=chromium  the wasm build in headless Chromium (Debian package, driven by Playwright)
//   --mode=firefox   the wasm build in headless Firefox ESR (Debian package, puppeteer-core)
//   --mode=native    the same test source built natively (the other backend)
// Starts: wsp echo-server (ws, any address), a TLS echo server with a throw-away CA, and the
// scenario server. Writes JUnit XML to $XML_OUTPUT_FILE, one case per test case.
'use strict';
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const net = require('net');
const os = require('os');
const path = require('path');
const { launchChromium, launchFirefox } = require(path.join(__dirname, '..', 'js', 'browsers.js'));

const options = Object.fromEntries(process.argv.slice(2).map((a) => {
  const eq = a.indexOf('=');
  return [a.slice(2, eq), a.slice(eq + 1)];
}));
const mode = options.mode;
const work = fs.mkdtempSync(path.join(process.env.TEST_TMPDIR || os.tmpdir(), `web-${mode}-`));
const children = [];
const cleanup = () => children.forEach((child) => { try { child.kill('SIGKILL'); } catch (e) {} });
process.on('exit', cleanup);
setTimeout(() => { console.log('harness timeout'); finish(null, 'harness timed out'); }, 240000).unref();

function startServer(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let buffer = '';
    child.stdout.on('data', (chunk) => {
      buffer += chunk;
      const match = buffer.match(/listening on port (\d+)/);
      if (match) resolve(Number(match[1]));
    });
    child.on('exit', (code) => reject(new Error(`${command} exited with ${code}`)));
  });
}

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const port = server.address().port;
      server.close(() => resolve(port));
    });
  });
}

// A TCP forwarder to a server that can cut every connection through it, as a network would:
// neither end gets a close frame (a browser sees its WebSocket close with 1006). Any connection
// to the control port cuts them all; new connections are forwarded as before.
function startCutter(targetPort) {
  const links = new Set();
  const forward = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    links.add(client);
    links.add(upstream);
    const end = () => {
      client.destroy();
      upstream.destroy();
      links.delete(client);
      links.delete(upstream);
    };
    for (const socket of [client, upstream]) {
      socket.on('error', end);
      socket.on('close', end);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  const control = net.createServer((socket) => {
    for (const link of links) link.destroy();
    links.clear();
    socket.destroy();
  });
  const listen = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
  return Promise.all([listen(forward), listen(control)]).then(([forwardPort, controlPort]) => ({ forwardPort, controlPort }));
}

function ipv6Available() {
  return new Promise((resolve) => {
    const server = net.createServer().on('error', () => resolve(false)).listen(0, '::1', () => server.close(() => resolve(true)));
  });
}

function makeCertificates() {
  const run = (args) => execFileSync('openssl', args, { cwd: work, stdio: 'ignore' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2',
       '-subj', '/CN=wspeer web test CA', '-addext', 'basicConstraints=critical,CA:TRUE',
       '-addext', 'keyUsage=critical,keyCertSign']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'server.csr', '-subj', '/CN=localhost']);
  fs.writeFileSync(path.join(work, 'ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
       '-out', 'cert.pem', '-days', '2', '-extfile', 'ext.cnf']);
  // The SPKI hash Chromium is told to trust for this certificate only.
  const spki = execFileSync('sh', ['-c',
    'openssl x509 -in cert.pem -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64'],
    { cwd: work }).toString().trim();
  return { ca: path.join(work, 'ca.pem'), cert: path.join(work, 'cert.pem'), key: path.join(work, 'key.pem'), spki };
}

function escape(text) {
  return String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function finish(results, harnessError) {
  const cases = results ? results.cases : [];
  let xml = '';
  let failed = 0;
  for (const c of cases) {
    if (c.ok) xml += `<testcase name="${escape(`${mode}: ${c.name}`)}"/>`;
    else {
      failed += 1;
      xml += `<testcase name="${escape(`${mode}: ${c.name}`)}"><failure message="${escape(c.message)}"/></testcase>`;
    }
  }
  if (harnessError || cases.length === 0) {
    failed += 1;
    xml += `<testcase name="${escape(`${mode}: harness`)}"><failure message="${escape(harnessError || 'no results')}"/></testcase>`;
  }
  if (process.env.XML_OUTPUT_FILE) {
    fs.writeFileSync(process.env.XML_OUTPUT_FILE,
      `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="web_api_${mode}" tests="${cases.length}" failures="${failed}">${xml}</testsuite></testsuites>\n`);
  }
  if (harnessError) console.log(`web_api_${mode}: harness error: ${harnessError}`);
  console.log(`web_api_${mode}: ${cases.length - (failed - (harnessError || cases.length === 0 ? 1 : 0))} passed, ${failed} failed`);
  cleanup();
  process.exit(failed ? 1 : 0);
}

function resultsFrom(text) {
  const line = text.split('\n').find((l) => l.startsWith('WSPEER_RESULTS '));
  return line ? JSON.parse(line.slice('WSPEER_RESULTS '.length)) : null;
}

function runProcess(command, args, env) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; process.stdout.write(chunk); });
    child.on('exit', () => resolve(output));
  });
}

// Serves the test page (the wasm build and its arguments) on a local HTTP port.
async function servePage(testArgs) {
  const dir = path.dirname(path.resolve(options['wasm-js']));
  const jsName = path.basename(options['wasm-js']);
  const harness = fs.readFileSync(path.join(__dirname, 'throwing_websocket.js'), 'utf8');
  const page = `<!doctype html><meta charset="utf-8"><title>wspeer web API test</title>
<script>${harness}</script>
<script>
  var Module = { arguments: ${JSON.stringify(testArgs)},
                 print: function (line) { console.log(line); },
                 printErr: function (line) { console.error(line); } };
</script>
<script src="${jsName}"></script>`;
  const server = http.createServer((request, response) => {
    const name = decodeURIComponent(request.url.split('?')[0]).replace(/^\//, '');
    if (name === '' || name === 'index.html') {
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      return response.end(page);
    }
    const file = path.join(dir, path.basename(name));
    if (!fs.existsSync(file)) { response.writeHead(404); return response.end(); }
    const type = file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript';
    response.writeHead(200, { 'Content-Type': type });
    fs.createReadStream(file).pipe(response);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/index.html` };
}

// Opens the page in `tab` (Playwright or Puppeteer: both emit 'console' and 'pageerror') and
// collects its console until the results line.
async function collect(tab, url) {
  let output = '';
  const done = new Promise((resolve) => {
    tab.on('console', (message) => {
      const text = message.text();
      output += text + '\n';
      console.log(text);
      if (text.startsWith('WSPEER_RESULTS ')) resolve();
    });
    tab.on('pageerror', (error) => { output += `pageerror: ${error.message}\n`; console.log(`pageerror: ${error.message}`); });
  });
  await tab.goto(url);
  await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 180000))]);
  return output;
}

async function runChromium(testArgs, certs) {
  const { server, url } = await servePage(testArgs);
  const browser = await launchChromium(work, [`--ignore-certificate-errors-spki-list=${certs.spki}`]);
  try {
    return await collect(await browser.newPage(), url);
  } finally {
    await browser.close();
    server.close();
  }
}

// A second browser engine: Debian's Firefox ESR, driven over WebDriver BiDi by puppeteer-core.
async function runFirefox(testArgs) {
  const { server, url } = await servePage(testArgs);
  // The test CA's certificate is accepted (Chromium gets its SPKI hash instead).
  const browser = await launchFirefox(work, { acceptInsecureCerts: true });
  try {
    return await collect(await browser.newPage(), url);
  } finally {
    await browser.close();
    server.close();
  }
}

async function main() {
  const certs = makeCertificates();
  const v6 = await ipv6Available();
  const echoPort = await startServer(options.wsp, ['echo-server', '--host', '*', '--port', '0', '--quiet',
    '--protocol', 'chat', '--max-message', String(16 << 20)]);
  const tlsPort = await startServer(options.wsp, ['echo-server', '--host', '127.0.0.1', '--port', '0', '--quiet',
    '--tls-cert', certs.cert, '--tls-key', certs.key]);
  const scenarioPort = await startServer(options.scenario, []);
  const relayPort = await startServer(options.wsp, ['relay-server', '--host', '127.0.0.1', '--port', '0', '--quiet',
    '--reconnect-grace', '10']);
  const cutter = await startCutter(relayPort);
  const testArgs = [
    `--echo=ws://127.0.0.1:${echoPort}`,
    `--tls=wss://localhost:${tlsPort}`,
    `--scenario=ws://127.0.0.1:${scenarioPort}`,
    `--closed-port=${await freePort()}`,
    `--ipv6=${v6 ? `ws://[::1]:${echoPort}` : ''}`,
    `--ca=${certs.ca}`,
    `--relay=ws://127.0.0.1:${relayPort}`,
    `--relay-via=ws://127.0.0.1:${cutter.forwardPort}`,
    `--cut=ws://127.0.0.1:${cutter.controlPort}`,
  ];
  let output;
  if (mode === 'node') {
    // Node 20 needs both flags (no fetch() of the .wasm, a global WebSocket); other versions may
    // not know them, and throwing_websocket.js falls back to the npm ws package.
    const flags = ['--no-experimental-fetch', '--experimental-websocket']
      .filter((flag) => process.allowedNodeEnvironmentFlags.has(flag));
    output = await runProcess(process.execPath,
      [...flags, path.join(__dirname, 'node_harness.js'), options['wasm-js'], ...testArgs],
      { NODE_EXTRA_CA_CERTS: certs.ca });
  } else if (mode === 'chromium') {
    output = await runChromium(testArgs, certs);
  } else if (mode === 'firefox') {
    output = await runFirefox(testArgs);
  } else {
    output = await runProcess(options.native, testArgs, {});
  }
  finish(resultsFrom(output), resultsFrom(output) ? null : 'the test program reported no results');
}

main().catch((error) => finish(null, error.stack || String(error)));
