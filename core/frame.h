// RFC 6455 §5.2 frame headers: parsing and writing, independent of role and connection state.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wsp {

enum Opcode : uint8_t {
  OPCODE_CONTINUATION = 0x0,
  OPCODE_TEXT = 0x1,
  OPCODE_BINARY = 0x2,
  OPCODE_CLOSE = 0x8,
  OPCODE_PING = 0x9,
  OPCODE_PONG = 0xA,
};

inline bool is_control_opcode(uint8_t opcode) { return (opcode & 0x8) != 0; }

constexpr size_t kMaxFrameHeaderSize = 14;  ///< 2 + 8 (64-bit length) + 4 (mask key)
constexpr size_t kMaxControlPayload = 125;  ///< §5.5

struct FrameHeader {
  // 16 bytes: every connection's engine keeps the frame it is reading.
  bool fin : 1 = false;
  bool masked : 1 = false;
  uint8_t rsv : 3 = 0;  ///< RSV1..3 as the three bits 0b100, 0b010, 0b001
  uint8_t opcode = 0;
  uint8_t header_size = 0;  ///< bytes the header occupies on the wire (2 to 14)
  uint8_t mask_key[4] = {0, 0, 0, 0};
  uint64_t payload_length = 0;
};

enum class FrameParse {
  kNeedMore,  ///< the header is not complete yet
  kOk,
  kError,  ///< a violation of §5.2 / §5.5; see FrameError
};

enum class FrameError {
  kNone,
  kReservedBits,       ///< RSV1-3 set without a negotiated extension
  kReservedOpcode,     ///< 0x3-0x7, 0xB-0xF
  kControlTooLong,     ///< control frame payload > 125
  kControlFragmented,  ///< control frame without FIN
  kNonMinimalLength,   ///< 16/64-bit length used for a value that fits in fewer bytes
  kLengthTopBit,       ///< 64-bit length with the most significant bit set
};

/// A short English description of a frame error, suitable for a close reason.
const char* frame_error_text(FrameError error);

constexpr uint8_t kRsv1 = 0b100;  ///< FrameHeader::rsv bit of RSV1 (permessage-deflate)

/// Parses the header at the start of data[0..size). Checks everything §5.2 says about a single
/// header; masking rules depend on the role and are checked by the caller. `allowed_rsv` are the
/// RSV bits a negotiated extension gave a meaning (kRsv1 with permessage-deflate).
FrameParse parse_frame_header(const uint8_t* data, size_t size, FrameHeader* header,
                              FrameError* error, uint8_t allowed_rsv = 0);

/// Bytes needed by a header for this payload length.
size_t frame_header_size(uint64_t payload_length, bool masked);

/// Writes a header with the minimal length encoding. `mask_key` null means unmasked; `rsv` as in
/// FrameHeader. Returns the number of bytes written (at most kMaxFrameHeaderSize).
size_t write_frame_header(uint8_t* out, bool fin, uint8_t opcode, uint64_t payload_length,
                          const uint8_t* mask_key, uint8_t rsv = 0);

}  // namespace wsp
