// What the demo's browser tests share: cases recorded as they run and written as JUnit XML at the
// end, steps, waiting for the page's snapshot, and child processes killed when the test exits.
//   const h = createHarness({ suite: 'web_demo_e2e', prefix: 'demo', timeoutMs: 150000 });
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');

function createHarness({ suite, prefix, timeoutMs }) {
  const cases = [];
  const children = [];
  process.on('exit', () => children.forEach((c) => { try { c.kill('SIGKILL'); } catch (e) {} }));

  function record(name, ok, message = '') {
    cases.push({ name, ok, message });
    console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}${message ? `: ${message}` : ''}`);
  }

  const escape = (t) => String(t).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  function finish() {
    const failed = cases.filter((c) => !c.ok).length;
    if (process.env.XML_OUTPUT_FILE) {
      const body = cases.map((c) => c.ok ? `<testcase name="${prefix}: ${escape(c.name)}"/>`
        : `<testcase name="${prefix}: ${escape(c.name)}"><failure message="${escape(c.message)}"/></testcase>`).join('');
      fs.writeFileSync(process.env.XML_OUTPUT_FILE, `<?xml version="1.0"?>\n<testsuites><testsuite name="${suite}" tests="${cases.length}" failures="${failed}">${body}</testsuite></testsuites>\n`);
    }
    console.log(`${suite}: ${cases.length - failed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  }
  setTimeout(() => { record('harness', false, 'timed out'); finish(); }, timeoutMs).unref();

  async function step(name, body) {
    try {
      await body();
      record(name, true);
    } catch (error) {
      record(name, false, error.message);
    }
  }

  function assert(condition, message) { if (!condition) throw new Error(message); }

  // Polls the page's window.demoSnapshot() until `predicate` holds.
  async function waitFor(page, predicate, what, timeout = 15000) {
    const deadline = Date.now() + timeout;
    let last;
    while (Date.now() < deadline) {
      last = await page.evaluate(() => window.demoSnapshot && window.demoSnapshot());
      if (last && predicate(last)) return last;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}; last snapshot: ${JSON.stringify(last).slice(0, 400)}`);
  }

  // Starts `binary`; resolves once its stdout matches `ready` (at once without one).
  function start(binary, args, ready) {
    return new Promise((resolve, reject) => {
      const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(child);
      let output = '';
      child.stdout.on('data', (chunk) => {
        output += chunk;
        const match = ready && output.match(ready);
        if (match) resolve({ child, match });
      });
      child.on('exit', (code) => reject(new Error(`${binary} exited (${code}) before it was ready`)));
      if (!ready) resolve({ child });
    });
  }

  return { record, finish, step, assert, waitFor, start, children };
}

module.exports = { createHarness };
