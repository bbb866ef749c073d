#include "wspeer/core/outbound_queue.h"

#include <cstring>

#include "wspeer/core/frame.h"
#include "wspeer/core/mask.h"
#include "wspeer/core/random.h"

namespace wsp {

void OutboundQueue::append_frame(uint8_t opcode, bool fin, const uint8_t* payload, size_t size,
                                 bool mask, bool automatic, uint8_t rsv) {
  uint8_t key[4];
  if (mask) fill_random(key, 4);
  const size_t header_size = frame_header_size(size, mask);
  uint8_t* out = bytes_.prepare(header_size + size);
  write_frame_header(out, fin, opcode, size, mask ? key : nullptr, rsv);
  if (size) {
    if (mask) {
      mask_copy(out + header_size, payload, size, key, 0);
    } else {
      std::memcpy(out + header_size, payload, size);
    }
  }
  const size_t wire = header_size + size;
  bytes_.commit(wire);
  appended_ += wire;
  // Automatic replies are pongs: at most 131 bytes on the wire.
  const uint32_t automatic_wire = automatic ? static_cast<uint32_t>(wire) : 0;
  frames_.push_back({appended_, size, automatic_wire});
  buffered_payload_ += size;
  automatic_bytes_ += automatic_wire;
}

void OutboundQueue::append_unsent(const uint8_t* header, size_t header_size, const uint8_t* payload,
                                  size_t payload_size, size_t already_sent) {
  const size_t wire = header_size + payload_size - already_sent;
  uint8_t* out = bytes_.prepare(wire);
  size_t pos = 0;
  if (already_sent < header_size) {
    pos = header_size - already_sent;
    std::memcpy(out, header + already_sent, pos);
  }
  const size_t payload_offset = already_sent > header_size ? already_sent - header_size : 0;
  if (payload_size > payload_offset) {
    std::memcpy(out + pos, payload + payload_offset, payload_size - payload_offset);
  }
  bytes_.commit(wire);
  appended_ += wire;
  frames_.push_back({appended_, payload_size, 0});
  buffered_payload_ += payload_size;
}

void OutboundQueue::consume(size_t n) {
  bytes_.consume(n);
  written_ += n;
  while (!frames_.empty() && frames_.front().end <= written_) {
    const FrameRecord& done = frames_.front();
    buffered_payload_ -= done.payload;
    automatic_bytes_ -= done.automatic_wire;
    frames_.pop_front();
  }
}

void OutboundQueue::clear() {
  bytes_.clear();
  frames_.clear();
  appended_ = written_ = 0;
  buffered_payload_ = 0;
  automatic_bytes_ = 0;
}

void OutboundQueue::release_if_idle() {
  if (!bytes_.empty()) return;
  bytes_.release_if_empty();
  frames_.release_if_empty();
}

}  // namespace wsp
