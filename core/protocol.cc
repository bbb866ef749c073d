#include "wspeer/core/protocol.h"

#include <algorithm>
#include <cstring>

#include "wspeer/core/close_code.h"
#include "wspeer/core/mask.h"

namespace wsp {
namespace {

// Unsent automatic pongs beyond this stop input until the peer reads: a peer that floods pings
// and never reads cannot make us buffer without bound.
constexpr size_t kMaxAutomaticBacklog = 64 * 1024;
// What a compressed message's DEFLATE data lacks at its end (RFC 7692 §7.2.2).
constexpr uint8_t kDeflateTail[4] = {0x00, 0x00, 0xFF, 0xFF};
// Masked compressed payload is unmasked a block at a time before decompression.
constexpr size_t kUnmaskBlock = 16 * 1024;
// Output room per decompression step: grows with the input, never past the message limit.
constexpr size_t kMinInflateRoom = 1024;
constexpr size_t kMaxInflateRoom = 64 * 1024;

}  // namespace

Protocol::Protocol(Role role, InboundQueue* inbound) : role_(role), inbound_(inbound) {}

void Protocol::set_compressor(std::unique_ptr<MessageCompressor> compressor) {
  compressor_ = std::move(compressor);
}

void Protocol::release_if_idle() {
  if (compressor_ && !in_message_) compressor_->release_if_idle();
  if (!(phase_ == Phase::kPayload && is_control_opcode(frame_.opcode))) control_payload_.reset();
}

void Protocol::receive(const uint8_t* data, size_t size) {
  if (input_finished_ || size == 0) return;  // anything after a close or a failure is ignored
  if (!parked_.empty()) {
    parked_.append(data, size);
    resume();
    return;
  }
  const size_t used = process(data, size);
  if (used < size && !input_finished_) parked_.append(data + used, size - used);
}

void Protocol::resume() {
  if (parked_.empty()) return;
  if (!input_finished_) parked_.consume(process(parked_.data(), parked_.size()));
  if (parked_.empty() || input_finished_) {
    parked_.clear();
    parked_.release_if_empty();
  }
}

size_t Protocol::drain_parked(size_t allowance) {
  if (!input_finished_ && !parked_.empty()) {
    const size_t stop_at = inbound_->queued_bytes() + std::min(allowance, kQueueLimits / 2);
    parked_.consume(process(parked_.data(), parked_.size(), stop_at));
  }
  const size_t left = input_finished_ ? 0 : parked_.size();
  parked_.clear();
  parked_.release_if_empty();
  return left;
}

size_t Protocol::bytes_to_frame_end() const {
  if (phase_ == Phase::kPayload && payload_left_ > 0) {
    return static_cast<size_t>(std::min<uint64_t>(payload_left_, SIZE_MAX));
  }
  return 2;  // the smallest header; the rest of a longer one follows in the next read
}

bool Protocol::wants_input() const {
  return !input_finished_ && parked_.empty() && !inbound_->full() &&
         outbound_.automatic_bytes() < kMaxAutomaticBacklog;
}

size_t Protocol::process(const uint8_t* data, size_t size, size_t stop_at) {
  size_t pos = 0;
  while (pos < size && !input_finished_) {
    if (phase_ == Phase::kPayload) {
      const size_t take = static_cast<size_t>(std::min<uint64_t>(payload_left_, size - pos));
      payload_chunk(data + pos, take);
      pos += take;
      payload_left_ -= take;
      if (payload_left_ == 0 && !input_finished_) end_frame();
      continue;
    }

    // A new frame starts here: stop at this boundary while the application has a full queue (as
    // the connection ends: once the allowance is used).
    if (stop_at == kQueueLimits ? inbound_->full() : inbound_->queued_bytes() >= stop_at) break;
    FrameHeader header;
    FrameError error;
    FrameParse result;
    size_t used;
    if (header_size_ == 0) {
      result = parse_frame_header(data + pos, size - pos, &header, &error, allowed_rsv());
      if (result == FrameParse::kNeedMore) {
        // Fewer than kMaxFrameHeaderSize bytes are left, or the parse would have completed.
        header_size_ = static_cast<uint8_t>(size - pos);  // below kMaxFrameHeaderSize
        std::memcpy(header_bytes_, data + pos, header_size_);
        return size;
      }
      used = header.header_size;
    } else {
      // The header was split across reads: complete it from the saved bytes.
      const size_t take = std::min(kMaxFrameHeaderSize - header_size_, size - pos);
      std::memcpy(header_bytes_ + header_size_, data + pos, take);
      result =
          parse_frame_header(header_bytes_, header_size_ + take, &header, &error, allowed_rsv());
      if (result == FrameParse::kNeedMore) {
        header_size_ = static_cast<uint8_t>(header_size_ + take);
        return size;
      }
      used = header.header_size - header_size_;  // bytes of this input the header needed
      if (result == FrameParse::kError) used = take;
    }
    header_size_ = 0;
    if (result == FrameParse::kError) {
      fail(kCloseProtocolError, frame_error_text(error));
      return pos + used;
    }
    pos += used;
    begin_frame(header);
  }
  return pos;
}

bool Protocol::begin_frame(const FrameHeader& header) {
  if (role_ == Role::kServer && !header.masked) {
    fail(kCloseProtocolError, "Unmasked frame from client");
    return false;
  }
  if (role_ == Role::kClient && header.masked) {
    fail(kCloseProtocolError, "Masked frame from server");
    return false;
  }
  frame_ = header;
  payload_left_ = header.payload_length;
  mask_phase_ = 0;
  if (header.rsv != 0 &&
      (is_control_opcode(header.opcode) || header.opcode == OPCODE_CONTINUATION)) {
    // RFC 7692 §6.1: only a message's first frame says whether it is compressed.
    fail(kCloseProtocolError, is_control_opcode(header.opcode)
                                  ? "RSV1 set on a control frame"
                                  : "RSV1 set on a continuation frame");
    return false;
  }
  if (is_control_opcode(header.opcode)) {
    control_size_ = 0;
    if (header.payload_length > 0 && !control_payload_) {
      control_payload_.reset(new uint8_t[kMaxControlPayload]);
    }
  } else {
    if (header.opcode == OPCODE_CONTINUATION) {
      if (!in_message_) {
        fail(kCloseProtocolError, "Continuation frame without a message to continue");
        return false;
      }
    } else {
      if (in_message_) {
        fail(kCloseProtocolError, "New data frame inside a fragmented message");
        return false;
      }
      in_message_ = true;
      message_is_text_ = header.opcode == OPCODE_TEXT;
      message_compressed_ = (header.rsv & kRsv1) != 0;
      utf8_.reset();
    }
    // Checked before any memory is reserved for the payload. A compressed message is checked as
    // it is decompressed: its size is known only then.
    const size_t limit = inbound_->max_message_size();
    const size_t so_far = inbound_->partial_size();
    if (!message_compressed_ && header.payload_length > limit - std::min(limit, so_far)) {
      fail(kCloseMessageTooBig, "Message too big",
           "a message of at least " + std::to_string(so_far + header.payload_length) +
               " bytes exceeds inbound_buffer_size (" + std::to_string(limit) + ")");
      return false;
    }
    if (header.payload_length && !message_compressed_)
      inbound_->reserve_partial(static_cast<size_t>(header.payload_length));
  }
  if (payload_left_ == 0) {
    end_frame();
  } else {
    phase_ = Phase::kPayload;
  }
  return true;
}

bool Protocol::unmask_and_check(uint8_t* out, const uint8_t* in, size_t size) {
  const bool check_text = !is_control_opcode(frame_.opcode) && message_is_text_;
  // Text is unmasked and validated a cache-sized block at a time, so validation reads bytes that
  // are still in L1 instead of making a second pass over the whole payload.
  constexpr size_t kBlock = 16 * 1024;
  for (size_t done = 0; done < size;) {
    if (check_text && frame_.masked && utf8_.at_boundary()) {
      // ASCII runs: unmask and validate in one pass.
      const size_t ascii =
          mask_copy_ascii(out + done, in + done, size - done, frame_.mask_key, mask_phase_ & 3);
      mask_phase_ = static_cast<uint8_t>(mask_phase_ + ascii);  // only the phase mod 4 matters
      done += ascii;
      if (done == size) break;
    }
    const size_t block = check_text ? std::min(kBlock, size - done) : size - done;
    if (frame_.masked) {
      mask_copy(out + done, in + done, block, frame_.mask_key, mask_phase_ & 3);
    } else if (out != in) {
      std::memcpy(out + done, in + done, block);
    }
    mask_phase_ = static_cast<uint8_t>(mask_phase_ + block);  // only the phase mod 4 matters
    if (check_text && !utf8_.feed(out + done, block)) return false;
    done += block;
  }
  return true;
}

void Protocol::payload_chunk(const uint8_t* data, size_t size) {
  if (message_compressed_ && !is_control_opcode(frame_.opcode)) {
    compressed_chunk(data, size);
    return;
  }
  uint8_t* out;
  if (is_control_opcode(frame_.opcode)) {
    out = control_payload_.get() + control_size_;
    control_size_ += static_cast<uint8_t>(size);
  } else {
    out = inbound_->extend_partial(size);
  }
  if (!unmask_and_check(out, data, size))
    fail(kCloseInvalidPayload, "Invalid UTF-8 in text message");
}

void Protocol::compressed_chunk(const uint8_t* data, size_t size) {
  if (!frame_.masked) {
    inflate_into_message(data, size);
    return;
  }
  thread_local uint8_t unmasked[kUnmaskBlock];
  for (size_t done = 0; done < size && !input_finished_;) {
    const size_t block = std::min(kUnmaskBlock, size - done);
    mask_copy(unmasked, data + done, block, frame_.mask_key, mask_phase_ & 3);
    mask_phase_ = static_cast<uint8_t>(mask_phase_ + block);  // only the phase mod 4 matters
    inflate_into_message(unmasked, block);
    done += block;
  }
}

void Protocol::inflate_into_message(const uint8_t* data, size_t size) {
  const size_t limit = inbound_->max_message_size();
  for (;;) {
    const size_t so_far = inbound_->partial_size();
    // One byte past the limit tells a message that is too big from one that fits exactly.
    const size_t room = std::min(limit - std::min(limit, so_far) + 1,
                                 std::clamp(size * 4, kMinInflateRoom, kMaxInflateRoom));
    uint8_t* out = inbound_->partial_room(room);
    const MessageCompressor::InflateStep step = compressor_->inflate(data, size, out, room);
    inbound_->commit_partial_room(step.produced);
    // Checked in the order of the decompressed bytes, so that how the input was split cannot
    // change the verdict: text within the limit, then the limit, then what follows the output.
    const size_t within_limit = std::min(step.produced, limit - std::min(limit, so_far));
    if (message_is_text_ && !utf8_.feed(out, within_limit)) {
      fail(kCloseInvalidPayload, "Invalid UTF-8 in text message");
      return;
    }
    if (so_far + step.produced > limit) {
      fail(kCloseMessageTooBig, "Message too big",
           "a compressed message decompresses to more than inbound_buffer_size (" +
               std::to_string(limit) + " bytes)");
      return;
    }
    if (step.corrupt) {
      fail(kCloseInvalidPayload, "Invalid compressed data",
           "the compressed message cannot be decompressed: " + compressor_->error());
      return;
    }
    data += step.consumed;
    size -= step.consumed;
    if (step.produced == room) continue;  // more output may be waiting
    if (size == 0) return;
    // A step that only drained output held back by the last one still has input to take; one
    // that took and gave nothing never will.
    if (step.consumed == 0 && step.produced == 0) {
      fail(kCloseInvalidPayload, "Invalid compressed data",
           "the compressed message cannot be decompressed: the decompressor stopped");
      return;
    }
  }
}

void Protocol::end_frame() {
  phase_ = Phase::kHeader;
  switch (frame_.opcode) {
    case OPCODE_PING:
      if (pings_untaken_ < UINT16_MAX) ++pings_untaken_;
      if (!close_queued_) {
        outbound_.append_frame(OPCODE_PONG, true, control_payload_.get(), control_size_,
                               role_ == Role::kClient, /*automatic=*/true);
      }
      break;
    case OPCODE_PONG:
      if (pongs_untaken_ < UINT16_MAX) ++pongs_untaken_;
      break;
    case OPCODE_CLOSE:
      handle_close_frame();
      break;
    default:  // text, binary, continuation
      if (!frame_.fin) break;
      if (message_compressed_) {
        inflate_into_message(kDeflateTail, sizeof(kDeflateTail));
        if (input_finished_) return;
        compressor_->end_inbound_message();
      }
      if (message_is_text_ && !utf8_.at_boundary()) {
        fail(kCloseInvalidPayload, "Truncated UTF-8 sequence at the end of a text message");
        return;
      }
      inbound_->commit_partial(message_is_text_);
      in_message_ = false;
      break;
  }
}

void Protocol::handle_close_frame() {
  int code = kCloseNoStatus;
  std::string reason;
  if (control_size_ == 1) {
    fail(kCloseProtocolError, "Close frame with a 1-byte payload");
    return;
  }
  if (control_size_ >= 2) {
    code = (control_payload_[0] << 8) | control_payload_[1];
    if (!is_valid_close_code(code)) {
      fail(kCloseProtocolError, "Invalid close code " + std::to_string(code));
      return;
    }
    if (!is_valid_utf8(control_payload_.get() + 2, control_size_ - 2)) {
      fail(kCloseInvalidPayload, "Invalid UTF-8 in close reason");
      return;
    }
    reason.assign(reinterpret_cast<const char*>(control_payload_.get() + 2), control_size_ - 2);
  }
  close_received_ = true;
  received_code_ = code;
  mutable_texts().received_reason = std::move(reason);
  input_finished_ = true;
  inbound_->drop_partial();  // a fragmented message cut off by a close can never complete
  in_message_ = false;
  // The reply echoes the status code (§5.5.1); an empty close frame is answered with an empty
  // one.
  if (!close_queued_) {
    reply_pending_ = true;
    reply_code_ = code == kCloseNoStatus ? 0 : code;
  }
}

void Protocol::fail(int code, std::string reason, std::string detail) {
  if (input_finished_) return;
  failed_ = true;
  failure_code_ = code;
  mutable_texts().failure_reason = std::move(reason);
  mutable_texts().failure_detail = std::move(detail);
  input_finished_ = true;
  inbound_->drop_partial();
  in_message_ = false;
  if (!close_queued_) {
    reply_pending_ = true;
    reply_code_ = code;
  }
}

void Protocol::send_close_reply() {
  if (!reply_pending_) return;
  reply_pending_ = false;
  queue_close(reply_code_, failed_ ? std::string_view(texts().failure_reason) : std::string_view());
}

Error Protocol::send_message(const uint8_t* data, size_t size, bool is_text) {
  if (close_queued_) return FAILED;
  uint8_t rsv = 0;
  if (compressor_ && compressor_->compresses(size)) {
    const std::span<const uint8_t> compressed = compressor_->deflate_message(data, size);
    if (compressed.empty()) return ERR_OUT_OF_MEMORY;  // zlib could not allocate its state
    data = compressed.data();
    size = compressed.size();
    rsv = kRsv1;
  }
  outbound_.append_frame(is_text ? OPCODE_TEXT : OPCODE_BINARY, true, data, size,
                         role_ == Role::kClient, /*automatic=*/false, rsv);
  return OK;
}

Error Protocol::send_ping(const uint8_t* data, size_t size) {
  if (close_queued_) return FAILED;
  if (size > kMaxControlPayload) return ERR_INVALID_PARAMETER;
  outbound_.append_frame(OPCODE_PING, true, data, size, role_ == Role::kClient);
  return OK;
}

Error Protocol::send_close(int code, std::string_view reason) {
  if (close_queued_) return FAILED;
  if (reason.size() > kMaxCloseReasonSize || code < 0 || code > 0xFFFF) {
    return ERR_INVALID_PARAMETER;
  }
  if (reply_pending_ && failed_) {
    send_close_reply();  // a violation decides the close code
    return OK;
  }
  reply_pending_ = false;
  queue_close(code, reason);
  return OK;
}

void Protocol::queue_close(int code, std::string_view reason) {
  uint8_t payload[kMaxControlPayload];
  size_t size = 0;
  if (code != 0) {
    payload[0] = static_cast<uint8_t>(code >> 8);
    payload[1] = static_cast<uint8_t>(code);
    if (!reason.empty()) std::memcpy(payload + 2, reason.data(), reason.size());
    size = 2 + reason.size();
  }
  outbound_.append_frame(OPCODE_CLOSE, true, payload, size, role_ == Role::kClient);
  close_queued_ = true;
}

const Protocol::CloseTexts& Protocol::texts() const {
  static const CloseTexts kNone;
  return texts_ ? *texts_ : kNone;
}

Protocol::CloseTexts& Protocol::mutable_texts() {
  if (!texts_) texts_ = std::make_unique<CloseTexts>();
  return *texts_;
}

ProtocolEvents Protocol::take_events() {
  ProtocolEvents events;
  events.pings = pings_untaken_;
  events.pongs = pongs_untaken_;
  events.close_received = close_received_ && !close_taken_;
  events.failed = failed_ && !failure_taken_;
  pings_untaken_ = pongs_untaken_ = 0;
  close_taken_ = close_received_;
  failure_taken_ = failed_;
  return events;
}

}  // namespace wsp
