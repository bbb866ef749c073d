// A hand-driven WebSocket endpoint over a RawSocket, for misbehaving peers in tests.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tests/core/wire.h"
#include "tests/native/test_util.h"
#include "wspeer/core/handshake.h"
#include "wspeer/core/http.h"

namespace wsp::test {

// Reads a client's request on `socket` and answers 101 (optionally with a protocol).
inline bool answer_upgrade(RawSocket& socket, const std::string& protocol = "") {
  const std::string head = socket.read_http_head();
  HttpRequestHead request;
  std::string error;
  if (!parse_request_head(head, &request, &error)) return false;
  const auto key = find_header(request.headers, "Sec-WebSocket-Key");
  if (!key) return false;
  std::string response =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: " +
      compute_accept_key(*key) + "\r\n";
  if (!protocol.empty()) response += "Sec-WebSocket-Protocol: " + protocol + "\r\n";
  return socket.send_all(response + "\r\n");
}

inline std::string upgrade_request(const std::string& path = "/", const std::string& extra = "") {
  return "GET " + path +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
         "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
         "Sec-WebSocket-Version: 13\r\n" +
         extra + "\r\n";
}

// A server peer whose client is a hand-driven RawSocket, with the handshake done.
struct RawClientPair {
  std::unique_ptr<LoopbackServer> listener = std::make_unique<LoopbackServer>();
  RawSocket client;
  std::unique_ptr<WebSocketPeer> server;
};

inline RawClientPair connect_raw_client(const std::function<void(WebSocketPeer&)>& configure = {}) {
  RawClientPair pair;
  pair.client.connect("127.0.0.1", pair.listener->port());
  pair.client.send_all(upgrade_request());
  pair.server = pair.listener->accept(nullptr, configure);
  if (!pair.server) return pair;
  poll_until({pair.server.get()},
             [&] { return pair.server->get_ready_state() != WebSocketPeer::STATE_CONNECTING; });
  pair.client.read_http_head();
  return pair;
}

// Decodes one frame from `data` (masked or not); returns false if incomplete.
struct DecodedFrame {
  uint8_t opcode = 0;
  bool fin = false;
  bool masked = false;
  std::string payload;
  size_t size = 0;  // wire bytes used
};

inline bool decode_frame(const std::string& data, DecodedFrame* out) {
  if (data.size() < 2) return false;
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  out->fin = p[0] & 0x80;
  out->opcode = p[0] & 0xF;
  out->masked = p[1] & 0x80;
  uint64_t len = p[1] & 0x7F;
  size_t pos = 2;
  if (len == 126) {
    if (data.size() < 4) return false;
    len = (p[2] << 8) | p[3];
    pos = 4;
  } else if (len == 127) {
    if (data.size() < 10) return false;
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | p[2 + i];
    pos = 10;
  }
  uint8_t key[4] = {0, 0, 0, 0};
  if (out->masked) {
    if (data.size() < pos + 4) return false;
    for (int i = 0; i < 4; ++i) key[i] = p[pos + i];
    pos += 4;
  }
  if (data.size() < pos + len) return false;
  out->payload.resize(len);
  for (uint64_t i = 0; i < len; ++i) out->payload[i] = static_cast<char>(p[pos + i] ^ key[i % 4]);
  out->size = pos + len;
  return true;
}

inline std::vector<DecodedFrame> decode_frames(const std::string& data) {
  std::vector<DecodedFrame> frames;
  std::string rest = data;
  DecodedFrame frame;
  while (decode_frame(rest, &frame)) {
    rest.erase(0, frame.size);
    frames.push_back(frame);
  }
  return frames;
}

inline std::string server_frame(uint8_t opcode, const std::string& payload, bool fin = true) {
  return [&] {
    Bytes b = encode(test::frame(opcode, bytes(payload), fin, false));
    return std::string(b.begin(), b.end());
  }();
}

inline std::string client_frame(uint8_t opcode, const std::string& payload, bool fin = true) {
  Bytes b = encode(test::frame(opcode, bytes(payload), fin, true));
  return std::string(b.begin(), b.end());
}

inline std::string close_frame_payload(int code, const std::string& reason = "") {
  std::string p;
  p += static_cast<char>(code >> 8);
  p += static_cast<char>(code & 0xFF);
  return p + reason;
}

}  // namespace wsp::test
