// PreparedMessage: one message framed once, as a server sends it, for many peers. Each peer's
// WebSocketPeer::send_prepared() writes the same bytes; a peer that cannot take them at once
// queues a reference to them, not a copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "wspeer/core/error.h"

namespace wsp {

class PreparedMessage {
 public:
  /// Frames `payload` as one unmasked, uncompressed message (text must be valid UTF-8:
  /// ERR_INVALID_DATA otherwise). The buffer is reused when no peer still holds the previous
  /// message, so a server preparing one broadcast after another does not allocate each time.
  Error prepare(std::span<const uint8_t> payload, bool is_text = false);

  bool empty() const { return frame_ == nullptr; }
  bool is_text() const { return is_text_; }
  std::span<const uint8_t> payload() const;
  /// The whole frame: header and payload.
  const std::shared_ptr<const std::vector<uint8_t>>& frame() const { return shared_; }

 private:
  std::shared_ptr<std::vector<uint8_t>> frame_;
  std::shared_ptr<const std::vector<uint8_t>> shared_;  // the same frame, as peers hold it
  size_t header_size_ = 0;
  bool is_text_ = false;
};

}  // namespace wsp
