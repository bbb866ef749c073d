// Fault injection for the web tests: `new WebSocket(url)` throws for URLs containing "throw-me",
// the way a browser throws for a blocked port or mixed content. Works in Node and in a page.
(function (scope) {
  let Original = scope.WebSocket;
  if (typeof Original === 'undefined' && typeof require === 'function') {
    Original = require('ws');  // Node without --experimental-websocket: the npm ws package
  }
  if (typeof Original === 'undefined') return;
  class TestWebSocket extends Original {
    constructor(url, protocols) {
      if (String(url).includes('throw-me')) {
        const error = new Error('refused for the test');
        error.name = 'SecurityError';
        throw error;
      }
      if (protocols === undefined) super(url);
      else super(url, protocols);
    }
  }
  scope.WebSocket = TestWebSocket;
})(typeof globalThis !== 'undefined' ? globalThis : window);
