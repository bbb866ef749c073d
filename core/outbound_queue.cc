#include "core/outbound_queue.h"

#include <cstring>

#include "core/frame.h"
#include "core/mask.h"
#include "core/random.h"

namespace wsp {

void OutboundQueue::append_frame(uint8_t opcode, bool fin, const uint8_t* payload, size_t size,
                                 bool mask, bool automatic) {
  uint8_t key[4];
  if (mask) fill_random(key, 4);
  const size_t header_size = frame_header_size(size, mask);
  uint8_t* out = bytes_.prepare(header_size + size);
  write_frame_header(out, fin, opcode, size, mask ? key : nullptr);
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
  frames_.push_back({appended_, size, wire, automatic});
  buffered_payload_ += size;
  if (automatic) automatic_bytes_ += wire;
}

void OutboundQueue::consume(size_t n) {
  bytes_.consume(n);
  written_ += n;
  while (!frames_.empty() && frames_.front().end <= written_) {
    const FrameRecord& done = frames_.front();
    buffered_payload_ -= done.payload;
    if (done.automatic) automatic_bytes_ -= done.wire;
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
