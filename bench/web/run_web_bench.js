// Runs web_bench.html in headless Chromium against a native wsp echo-server and prints the
// results as JSON. Usage: node run_web_bench.js WSP_BINARY WASM_DIR HTML [SECONDS]
// Environment: WEB_BENCH_ONLY=16x16 runs just that scenario; WEB_BENCH_ROUNDS=N sets the rounds;
// WEB_BENCH_PROFILE=1 prints where the page's main thread spends its time (CPU profile through the
// DevTools protocol) to stderr.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const http = require('http');
const path = require('path');
const os = require('os');
const { launchChromium } = require(path.join(__dirname, '..', '..', 'tests', 'js', 'browsers.js'));

const [wsp, wasmDir, html, seconds = '3'] = process.argv.slice(2);

async function main() {
  const server = spawn('taskset', ['-c', '1', wsp, 'echo-server', '--host', '127.0.0.1', '--port', '0', '--quiet'],
                       { stdio: ['ignore', 'pipe', 'inherit'] });
  serverProcess = server;
  const port = await new Promise((resolve) => {
    let out = '';
    server.stdout.on('data', (d) => { out += d; const m = out.match(/listening on port (\d+)/); if (m) resolve(Number(m[1])); });
  });
  const files = http.createServer((request, response) => {
    const name = request.url.split('?')[0];
    let file = name === '/' ? html : path.join(wasmDir, path.basename(name));
    if (!fs.existsSync(file)) { response.writeHead(404); return response.end(); }
    response.writeHead(200, { 'Content-Type': file.endsWith('.wasm') ? 'application/wasm' : file.endsWith('.html') ? 'text/html' : 'text/javascript' });
    fs.createReadStream(file).pipe(response);
  }).listen(0, '127.0.0.1');
  await new Promise((resolve) => files.on('listening', resolve));
  const browser = await launchChromium(fs.mkdtempSync(path.join(os.tmpdir(), 'wspeer-web-bench-')));
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  const result = new Promise((resolve, reject) => {
    page.on('console', (message) => {
      const text = message.text();
      if (process.env.WEB_BENCH_VERBOSE) console.error(text);
      if (text.startsWith('WEB_BENCH ')) resolve(JSON.parse(text.slice(10)));
      if (text.startsWith('WEB_BENCH_ERROR ')) reject(new Error(text));
    });
  });
  const bench = `http://127.0.0.1:${files.address().port}/?url=${encodeURIComponent(`ws://127.0.0.1:${port}/`)}&seconds=${seconds}${process.env.WEB_BENCH_ONLY ? `&only=${process.env.WEB_BENCH_ONLY}` : ''}${process.env.WEB_BENCH_ROUNDS ? `&rounds=${process.env.WEB_BENCH_ROUNDS}` : ''}`;
  // The page fetches web_bench_wasm/web_bench.js: serve it from the wasm directory.
  const profiler = process.env.WEB_BENCH_PROFILE ? await page.context().newCDPSession(page) : null;
  if (profiler) {
    await profiler.send('Profiler.enable');
    await profiler.send('Profiler.setSamplingInterval', { interval: 100 });
  }
  await page.goto(bench);
  if (profiler) await profiler.send('Profiler.start');
  const results = await Promise.race([result, new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 600000))]);
  if (profiler) console.error(summarizeProfile((await profiler.send('Profiler.stop')).profile));
  console.log(JSON.stringify(results));
  await browser.close();
  files.close();
  server.kill();
}

// Self time per function, largest first: "(idle)" is the main thread waiting for work.
function summarizeProfile(profile) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const frame = nodes.get(id).callFrame;
    const name = `${frame.functionName || '(anonymous)'} ${(frame.url || '').split('/').pop().split('?')[0]}`;
    const delta = profile.timeDeltas[i] || 0;
    self.set(name, (self.get(name) || 0) + delta);
    total += delta;
  });
  return [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20)
      .map(([name, time]) => `${(100 * time / total).toFixed(1).padStart(5)}%  ${name}`).join('\n');
}

let serverProcess = null;  // killed on every way out, so no echo server outlives the run
process.on('exit', () => { if (serverProcess) serverProcess.kill(); });
main().catch((error) => { console.error(error); process.exit(1); });
