#include "core/utf8.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "tests/core/utf8_reference.h"

namespace wsp {
namespace {

using Bytes = std::vector<uint8_t>;
using test::reference_first_bad;

// Index of the byte at which the validator fails when fed one byte at a time, or size.
size_t validator_first_bad(const Bytes& s) {
  Utf8Validator v;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!v.feed(&s[i], 1)) return i;
  }
  return s.size();
}

struct Case {
  const char* name;
  Bytes bytes;
  bool valid;
};

std::vector<Case> cases() {
  return {
      {"kosme", {0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5}, true},
      {"nul", {0x00}, true},
      {"U+0080", {0xc2, 0x80}, true},
      {"U+07FF", {0xdf, 0xbf}, true},
      {"U+0800", {0xe0, 0xa0, 0x80}, true},
      {"U+D7FF", {0xed, 0x9f, 0xbf}, true},
      {"U+E000", {0xee, 0x80, 0x80}, true},
      {"U+FFFD", {0xef, 0xbf, 0xbd}, true},
      {"U+FFFE noncharacter", {0xef, 0xbf, 0xbe}, true},
      {"U+10000", {0xf0, 0x90, 0x80, 0x80}, true},
      {"U+10FFFF", {0xf4, 0x8f, 0xbf, 0xbf}, true},
      {"lone continuation 80", {0x80}, false},
      {"lone continuation bf", {0xbf}, false},
      {"overlong 2-byte NUL", {0xc0, 0x80}, false},
      {"overlong c1", {0xc1, 0xbf}, false},
      {"overlong 3-byte", {0xe0, 0x80, 0x80}, false},
      {"overlong 3-byte U+07FF", {0xe0, 0x9f, 0xbf}, false},
      {"overlong 4-byte", {0xf0, 0x80, 0x80, 0x80}, false},
      {"overlong 4-byte U+FFFF", {0xf0, 0x8f, 0xbf, 0xbf}, false},
      {"surrogate D800", {0xed, 0xa0, 0x80}, false},
      {"surrogate DFFF", {0xed, 0xbf, 0xbf}, false},
      {"surrogate pair", {0xed, 0xa0, 0x80, 0xed, 0xb0, 0x80}, false},
      {"above U+10FFFF", {0xf4, 0x90, 0x80, 0x80}, false},
      {"f5 lead", {0xf5, 0x80, 0x80, 0x80}, false},
      {"fe", {0xfe}, false},
      {"ff", {0xff}, false},
      {"truncated 2-byte", {0x41, 0xc2}, false},
      {"truncated 3-byte", {0xe1, 0x80}, false},
      {"truncated 4-byte", {0xf1, 0x80, 0x80}, false},
      {"missing continuation", {0xc2, 0x41}, false},
      {"5-byte form", {0xf8, 0x88, 0x80, 0x80, 0x80}, false},
  };
}

TEST(Utf8, KnownValidAndInvalidSequences) {
  for (const Case& c : cases()) {
    EXPECT_EQ(is_valid_utf8(c.bytes.data(), c.bytes.size()), c.valid) << c.name;
  }
}

TEST(Utf8, EverySplitGivesTheSameVerdict) {
  for (const Case& c : cases()) {
    Bytes text = {'a', 'b'};
    text.insert(text.end(), c.bytes.begin(), c.bytes.end());
    text.push_back('z');
    for (size_t cut = 0; cut <= text.size(); ++cut) {
      Utf8Validator v;
      const bool ok = v.feed(text.data(), cut) && v.feed(text.data() + cut, text.size() - cut);
      EXPECT_EQ(ok && v.at_boundary(), is_valid_utf8(text.data(), text.size()))
          << c.name << " cut " << cut;
    }
  }
}

TEST(Utf8, FailsFastAtTheFirstImpossibleByte) {
  // Autobahn 6.4.1 style: valid text, then a surrogate lead that is rejected at its 2nd byte,
  // before the rest of the message arrives.
  Bytes text = {0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc,
                0xce, 0xb5, 0xf4, 0x90, 0x80, 0x80, 0x65, 0x64};
  EXPECT_EQ(validator_first_bad(text), 12u);
  for (const Case& c : cases()) {
    bool complete = false;
    EXPECT_EQ(validator_first_bad(c.bytes), reference_first_bad(c.bytes, &complete)) << c.name;
  }
}

TEST(Utf8, DifferentialAgainstReferenceOnRandomInput) {
  std::mt19937 rng(1234);
  // Bias towards interesting bytes so multi-byte sequences are common.
  const uint8_t pool[] = {0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf,
                          0xe0, 0xe1, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf4, 0xf5, 0xff};
  for (int iteration = 0; iteration < 20000; ++iteration) {
    Bytes s(rng() % 24);
    for (auto& b : s)
      b = (rng() % 3 == 0) ? static_cast<uint8_t>(rng()) : pool[rng() % sizeof(pool)];
    bool complete = false;
    const size_t expected_bad = reference_first_bad(s, &complete);
    ASSERT_EQ(validator_first_bad(s), expected_bad);
    ASSERT_EQ(is_valid_utf8(s.data(), s.size()), expected_bad == s.size() && complete);
    // Whole-buffer feeding agrees with byte-at-a-time feeding.
    Utf8Validator whole;
    ASSERT_EQ(whole.feed(s.data(), s.size()), expected_bad == s.size());
  }
}

TEST(Utf8, LongAsciiRunsWithAFaultAnywhere) {
  for (size_t length : {15u, 16u, 31u, 32u, 33u, 64u, 100u}) {
    for (size_t bad = 0; bad < length; ++bad) {
      Bytes s(length, 'x');
      s[bad] = 0x80;
      EXPECT_EQ(validator_first_bad(s), bad);
      Utf8Validator v;
      EXPECT_FALSE(v.feed(s.data(), s.size()));
      EXPECT_TRUE(v.failed());
      EXPECT_FALSE(v.feed(s.data(), 1)) << "stays failed";
    }
  }
}

}  // namespace
}  // namespace wsp
