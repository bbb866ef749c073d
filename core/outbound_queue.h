// Serialized frames waiting for the transport, with the per-message accounting that
// outbound_buffer_size, max_queued_packets and get_current_outbound_buffered_amount() need.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "wspeer/core/byte_buffer.h"
#include "wspeer/core/ring_queue.h"
#include "wspeer/core/stream_peer.h"

namespace wsp {

/// What is queued for a peer (data and control frames) is a contiguous run of wire bytes, so a
/// backend hands it to the kernel in a single write. A frame shared by many peers (a broadcast
/// framed once: PreparedMessage) is queued by reference instead, so a thousand slow peers hold
/// one copy of it; the write then goes piece by piece (front()).
class OutboundQueue {
 public:
  /// Serializes one frame (masking it with a fresh random key when `mask` is set) after
  /// everything already queued. `automatic` marks replies the engine generated itself (pongs).
  void append_frame(uint8_t opcode, bool fin, const uint8_t* payload, size_t size, bool mask,
                    bool automatic = false, uint8_t rsv = 0);

  /// Queues what the transport did not take of a frame written directly from the caller's
  /// buffers: the frame is [header | payload] and its first `already_sent` bytes went out.
  void append_unsent(const uint8_t* header, size_t header_size, const uint8_t* payload,
                     size_t payload_size, size_t already_sent);

  /// Queues a frame shared with other peers (never modified while referenced) after everything
  /// already queued, without copying it; its first `already_sent` bytes went out directly.
  void append_shared(std::shared_ptr<const std::vector<uint8_t>> frame, size_t payload_size,
                     size_t already_sent);

  /// The bytes to write next: all that is queued, or up to the next shared frame (or the rest
  /// of one).
  std::span<const uint8_t> front() const;
  /// Fills up to `max_parts` pieces with what is queued, in order, for one scattered write;
  /// returns how many it filled.
  int gather(ConstBuffer* parts, int max_parts) const;
  /// Wire bytes queued in all.
  size_t size() const { return state_ ? state_->appended - state_->written : 0; }
  bool empty() const { return size() == 0; }
  /// The transport wrote the first `n` bytes queued.
  void consume(size_t n);

  /// Payload bytes of frames not completely written (frame headers excluded, as in Godot).
  size_t buffered_payload() const { return state_ ? state_->buffered_payload : 0; }
  /// Frames not completely written (data and control).
  size_t queued_frames() const { return state_ ? state_->frames.size() : 0; }
  /// Wire bytes of automatic replies still queued (bounds what a ping flood can make us hold).
  size_t automatic_bytes() const { return state_ ? state_->automatic_bytes : 0; }

  void clear();
  bool holds_memory() const { return state_ != nullptr; }
  void release_if_idle();

 private:
  struct FrameRecord {
    uint64_t end = 0;                  ///< stream offset just past this frame
    uint64_t payload : 48 = 0;         ///< 256 TiB; outbound_buffer_size 0 sets no limit
    uint64_t automatic_wire : 16 = 0;  ///< wire size of an automatic reply (0 for others)
  };
  /// A run of the stream that lives in a shared frame rather than in `bytes`.
  struct SharedPiece {
    uint64_t begin = 0;  ///< stream offset of the piece's first byte...
    size_t offset = 0;   ///< ...which is this byte of the frame (the rest went out directly)
    std::shared_ptr<const std::vector<uint8_t>> frame;
    uint64_t end() const { return begin + (frame->size() - offset); }
  };
  /// Everything a queue with frames in it needs; an idle connection's queue is one null pointer
  /// (what a backend writes straight to the socket never comes here).
  struct State {
    ByteBuffer bytes;  ///< the stream, less the shared pieces
    RingQueue<FrameRecord> frames;
    RingQueue<SharedPiece> shared;
    uint64_t appended = 0;  ///< total bytes ever appended
    uint64_t written = 0;   ///< total bytes ever consumed
    size_t buffered_payload = 0;
    uint32_t automatic_bytes = 0;  ///< bounded by the ping-flood limit
  };
  State& state();
  void record_frame(size_t wire, size_t payload, uint32_t automatic_wire);

  std::unique_ptr<State> state_;
};

}  // namespace wsp
