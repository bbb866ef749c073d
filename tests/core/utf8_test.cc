#include "wspeer/core/utf8.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "wspeer/core/utf8_vector.h"
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

// ---- long non-ASCII text: the vector validator's territory (32 bytes and more) ----

// Appends the UTF-8 form of `cp` (assumed valid: not a surrogate, at most U+10FFFF).
void append_code_point(Bytes& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<uint8_t>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<uint8_t>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<uint8_t>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<uint8_t>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<uint8_t>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<uint8_t>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<uint8_t>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<uint8_t>(0x80 | (cp & 0x3F)));
  }
}

// Valid text of every sequence length, with the code points at each range's edges common.
Bytes random_valid_text(std::mt19937& rng, size_t min_bytes) {
  const uint32_t edges[] = {0x00,   0x7F,   0x80,    0x7FF,   0x800,    0xD7FF,
                            0xE000, 0xFFFF, 0x10000, 0xFFFFF, 0x100000, 0x10FFFF};
  Bytes out;
  while (out.size() < min_bytes) {
    uint32_t cp = 0;
    switch (rng() % 5) {
      case 0:
        cp = edges[rng() % std::size(edges)];
        break;
      case 1:
        cp = rng() % 0x80;
        break;
      case 2:
        cp = 0x80 + rng() % (0x800 - 0x80);
        break;
      case 3:
        cp = 0x800 + rng() % (0x10000 - 0x800);
        break;
      default:
        cp = 0x10000 + rng() % (0x110000 - 0x10000);
        break;
    }
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
    append_code_point(out, cp);
  }
  return out;
}

// Whole-buffer and piece-by-piece verdicts both match the reference, and a failing piece holds
// the reference's first bad byte.
void expect_same_verdict_as_reference(const Bytes& s, std::mt19937& rng) {
  bool complete = false;
  const size_t first_bad = reference_first_bad(s, &complete);
  ASSERT_EQ(is_valid_utf8(s.data(), s.size()), first_bad == s.size() && complete);
  Utf8Validator whole;
  ASSERT_EQ(whole.feed(s.data(), s.size()), first_bad == s.size());
  Utf8Validator pieces;
  size_t position = 0;
  bool failed = false;
  while (position < s.size() && !failed) {
    const size_t take = std::min<size_t>(s.size() - position, 1 + rng() % 80);
    if (!pieces.feed(s.data() + position, take)) {
      failed = true;
      ASSERT_GE(first_bad, position);
      ASSERT_LT(first_bad, position + take);
    }
    position += take;
  }
  ASSERT_EQ(failed, first_bad != s.size());
  if (!failed) {
    ASSERT_EQ(pieces.at_boundary(), complete);
  }
}

TEST(Utf8, LongTextDifferentialAgainstReference) {
  std::mt19937 rng(77);
  const uint8_t pool[] = {0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2,
                          0xdf, 0xe0, 0xe1, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf4, 0xf5, 0xff};
  for (int iteration = 0; iteration < 20000; ++iteration) {
    Bytes s = random_valid_text(rng, 32 + rng() % 300);
    // Most texts get a few faults: a byte replaced, inserted or removed, or the end cut off.
    const int faults = static_cast<int>(rng() % 4);
    for (int f = 0; f < faults && !s.empty(); ++f) {
      const size_t at = rng() % s.size();
      const uint8_t byte = rng() % 2 ? pool[rng() % sizeof(pool)] : static_cast<uint8_t>(rng());
      switch (rng() % 4) {
        case 0:
          s[at] = byte;
          break;
        case 1:
          s.insert(s.begin() + static_cast<long>(at), byte);
          break;
        case 2:
          s.erase(s.begin() + static_cast<long>(at));
          break;
        default:
          s.resize(at);
          break;
      }
    }
    expect_same_verdict_as_reference(s, rng);
    if (HasFatalFailure()) return;
  }
}

// Each rule checked in every lane of a 16-byte block and across block edges: the known cases,
// placed at every offset inside long valid multi-byte text.
TEST(Utf8, KnownCasesAtEveryOffsetInsideLongText) {
  std::mt19937 rng(5);
  for (const Case& c : cases()) {
    for (size_t offset = 0; offset < 48; ++offset) {
      Bytes prefix;
      while (prefix.size() < offset) append_code_point(prefix, prefix.size() % 3 ? 0xE9 : 0x4E2D);
      for (bool at_end : {false, true}) {
        Bytes s = prefix;
        s.insert(s.end(), c.bytes.begin(), c.bytes.end());
        if (!at_end) append_code_point(s, 0x1F600);
        while (!at_end && s.size() < 96) append_code_point(s, 0x3B1);
        // Long enough for the vector validator: more "é" in front keeps the text's verdict.
        while (s.size() < 32) s.insert(s.begin(), {0xC3, 0xA9});
        bool complete = false;
        const size_t first_bad = reference_first_bad(s, &complete);
        ASSERT_EQ(first_bad == s.size() && complete, c.valid)
            << "the text keeps the case's verdict";
        EXPECT_EQ(is_valid_utf8(s.data(), s.size()), c.valid) << c.name << " at offset " << offset;
        expect_same_verdict_as_reference(s, rng);
        if (HasFatalFailure()) return;
      }
    }
  }
}

TEST(Utf8, VectorValidatorStopsAtSequenceBoundaries) {
  if (!utf8_vector::available()) GTEST_SKIP() << "no vector validator on this CPU";
  // 16 bytes: "é" x 7 then the first byte of another: the open sequence is left to the caller.
  Bytes s;
  for (int i = 0; i < 7; ++i) append_code_point(s, 0xE9);
  s.push_back(0xE2);
  s.push_back(0x82);  // block 2 starts inside the sequence E2 82 AC
  s.push_back(0xAC);
  s.push_back('x');
  while (s.size() < 32) append_code_point(s, 0x3B1);
  ASSERT_EQ(s.size(), 32u);
  EXPECT_EQ(utf8_vector::valid_prefix(s.data(), 16), 14u) << "backs up to the open E2";
  EXPECT_EQ(utf8_vector::valid_prefix(s.data(), 32), 32u);
  // An ASCII block after complete sequences is handed back to the faster ASCII scan.
  Bytes mixed;
  for (int i = 0; i < 8; ++i) append_code_point(mixed, 0xE9);
  mixed.insert(mixed.end(), 16, 'a');
  EXPECT_EQ(utf8_vector::valid_prefix(mixed.data(), mixed.size()), 16u);
  // ... but not after an open sequence: that ASCII byte is an error.
  mixed[15] = 0xC3;
  EXPECT_EQ(utf8_vector::valid_prefix(mixed.data(), mixed.size()), utf8_vector::kInvalid);
}

}  // namespace
}  // namespace wsp
