#include "wspeer/core/mask.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace wsp {
namespace {

TEST(Mask, Rfc6455ExampleUnmasksToHello) {
  const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
  std::vector<uint8_t> data = {0x7f, 0x9f, 0x4d, 0x51, 0x58};
  mask_in_place(data.data(), data.size(), key, 0);
  EXPECT_EQ(std::string(data.begin(), data.end()), "Hello");
}

TEST(Mask, MatchesBytewiseReferenceForAllLengthsPhasesAndAlignments) {
  std::mt19937 rng(7);
  const uint8_t key[4] = {0xA1, 0x5C, 0x03, 0xFE};
  std::vector<uint8_t> source(300);
  for (auto& b : source) b = static_cast<uint8_t>(rng());
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t length = 0; length + offset <= 200; ++length) {
      for (size_t phase = 0; phase < 4; ++phase) {
        std::vector<uint8_t> out(source.size(), 0);
        mask_copy(out.data() + offset, source.data() + offset, length, key, phase);
        for (size_t i = 0; i < length; ++i) {
          ASSERT_EQ(out[offset + i], source[offset + i] ^ key[(phase + i) % 4])
              << "offset " << offset << " length " << length << " phase " << phase;
        }
        ASSERT_EQ(out[offset + length], 0) << "wrote past the end";
      }
    }
  }
}

TEST(Mask, PiecewiseMaskingEqualsWholeMasking) {
  std::vector<uint8_t> data(1000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7);
  const uint8_t key[4] = {9, 8, 7, 6};
  std::vector<uint8_t> whole = data;
  mask_in_place(whole.data(), whole.size(), key, 0);
  for (size_t cut = 0; cut <= data.size(); cut += 37) {
    std::vector<uint8_t> pieces = data;
    mask_in_place(pieces.data(), cut, key, 0);
    mask_in_place(pieces.data() + cut, pieces.size() - cut, key, cut % 4);
    ASSERT_EQ(pieces, whole) << cut;
  }
}

}  // namespace
}  // namespace wsp
