// wspeer's Emscripten JS library: the browser (or Node) WebSocket behind WebWebSocketPeer.
// C++ passes a peer pointer; events call back into exported C functions. Incoming messages are
// written straight into the peer's inbound queue (one copy: JS buffer -> wasm memory).
mergeInto(LibraryManager.library, {
  $WSP: {
    sockets: {},
    next: 1,
    encoder: null,
    decoder: null,
    // Passes a JS string to C through the peer's scratch buffer (valid during the callback).
    withString: function(peer, text, callback) {
      const size = lengthBytesUTF8(text) + 1;
      const pointer = _wsp_web_scratch(peer, size);
      stringToUTF8(text, pointer, size);
      callback(pointer);
    },
  },

  wsp_js_create__deps: ['$WSP', 'wsp_js_forget'],
  wsp_js_create: function(peer, urlPointer, protocolsPointer, handshakeSeconds, errorPointer, errorSize) {
    const url = UTF8ToString(urlPointer);
    const protocols = UTF8ToString(protocolsPointer);
    let socket;
    try {
      if (typeof WebSocket === 'undefined') throw new Error('this JavaScript environment has no WebSocket');
      socket = protocols ? new WebSocket(url, protocols.split(',')) : new WebSocket(url);
    } catch (error) {
      const name = error && error.name ? error.name + ': ' : '';
      stringToUTF8(name + (error && error.message ? error.message : String(error)), errorPointer, errorSize);
      return 0;
    }
    socket.binaryType = 'arraybuffer';
    const id = WSP.next++;
    WSP.sockets[id] = socket;
    // handshake_timeout: a browser may wait minutes for a server that accepts TCP and never
    // answers; the peer gives up at its own deadline, as a native one does.
    socket.wspTimer = setTimeout(function() {
      if (socket.readyState !== 0) return;
      _wsp_js_forget(id);
      _wsp_web_on_timeout(peer, 0);
    }, handshakeSeconds * 1000);
    socket.onopen = function() {
      clearTimeout(socket.wspTimer);
      // The selected sub-protocol and extensions, one line each (header values hold no newline).
      const agreed = (socket.protocol || '') + '\n' + (socket.extensions || '');
      WSP.withString(peer, agreed, function(text) { _wsp_web_on_open(peer, text); });
    };
    socket.onmessage = function(event) {
      if (typeof event.data === 'string') {
        if (!WSP.encoder) WSP.encoder = new TextEncoder();
        const size = lengthBytesUTF8(event.data);
        const target = _wsp_web_reserve(peer, size, 1);
        if (target === 0) return;  // over a limit: the peer is closing with a reason
        WSP.encoder.encodeInto(event.data, HEAPU8.subarray(target, target + size));
        _wsp_web_commit(peer, 1);
      } else if (event.data instanceof ArrayBuffer) {
        const bytes = new Uint8Array(event.data);
        const target = _wsp_web_reserve(peer, bytes.length, 0);
        if (target === 0) return;
        HEAPU8.set(bytes, target);  // HEAPU8 is read after reserve(): memory may have grown
        _wsp_web_commit(peer, 0);
      }
    };
    socket.onerror = function() { clearTimeout(socket.wspTimer); _wsp_web_on_error(peer); };
    socket.onclose = function(event) {
      clearTimeout(socket.wspTimer);
      WSP.withString(peer, event.reason || '', function(reason) {
        _wsp_web_on_close(peer, event.code, reason, event.wasClean ? 1 : 0);
      });
      delete WSP.sockets[id];
    };
    return id;
  },

  wsp_js_send__deps: ['$WSP'],
  wsp_js_send: function(id, pointer, size, isText) {
    const socket = WSP.sockets[id];
    if (!socket || socket.readyState !== 1) return 1;
    const view = HEAPU8.subarray(pointer, pointer + size);
    if (isText) {
      if (!WSP.decoder) WSP.decoder = new TextDecoder();
      socket.send(WSP.decoder.decode(view));
    } else {
      socket.send(view);  // the browser copies the view; no intermediate JS copy
    }
    return 0;
  },

  wsp_js_buffered_amount__deps: ['$WSP'],
  wsp_js_buffered_amount: function(id) {
    const socket = WSP.sockets[id];
    return socket ? socket.bufferedAmount : 0;
  },

  wsp_js_close__deps: ['$WSP', 'wsp_js_forget'],
  wsp_js_close: function(peer, id, code, reasonPointer, closeSeconds, errorPointer, errorSize) {
    const socket = WSP.sockets[id];
    if (!socket) return 0;
    try {
      if (socket.readyState < 2) socket.close(code, UTF8ToString(reasonPointer));
    } catch (error) {
      stringToUTF8(String(error && error.message ? error.message : error), errorPointer, errorSize);
      return 1;
    }
    // close_timeout: a server that never answers our close frame would keep the browser's
    // socket CLOSING for as long as the browser likes; the peer ends at its own deadline.
    clearTimeout(socket.wspTimer);
    socket.wspTimer = setTimeout(function() {
      if (!WSP.sockets[id]) return;
      _wsp_js_forget(id);
      _wsp_web_on_timeout(peer, 1);
    }, closeSeconds * 1000);
    return 0;
  },

  // Detaches a socket from its peer: no more events reach it, and it is closed if still open.
  wsp_js_forget__deps: ['$WSP'],
  wsp_js_forget: function(id) {
    const socket = WSP.sockets[id];
    if (!socket) return;
    clearTimeout(socket.wspTimer);
    socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null;
    try {
      if (socket.readyState < 2) socket.close();
    } catch (error) {
    }
    delete WSP.sockets[id];
  },

  // Forgets the socket: no more events reach the peer. A browser cannot drop a connection
  // without a close frame, so an open socket is closed normally.
  wsp_js_destroy__deps: ['wsp_js_forget'],
  wsp_js_destroy: function(id) { _wsp_js_forget(id); },
});
