#include "wspeer/core/frame.h"

#include <cstring>

namespace wsp {

const char* frame_error_text(FrameError error) {
  switch (error) {
    case FrameError::kNone:
      return "No error";
    case FrameError::kReservedBits:
      return "Reserved bits set";
    case FrameError::kReservedOpcode:
      return "Reserved opcode";
    case FrameError::kControlTooLong:
      return "Control frame too long";
    case FrameError::kControlFragmented:
      return "Fragmented control frame";
    case FrameError::kNonMinimalLength:
      return "Non-minimal payload length";
    case FrameError::kLengthTopBit:
      return "Payload length too large";
  }
  return "Protocol error";
}

FrameParse parse_frame_header(const uint8_t* data, size_t size, FrameHeader* header,
                              FrameError* error, uint8_t allowed_rsv) {
  *error = FrameError::kNone;
  if (size < 2) return FrameParse::kNeedMore;
  const uint8_t b0 = data[0];
  const uint8_t b1 = data[1];
  header->fin = (b0 & 0x80) != 0;
  header->rsv = (b0 >> 4) & 0x7;
  header->opcode = b0 & 0x0F;
  header->masked = (b1 & 0x80) != 0;
  const uint8_t len7 = b1 & 0x7F;

  // Checks that need only the first two bytes fail before waiting for the rest, so a bad frame
  // is rejected as soon as possible.
  if ((header->rsv & ~allowed_rsv) != 0) {
    *error = FrameError::kReservedBits;
    return FrameParse::kError;
  }
  switch (header->opcode) {
    case OPCODE_CONTINUATION:
    case OPCODE_TEXT:
    case OPCODE_BINARY:
    case OPCODE_CLOSE:
    case OPCODE_PING:
    case OPCODE_PONG:
      break;
    default:
      *error = FrameError::kReservedOpcode;
      return FrameParse::kError;
  }
  if (is_control_opcode(header->opcode)) {
    if (!header->fin) {
      *error = FrameError::kControlFragmented;
      return FrameParse::kError;
    }
    if (len7 > kMaxControlPayload) {
      *error = FrameError::kControlTooLong;
      return FrameParse::kError;
    }
  }

  size_t pos = 2;
  uint64_t length = len7;
  if (len7 == 126) {
    if (size < pos + 2) return FrameParse::kNeedMore;
    length = (uint64_t{data[2]} << 8) | data[3];
    pos += 2;
    if (length < 126) {
      *error = FrameError::kNonMinimalLength;
      return FrameParse::kError;
    }
  } else if (len7 == 127) {
    if (size < pos + 8) return FrameParse::kNeedMore;
    length = 0;
    for (int i = 0; i < 8; ++i) length = (length << 8) | data[2 + i];
    pos += 8;
    if (length >> 63) {
      *error = FrameError::kLengthTopBit;
      return FrameParse::kError;
    }
    if (length <= 0xFFFF) {
      *error = FrameError::kNonMinimalLength;
      return FrameParse::kError;
    }
  }
  if (header->masked) {
    if (size < pos + 4) return FrameParse::kNeedMore;
    std::memcpy(header->mask_key, data + pos, 4);
    pos += 4;
  } else {
    std::memset(header->mask_key, 0, 4);
  }
  header->payload_length = length;
  header->header_size = static_cast<uint8_t>(pos);
  return FrameParse::kOk;
}

size_t frame_header_size(uint64_t payload_length, bool masked) {
  size_t size = 2;
  if (payload_length > 0xFFFF)
    size += 8;
  else if (payload_length >= 126)
    size += 2;
  return size + (masked ? 4 : 0);
}

size_t write_frame_header(uint8_t* out, bool fin, uint8_t opcode, uint64_t payload_length,
                          const uint8_t* mask_key, uint8_t rsv) {
  out[0] = static_cast<uint8_t>((fin ? 0x80 : 0x00) | ((rsv & 0x7) << 4) | (opcode & 0x0F));
  const uint8_t mask_bit = mask_key ? 0x80 : 0x00;
  size_t pos;
  if (payload_length < 126) {
    out[1] = static_cast<uint8_t>(mask_bit | payload_length);
    pos = 2;
  } else if (payload_length <= 0xFFFF) {
    out[1] = mask_bit | 126;
    out[2] = static_cast<uint8_t>(payload_length >> 8);
    out[3] = static_cast<uint8_t>(payload_length);
    pos = 4;
  } else {
    out[1] = mask_bit | 127;
    for (int i = 0; i < 8; ++i) out[2 + i] = static_cast<uint8_t>(payload_length >> (56 - 8 * i));
    pos = 10;
  }
  if (mask_key) {
    std::memcpy(out + pos, mask_key, 4);
    pos += 4;
  }
  return pos;
}

}  // namespace wsp
