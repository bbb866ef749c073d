#include "wspeer/core/frame.h"

#include <gtest/gtest.h>

#include "tests/core/wire.h"

namespace wsp {
namespace {

using test::Bytes;

FrameParse parse(const Bytes& data, FrameHeader* header, FrameError* error) {
  return parse_frame_header(data.data(), data.size(), header, error);
}

TEST(FrameHeader, Rfc6455SectionFiveSevenUnmaskedText) {
  const Bytes wire = {0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
  FrameHeader h;
  FrameError e;
  ASSERT_EQ(parse(wire, &h, &e), FrameParse::kOk);
  EXPECT_TRUE(h.fin);
  EXPECT_EQ(h.opcode, OPCODE_TEXT);
  EXPECT_FALSE(h.masked);
  EXPECT_EQ(h.payload_length, 5u);
  EXPECT_EQ(h.header_size, 2u);
}

TEST(FrameHeader, Rfc6455SectionFiveSevenMaskedText) {
  const Bytes wire = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
  FrameHeader h;
  FrameError e;
  ASSERT_EQ(parse(wire, &h, &e), FrameParse::kOk);
  EXPECT_TRUE(h.masked);
  EXPECT_EQ(h.header_size, 6u);
  EXPECT_EQ(h.mask_key[0], 0x37);
  EXPECT_EQ(h.mask_key[3], 0x3d);
}

TEST(FrameHeader, Rfc6455SectionFiveSevenLengthForms) {
  Bytes w256 = {0x82, 0x7E, 0x01, 0x00};
  FrameHeader h;
  FrameError e;
  ASSERT_EQ(parse(w256, &h, &e), FrameParse::kOk);
  EXPECT_EQ(h.payload_length, 256u);
  EXPECT_EQ(h.header_size, 4u);
  Bytes w64k = {0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0};
  ASSERT_EQ(parse(w64k, &h, &e), FrameParse::kOk);
  EXPECT_EQ(h.payload_length, 65536u);
  EXPECT_EQ(h.header_size, 10u);
}

TEST(FrameHeader, NeedsMoreUntilComplete) {
  const Bytes wire = {0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4};
  FrameHeader h;
  FrameError e;
  for (size_t n = 0; n < wire.size(); ++n) {
    EXPECT_EQ(parse_frame_header(wire.data(), n, &h, &e), FrameParse::kNeedMore) << n;
  }
  EXPECT_EQ(parse(wire, &h, &e), FrameParse::kOk);
  EXPECT_EQ(h.header_size, 14u);
}

TEST(FrameHeader, RejectsReservedBitsAndOpcodes) {
  FrameHeader h;
  FrameError e;
  for (uint8_t rsv = 1; rsv < 8; ++rsv) {
    Bytes wire = {static_cast<uint8_t>(0x81 | (rsv << 4)), 0x00};
    EXPECT_EQ(parse(wire, &h, &e), FrameParse::kError);
    EXPECT_EQ(e, FrameError::kReservedBits);
  }
  for (uint8_t op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    Bytes wire = {static_cast<uint8_t>(0x80 | op), 0x00};
    EXPECT_EQ(parse(wire, &h, &e), FrameParse::kError) << int(op);
    EXPECT_EQ(e, FrameError::kReservedOpcode);
  }
}

TEST(FrameHeader, RejectsBadControlFrames) {
  FrameHeader h;
  FrameError e;
  Bytes fragmented_ping = {0x09, 0x00};
  EXPECT_EQ(parse(fragmented_ping, &h, &e), FrameParse::kError);
  EXPECT_EQ(e, FrameError::kControlFragmented);
  Bytes long_ping = {0x89, 0x7E, 0x00, 0x7E};  // 126 bytes
  EXPECT_EQ(parse(long_ping, &h, &e), FrameParse::kError);
  EXPECT_EQ(e, FrameError::kControlTooLong);
  // Detected from the first two bytes, before the extended length arrives.
  EXPECT_EQ(parse_frame_header(long_ping.data(), 2, &h, &e), FrameParse::kError);
}

TEST(FrameHeader, RejectsNonMinimalAndTopBitLengths) {
  FrameHeader h;
  FrameError e;
  Bytes small_in_16 = {0x82, 0x7E, 0x00, 0x7D};
  EXPECT_EQ(parse(small_in_16, &h, &e), FrameParse::kError);
  EXPECT_EQ(e, FrameError::kNonMinimalLength);
  Bytes small_in_64 = {0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  EXPECT_EQ(parse(small_in_64, &h, &e), FrameParse::kError);
  EXPECT_EQ(e, FrameError::kNonMinimalLength);
  Bytes top_bit = {0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(parse(top_bit, &h, &e), FrameParse::kError);
  EXPECT_EQ(e, FrameError::kLengthTopBit);
  Bytes max_ok = {0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
  EXPECT_EQ(parse(max_ok, &h, &e), FrameParse::kOk);
  EXPECT_EQ(h.payload_length, 0x7FFFFFFFFFFFFFFFull);
}

TEST(FrameHeader, WriteMatchesIndependentEncoderForEveryLengthClass) {
  for (uint64_t n : {0ull, 1ull, 125ull, 126ull, 127ull, 65535ull, 65536ull, 1ull << 32}) {
    for (bool masked : {false, true}) {
      uint8_t key[4] = {1, 2, 3, 4};
      uint8_t out[kMaxFrameHeaderSize];
      const size_t size = write_frame_header(out, true, OPCODE_BINARY, n, masked ? key : nullptr);
      EXPECT_EQ(size, frame_header_size(n, masked));
      FrameHeader h;
      FrameError e;
      ASSERT_EQ(parse_frame_header(out, size, &h, &e), FrameParse::kOk) << n;
      EXPECT_EQ(h.payload_length, n);
      EXPECT_EQ(h.masked, masked);
      EXPECT_EQ(h.header_size, size);
      if (n < (1u << 20)) {
        test::RawFrame raw;
        raw.opcode = OPCODE_BINARY;
        raw.masked = masked;
        std::copy(key, key + 4, raw.key);
        raw.payload.resize(n);
        const Bytes expected = test::encode(raw);
        EXPECT_EQ(Bytes(out, out + size), Bytes(expected.begin(), expected.begin() + size));
      }
    }
  }
}

}  // namespace
}  // namespace wsp
