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
  uint8_t* out = state().bytes.prepare(header_size + size);
  write_frame_header(out, fin, opcode, size, mask ? key : nullptr, rsv);
  if (size) {
    if (mask) {
      mask_copy(out + header_size, payload, size, key, 0);
    } else {
      std::memcpy(out + header_size, payload, size);
    }
  }
  const size_t wire = header_size + size;
  // Automatic replies are pongs: at most 131 bytes on the wire.
  record_frame(wire, size, automatic ? static_cast<uint32_t>(wire) : 0);
}

void OutboundQueue::append_unsent(const uint8_t* header, size_t header_size, const uint8_t* payload,
                                  size_t payload_size, size_t already_sent) {
  const size_t wire = header_size + payload_size - already_sent;
  uint8_t* out = state().bytes.prepare(wire);
  size_t pos = 0;
  if (already_sent < header_size) {
    pos = header_size - already_sent;
    std::memcpy(out, header + already_sent, pos);
  }
  const size_t payload_offset = already_sent > header_size ? already_sent - header_size : 0;
  if (payload_size > payload_offset) {
    std::memcpy(out + pos, payload + payload_offset, payload_size - payload_offset);
  }
  record_frame(wire, payload_size, 0);
}

OutboundQueue::State& OutboundQueue::state() {
  if (!state_) state_ = std::make_unique<State>();
  return *state_;
}

void OutboundQueue::record_frame(size_t wire, size_t payload, uint32_t automatic_wire) {
  State& s = *state_;
  s.bytes.commit(wire);
  s.appended += wire;
  s.frames.push_back({s.appended, payload, automatic_wire});
  s.buffered_payload += payload;
  s.automatic_bytes += automatic_wire;
}

void OutboundQueue::consume(size_t n) {
  if (n == 0) return;
  State& s = *state_;
  s.bytes.consume(n);
  s.written += n;
  while (!s.frames.empty() && s.frames.front().end <= s.written) {
    const FrameRecord& done = s.frames.front();
    s.buffered_payload -= done.payload;
    s.automatic_bytes -= done.automatic_wire;
    s.frames.pop_front();
  }
}

void OutboundQueue::clear() {
  if (!state_) return;
  State& s = *state_;
  s.bytes.clear();
  s.frames.clear();
  s.appended = s.written = 0;
  s.buffered_payload = 0;
  s.automatic_bytes = 0;
}

void OutboundQueue::release_if_idle() {
  if (empty()) state_.reset();
}

}  // namespace wsp
