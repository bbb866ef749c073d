// permessage-deflate (RFC 7692): what a peer offers or accepts, and what was agreed.
#pragma once

#include <cstddef>

namespace wsp {

/// How a WebSocketPeer uses permessage-deflate; set with WebSocketPeer::set_deflate_options()
/// before connect_to_url() or accept_stream(). A client offers the parameters below; a server
/// accepts a client's offer within them. docs/compression.md explains the costs.
struct DeflateOptions {
  enum class Use {
    kRoleDefault,  ///< a client offers it, a server declines it (memory per connection)
    kOn,           ///< offer it (client) or accept an offer (server)
    kOff,          ///< never: no offer, every offer declined
  };
  Use use = Use::kRoleDefault;
  /// The server starts every message with an empty window: less memory on the server (its
  /// compressor is released when idle), less compression.
  bool server_no_context_takeover = false;
  /// The same for the client's messages: the server's decompressor can be released when idle.
  bool client_no_context_takeover = false;
  /// log2 of the LZ77 window the server may compress with (8–15): 15 is 32 KiB, each step
  /// halves the memory of both the server's compressor and the client's decompressor.
  int server_max_window_bits = 15;
  /// The same for the client's compressor and the server's decompressor (8–15).
  int client_max_window_bits = 15;
  /// Messages shorter than this go out uncompressed (compressing a few bytes costs CPU and
  /// saves nothing).
  size_t compression_threshold = 64;
  /// zlib's compression level, 1 (fastest) to 9 (smallest).
  int compression_level = 1;
  /// zlib's memLevel for compressors, 1–9: memory against speed (8 is zlib's default).
  int memory_level = 8;

  static DeflateOptions on() {
    DeflateOptions options;
    options.use = Use::kOn;
    return options;
  }
  static DeflateOptions off() {
    DeflateOptions options;
    options.use = Use::kOff;
    return options;
  }

  /// Equal when every field is.
  bool operator==(const DeflateOptions&) const = default;
};

/// What both ends agreed on in the handshake (RFC 7692 §7.1).
struct DeflateAgreement {
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
  int server_max_window_bits = 15;
  int client_max_window_bits = 15;
};

}  // namespace wsp
