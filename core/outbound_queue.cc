#include "wspeer/core/outbound_queue.h"

#include <algorithm>
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

void OutboundQueue::append_shared(std::shared_ptr<const std::vector<uint8_t>> frame,
                                  size_t payload_size, size_t already_sent) {
  State& s = state();
  const size_t wire = frame->size() - already_sent;
  s.shared.push_back({s.appended, already_sent, std::move(frame)});
  s.appended += wire;
  s.frames.push_back({s.appended, payload_size, 0});
  s.buffered_payload += payload_size;
}

std::span<const uint8_t> OutboundQueue::front() const {
  if (!state_) return {};
  const State& s = *state_;
  if (s.shared.empty()) return {s.bytes.data(), s.bytes.size()};
  const SharedPiece& piece = s.shared.front();
  if (s.written < piece.begin) {  // own bytes queued before the shared frame
    return {s.bytes.data(), static_cast<size_t>(piece.begin - s.written)};
  }
  const size_t at = piece.offset + static_cast<size_t>(s.written - piece.begin);
  return {piece.frame->data() + at, piece.frame->size() - at};
}

int OutboundQueue::gather(ConstBuffer* parts, int max_parts) const {
  if (!state_ || max_parts <= 0) return 0;
  const State& s = *state_;
  int count = 0;
  size_t own = 0;  // own bytes placed so far
  uint64_t at = s.written;
  for (size_t i = 0; i < s.shared.size() && count < max_parts; ++i) {
    const SharedPiece& piece = s.shared[i];
    if (at < piece.begin) {
      const size_t run = static_cast<size_t>(piece.begin - at);
      parts[count++] = {s.bytes.data() + own, run};
      own += run;
      at = piece.begin;
      if (count == max_parts) return count;
    }
    const size_t skip = piece.offset + static_cast<size_t>(at - piece.begin);
    parts[count++] = {piece.frame->data() + skip, piece.frame->size() - skip};
    at = piece.end();
  }
  if (count < max_parts && own < s.bytes.size()) {
    parts[count++] = {s.bytes.data() + own, s.bytes.size() - own};
  }
  return count;
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
  while (n > 0) {
    const size_t run = front().size();
    const size_t taken = std::min(n, run);
    if (s.shared.empty() || s.written < s.shared.front().begin) s.bytes.consume(taken);
    s.written += taken;
    n -= taken;
    while (!s.shared.empty() && s.shared.front().end() <= s.written) {
      s.shared.front().frame.reset();  // the ring keeps the slot; the frame must not stay alive
      s.shared.pop_front();
    }
  }
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
  while (!s.shared.empty()) {
    s.shared.front().frame.reset();
    s.shared.pop_front();
  }
  s.appended = s.written = 0;
  s.buffered_payload = 0;
  s.automatic_bytes = 0;
}

void OutboundQueue::release_if_idle() {
  if (empty()) state_.reset();
}

}  // namespace wsp
