// The sans-I/O RFC 6455 engine: bytes in, messages and events out; messages in, bytes out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "wspeer/core/byte_buffer.h"
#include "wspeer/core/error.h"
#include "wspeer/core/frame.h"
#include "wspeer/core/inbound_queue.h"
#include "wspeer/core/message_compressor.h"
#include "wspeer/core/outbound_queue.h"
#include "wspeer/core/utf8.h"

namespace wsp {

enum class Role : uint8_t { kClient, kServer };

/// What happened since the last take_events() (complete messages are in the inbound queue).
struct ProtocolEvents {
  uint32_t pings = 0;  ///< pings received (each answered with a pong automatically), up to 65535
  uint32_t pongs = 0;  ///< pongs received, up to 65535
  bool close_received = false;
  bool failed = false;  ///< we detected a violation and queued a close with failure_code()
};

/// One connection after the opening handshake. It never touches a socket: the caller feeds bytes
/// read from the transport to receive() and writes outbound().front() to it. Complete messages
/// land in the InboundQueue given at construction. The engine implements RFC 6455 §5 and §7:
/// masking per role, length encodings, fragmentation with interleaved control frames, UTF-8
/// validation that fails fast across fragments, close payload rules and the whole-message limit.
class Protocol {
 public:
  Protocol(Role role, InboundQueue* inbound);
  /// No connection yet (or any more): a peer holds its engine in place this way, which costs
  /// less than std::optional's flag and its padding. Assign a constructed one to start.
  Protocol() = default;
  bool active() const { return inbound_ != nullptr; }

  Role role() const { return role_; }

  /// Compression agreed in the handshake (permessage-deflate): RSV1 marks compressed messages
  /// both ways. Set before any byte is received.
  void set_compressor(std::unique_ptr<MessageCompressor> compressor);
  const MessageCompressor* compressor() const { return compressor_.get(); }
  /// Gives back what an idle connection need not hold (compression state when agreed).
  void release_if_idle();
  bool holds_releasable_memory() const {
    return control_payload_ || (compressor_ && compressor_->holds_releasable_memory());
  }

  // ---- input ----
  // Takes all `size` bytes. When the inbound queue is full they are parked (bounded by what the
  // caller read) and processed by resume() once the application made room.
  void receive(const uint8_t* data, size_t size);
  /// Processes parked bytes after the application drained messages, as far as the queue limits
  /// allow.
  void resume();
  /// The connection ends: parked messages are queued whatever the queue's limits, so that
  /// nothing already received is lost, but only until `allowance` more bytes are queued (checked
  /// at frame boundaries): compressed input inflates up to 1000:1, and decoding all of it would
  /// grow without bound. Returns how many parked bytes were left undecoded (then dropped).
  size_t drain_parked(size_t allowance);
  /// False while the caller should not read more: the inbound queue is full, bytes are parked,
  /// a ping flood left too many unsent pongs, or input is over (close received, failure).
  bool wants_input() const;
  bool has_parked_input() const { return !parked_.empty(); }
  size_t parked_size() const { return parked_.size(); }
  /// Input bytes that belong to the frame being received (at least 1): reading no more than this
  /// finishes the frame without starting the next one.
  size_t bytes_to_frame_end() const;
  /// Input has ended: a close frame was received, or a violation was found.
  bool input_finished() const { return input_finished_; }

  // ---- output ----
  Error send_message(const uint8_t* data, size_t size, bool is_text);
  /// Whether messages may still be sent (no close frame queued yet).
  bool can_send() const { return !close_queued_; }
  Error send_ping(const uint8_t* data, size_t size);
  /// Queues a close frame after everything already queued. `code` 0 sends an empty close frame.
  /// If a reply to the peer's close (or a failure close) is pending, this sends it instead when
  /// we failed, or the given close otherwise.
  Error send_close(int code, std::string_view reason);
  /// After a close frame arrives, or a violation is found, the engine owes the peer a close frame.
  /// It is not queued at once, so that the application can still answer messages that arrived
  /// before it (RFC 6455 §5.5.1 allows the delay); the caller queues it with send_close_reply().
  bool close_reply_pending() const { return reply_pending_; }
  void send_close_reply();
  OutboundQueue& outbound() { return outbound_; }
  const OutboundQueue& outbound() const { return outbound_; }

  // ---- state ----
  bool close_queued() const { return close_queued_; }
  bool close_received() const { return close_received_; }
  bool failed() const { return failed_; }
  /// The close frame we queued has been fully handed to the transport.
  bool close_sent() const { return close_queued_ && outbound_.empty(); }
  int received_close_code() const { return received_code_; }  ///< 1005 when the frame had none
  const std::string& received_close_reason() const { return texts().received_reason; }
  int failure_code() const { return failure_code_; }
  const std::string& failure_reason() const { return texts().failure_reason; }
  /// A longer explanation of the failure for get_last_error() (the close reason must stay short).
  const std::string& failure_detail() const { return texts().failure_detail; }

  ProtocolEvents take_events();

 private:
  enum class Phase : uint8_t { kHeader, kPayload };

  /// Stops at a frame boundary when the queue is full, or (as a connection ends) once it holds
  /// `stop_at` bytes.
  static constexpr size_t kQueueLimits = SIZE_MAX;
  size_t process(const uint8_t* data, size_t size, size_t stop_at = kQueueLimits);
  bool begin_frame(const FrameHeader& header);
  void payload_chunk(const uint8_t* data, size_t size);
  /// Unmasks (through a per-thread block) and decompresses payload of a compressed message.
  void compressed_chunk(const uint8_t* data, size_t size);
  /// Decompresses into the message being assembled, within inbound_buffer_size.
  void inflate_into_message(const uint8_t* data, size_t size);
  /// Copies (or unmasks in place when out == in) payload bytes and validates text; false on
  /// invalid UTF-8.
  bool unmask_and_check(uint8_t* out, const uint8_t* in, size_t size);
  void end_frame();
  void handle_close_frame();
  void fail(int code, std::string reason, std::string detail = {});
  void queue_close(int code, std::string_view reason);
  uint8_t allowed_rsv() const { return compressor_ ? kRsv1 : 0; }

  // Small fields first and packed: every open connection carries one engine.
  Role role_;
  Phase phase_ = Phase::kHeader;
  uint8_t header_size_ = 0;   ///< bytes of a split frame header kept in header_bytes_
  uint8_t control_size_ = 0;  ///< bytes of control_payload_ received so far
  uint8_t mask_phase_ = 0;    ///< offset into the mask key, modulo 4 (it wraps harmlessly)
  Utf8Validator utf8_;
  bool in_message_ : 1 = false;  ///< a fragmented data message is open
  bool message_is_text_ : 1 = false;
  bool message_compressed_ : 1 = false;
  bool input_finished_ : 1 = false;
  bool close_queued_ : 1 = false;
  bool reply_pending_ : 1 = false;
  bool close_received_ : 1 = false;
  bool failed_ : 1 = false;
  uint8_t header_bytes_[kMaxFrameHeaderSize];
  // What take_events() reported already: the close and the failure happen once each.
  bool close_taken_ : 1 = false;
  bool failure_taken_ : 1 = false;
  uint16_t reply_code_ = 0;  ///< close codes are 16-bit on the wire
  uint16_t received_code_ = 0;
  uint16_t failure_code_ = 0;
  uint16_t pings_untaken_ = 0;  ///< since the last take_events(), saturating
  uint16_t pongs_untaken_ = 0;
  InboundQueue* inbound_ = nullptr;
  OutboundQueue outbound_;
  ByteBuffer parked_;
  FrameHeader frame_;
  uint64_t payload_left_ = 0;
  std::unique_ptr<MessageCompressor> compressor_;
  /// A control frame's payload, which may arrive in pieces; allocated for the first control
  /// frame with a payload and given back with the other idle buffers.
  std::unique_ptr<uint8_t[]> control_payload_;
  /// The texts of a close, allocated only when a connection ends (an open one carries none).
  struct CloseTexts {
    std::string received_reason;
    std::string failure_reason;
    std::string failure_detail;
  };
  const CloseTexts& texts() const;
  CloseTexts& mutable_texts();
  std::unique_ptr<CloseTexts> texts_;
};

}  // namespace wsp
