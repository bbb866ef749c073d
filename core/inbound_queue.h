// Complete received messages waiting for get_packet(), plus the message being reassembled.
#pragma once

#include <cstddef>
#include <cstdint>

#include "wspeer/core/byte_buffer.h"
#include "wspeer/core/ring_queue.h"

namespace wsp {

/// Messages are stored back to back in one buffer, so steady-state traffic allocates nothing
/// and the payload is written exactly once (by the frame decoder, unmasking as it copies).
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
  void reserve_partial(size_t n) { buffer_.prepare(n); }
  /// Returns where the next `n` bytes of the partial message go; they count as written.
  uint8_t* extend_partial(size_t n);
  /// Room for up to `n` more bytes of the partial message whose final count is not known yet
  /// (decompression); commit_partial_room() says how many were written.
  uint8_t* partial_room(size_t n) { return buffer_.prepare(n); }
  void commit_partial_room(size_t n) {
    buffer_.commit(n);
    partial_size_ += n;
  }
  void commit_partial(bool is_text);
  void drop_partial();

  /// Appends a whole message (the web backend gets messages whole). False, and nothing stored,
  /// when the message is larger than the maximum or the queue is full.
  bool push(const uint8_t* data, size_t size, bool is_text);

  // ---- complete messages ----
  size_t count() const { return records_.size(); }
  size_t queued_bytes() const { return queued_bytes_; }
  bool full() const {
    return records_.size() >= max_packets_ || queued_bytes_ >= max_message_size_;
  }
  /// Pops the oldest message. The view stays valid until the next pop, extend or clear.
  bool pop(const uint8_t** data, size_t* size, bool* is_text);

  void clear();
  bool holds_memory() const { return buffer_.capacity() != 0 || records_.holds_memory(); }
  /// Bytes of message storage allocated now (for tests of the limits).
  size_t buffer_capacity() const { return buffer_.capacity(); }
  /// Gives the memory back when nothing is queued or being assembled.
  void release_if_idle();

 private:
  struct Record {
    uint64_t size : 63 = 0;  ///< messages are bounded far below 2^63 by the limits
    uint64_t is_text : 1 = 0;
  };
  ByteBuffer buffer_;  ///< complete messages in order, then the partial one
  RingQueue<Record> records_;
  size_t queued_bytes_ = 0;
  size_t partial_size_ = 0;
  size_t max_message_size_ = 65535;
  size_t max_packets_ = 4096;
};

}  // namespace wsp
