// Complete received messages waiting for get_packet(), plus the message being reassembled.
#pragma once

#include <cstddef>
#include <cstdint>

#include "wspeer/core/byte_buffer.h"

namespace wsp {

/// Messages are stored back to back in one buffer, each after a 4-byte record of its size and
/// kind, so steady-state traffic allocates nothing, the payload is written exactly once (by the
/// frame decoder, unmasking as it copies) and an idle queue is 16 bytes.
/// Limits are checked by the caller before it extends a message; full() tells a backend to stop
/// reading (back-pressure).
class InboundQueue {
 public:
  /// `max_message_size` bounds one message; queued complete bytes at or above it, or
  /// `max_packets` queued messages, make the queue full.
  void configure(size_t max_message_size, size_t max_packets);
  size_t max_message_size() const { return max_message_size_; }
  size_t max_packets() const { return max_packets_; }

  // ---- the message being assembled ----
  size_t partial_size() const { return partial_size_; }
  /// Makes sure `n` more bytes can be appended to the partial message without reallocating.
  void reserve_partial(size_t n) { buffer_.prepare(n + (record_reserved_ ? 0 : kRecordSize)); }
  /// Returns where the next `n` bytes of the partial message go; they count as written.
  uint8_t* extend_partial(size_t n);
  /// Room for up to `n` more bytes of the partial message whose final count is not known yet
  /// (decompression); commit_partial_room() says how many were written.
  uint8_t* partial_room(size_t n);
  void commit_partial_room(size_t n) {
    buffer_.commit(n);
    partial_size_ += static_cast<uint32_t>(n);
  }
  void commit_partial(bool is_text);
  void drop_partial();

  /// Appends a whole message (the web backend gets messages whole). False, and nothing stored,
  /// when the message is larger than the maximum or the queue is full.
  bool push(const uint8_t* data, size_t size, bool is_text);

  // ---- complete messages ----
  size_t count() const { return count_; }
  size_t queued_bytes() const {
    // Nothing complete is queued most of the time: answer without touching the buffer's block.
    if (count_ == 0) return 0;
    return buffer_.size() - size_t{count_} * kRecordSize -
           (record_reserved_ ? kRecordSize + partial_size_ : 0);
  }
  bool full() const { return count_ >= max_packets_ || queued_bytes() >= max_message_size_; }
  /// Pops the oldest message. The view stays valid until the next pop, extend or clear.
  bool pop(const uint8_t** data, size_t* size, bool* is_text);

  void clear();
  bool holds_memory() const { return buffer_.capacity() != 0; }
  /// Bytes of message storage allocated now (for tests of the limits).
  size_t buffer_capacity() const { return buffer_.capacity(); }
  /// Gives the memory back when nothing is queued or being assembled.
  void release_if_idle();

 private:
  /// A message's record: its size, with the top bit set for text (messages are bounded by an
  /// int-sized limit, so 31 bits hold any size).
  static constexpr size_t kRecordSize = 4;
  static constexpr uint32_t kTextBit = 0x80000000u;
  /// Makes room for the partial message's record the first time it grows.
  void reserve_record();

  ByteBuffer buffer_;  ///< [record | message]... then [record room | partial message]
  uint32_t count_ = 0;
  uint32_t partial_size_ : 31 = 0;
  uint32_t record_reserved_ : 1 = 0;  ///< the partial message's record room is in buffer_
  uint32_t max_message_size_ = 65535;
  uint32_t max_packets_ = 4096;
};

}  // namespace wsp
