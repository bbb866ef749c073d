// Starts the Debian browsers that the tests and benchmarks drive, the same way everywhere.
//
// Each browser gets a new home of its own under `work`: a new machine has no ~/.cache/mozilla or
// ~/.config/mozilla, and inside Bazel's sandbox the real home is not writable, so Firefox waited
// there for ever (a machine where Firefox had once been started by hand passed). Chromium gets
// the flags this machine's closed network needs. What the browser prints is kept in a log file,
// and a failed start reports its last lines, so a test log says why a browser did not come up.
'use strict';
const fs = require('fs');
const path = require('path');

// A home with the XDG folders a browser creates at its first start, inside `work`.
function freshHome(work, name) {
  const home = fs.mkdtempSync(path.join(work, `${name}-home-`));
  const env = { ...process.env, HOME: home };
  for (const [variable, folder] of [['XDG_CONFIG_HOME', '.config'], ['XDG_CACHE_HOME', '.cache'],
    ['XDG_DATA_HOME', '.local/share']]) {
    env[variable] = path.join(home, folder);
    fs.mkdirSync(env[variable], { recursive: true });
  }
  return { home, env };
}

function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch (error) {
    return `(no output: ${error.message})`;
  }
}

// Rethrows a failed start with the browser's own last words.
function startFailed(name, error, log) {
  return new Error(`${name} did not start: ${error.message}\n--- ${name}'s output (${log}) ---\n${tail(log)}`);
}

// Headless Chromium driven by Playwright; `args` come after the flags every run needs.
async function launchChromium(work, args = []) {
  const { chromium } = require('playwright-core');
  const { home, env } = freshHome(work, 'chromium');
  const log = path.join(home, 'browser.log');
  const output = fs.createWriteStream(log);
  try {
    return await chromium.launch({
      executablePath: '/usr/bin/chromium',
      env,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', ...args],
      logger: {
        isEnabled: (name) => name === 'browser',
        log: (name, severity, message) => output.write(`${message}\n`),
      },
    });
  } catch (error) {
    await new Promise((resolve) => output.end(resolve));
    throw startFailed('Chromium', error, log);
  }
}

// Headless Firefox ESR driven by puppeteer-core over WebDriver BiDi.
async function launchFirefox(work, { acceptInsecureCerts = false, prefs = {} } = {}) {
  const puppeteer = require('puppeteer-core');
  const { home, env } = freshHome(work, 'firefox');
  const log = path.join(home, 'browser.log');
  // puppeteer finds the browser's endpoint in its output and, when that never comes, says only
  // that it timed out: a wrapper keeps a copy of the output. puppeteer stops the browser by its
  // process group, so the wrapper and its tee go with it.
  const wrapper = path.join(home, 'firefox.sh');
  fs.writeFileSync(wrapper, `#!/bin/sh\n/usr/bin/firefox-esr "$@" 2>&1 | tee -a '${log}'\n`,
    { mode: 0o755 });
  try {
    return await puppeteer.launch({
      browser: 'firefox',
      executablePath: wrapper,
      headless: true,
      env,
      userDataDir: path.join(home, 'profile'),
      // A first start with a new profile takes a few seconds; far longer means it is stuck.
      timeout: 60000,
      acceptInsecureCerts,
      extraPrefsFirefox: { 'network.proxy.type': 0, 'app.update.enabled': false, ...prefs },
    });
  } catch (error) {
    throw startFailed('Firefox', error, log);
  }
}

module.exports = { launchChromium, launchFirefox };
