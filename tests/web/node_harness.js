// Runs an Emscripten test program under Node with a standards WebSocket:
//   node --no-experimental-fetch --experimental-websocket node_harness.js test.js ARGS...
// Exits when the program prints its WSPEER_RESULTS line (status 1 if any case failed).
'use strict';
const path = require('path');
require('./throwing_websocket.js');
const [script, ...args] = process.argv.slice(2);
globalThis.Module = {
  arguments: args,
  print: (line) => {
    console.log(line);
    if (line.startsWith('WSPEER_RESULTS ')) {
      const results = JSON.parse(line.slice('WSPEER_RESULTS '.length));
      process.exit(results.failed > 0 ? 1 : 0);
    }
  },
  printErr: (line) => console.error(line),
};
require(path.resolve(script));
