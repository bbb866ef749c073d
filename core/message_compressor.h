// The compression a negotiated extension applies to whole messages (permessage-deflate), as the
// engine sees it. The engine stays free of any compression library: the native backend plugs in
// zlib (core/deflate/), the browser compresses by itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "wspeer/core/deflate_options.h"

namespace wsp {

class MessageCompressor {
 public:
  struct InflateStep {
    size_t consumed = 0;   ///< input bytes taken
    size_t produced = 0;   ///< output bytes written
    bool corrupt = false;  ///< the input is not valid DEFLATE data (see error())
  };

  virtual ~MessageCompressor() = default;

  /// Decompresses part of a received message into `out` (room for `room` bytes). The caller
  /// calls again with the input not consumed, and while the output filled `room` (more may be
  /// pending inside).
  virtual InflateStep inflate(const uint8_t* in, size_t size, uint8_t* out, size_t room) = 0;
  /// The received message is complete (its 00 00 FF FF tail inflated): drop its context when the
  /// peer agreed not to use it again.
  virtual void end_inbound_message() = 0;

  /// Whether an outgoing message of `size` bytes is worth compressing (the threshold), and
  /// possible (zlib cannot compress with an 8-bit window: those messages go uncompressed).
  virtual bool compresses(size_t size) const = 0;
  /// Compresses one whole message, without the 00 00 FF FF tail (RFC 7692 §7.2.1). The bytes
  /// stay valid until the next call on this thread. Empty on failure.
  virtual std::span<const uint8_t> deflate_message(const uint8_t* data, size_t size) = 0;

  /// Frees the state an idle connection need not hold (what no-context-takeover lets go).
  virtual void release_if_idle() = 0;
  /// Whether release_if_idle() would free something now.
  virtual bool holds_releasable_memory() const = 0;
  /// Memory this compressor holds now (for tests and the memory figures in the docs).
  virtual size_t memory_held() const = 0;
  /// Why the last inflate() found the input corrupt.
  virtual std::string error() const = 0;
};

}  // namespace wsp
