// The demo room's game messages, shared by the server, the browser client and the bot. They
// travel as the multiplayer layer's raw packets (MultiplayerSession::send_bytes()), one command
// per packet, fields separated by spaces:
//   client -> server (peer 1): "hello NAME" | "move X Y" | "chat TEXT" | "ping T"
//   server -> client: "welcome ID COLOR X Y" | "join ID COLOR NAME" | "pong T" |
//                     "state ID X Y;ID X Y;..." | "chat ID TEXT"
// Ids are the layer's peer ids; that someone left is the layer's peer_disconnected. X and Y are
// positions in [0, 1]; T is the sender's clock in milliseconds.
#pragma once

#include <string>
#include <string_view>

namespace wsp::demo {

// Splits "verb rest" at the first space.
inline std::pair<std::string_view, std::string_view> split_command(std::string_view message) {
  const size_t space = message.find(' ');
  if (space == std::string_view::npos) return {message, {}};
  return {message.substr(0, space), message.substr(space + 1)};
}

// Keeps printable text only (no control characters) and at most `max_bytes` bytes, cut on a
// UTF-8 boundary.
inline std::string clean_text(std::string_view text, size_t max_bytes) {
  std::string out;
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7F) out += c;
  }
  if (out.size() > max_bytes) {
    size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
  }
  return out;
}

constexpr int kTickMilliseconds = 50;  // positions are broadcast 20 times a second

}  // namespace wsp::demo
