#include "wspeer/core/utf8.h"

#include <array>
#include <cstring>

#include "wspeer/core/utf8_vector.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace wsp {
namespace {

// Byte classes: which bytes may follow depends only on these twelve groups.
enum ByteClass : uint8_t {
  kAscii,    // 00..7F
  kCont80,   // 80..8F
  kCont90,   // 90..9F
  kContA0,   // A0..BF
  kInvalid,  // C0, C1, F5..FF: never valid anywhere
  kLead2,    // C2..DF
  kLeadE0,   // E0: next byte must be A0..BF (no overlong forms)
  kLead3,    // E1..EC, EE, EF
  kLeadED,   // ED: next byte must be 80..9F (no surrogates)
  kLeadF0,   // F0: next byte must be 90..BF (no overlong forms)
  kLead4,    // F1..F3
  kLeadF4,   // F4: next byte must be 80..8F (nothing above U+10FFFF)
  kClassCount
};

constexpr std::array<uint8_t, 256> make_classes() {
  std::array<uint8_t, 256> classes{};
  for (int b = 0; b < 256; ++b) {
    uint8_t c = kInvalid;
    if (b < 0x80)
      c = kAscii;
    else if (b < 0x90)
      c = kCont80;
    else if (b < 0xA0)
      c = kCont90;
    else if (b < 0xC0)
      c = kContA0;
    else if (b < 0xC2)
      c = kInvalid;
    else if (b < 0xE0)
      c = kLead2;
    else if (b == 0xE0)
      c = kLeadE0;
    else if (b == 0xED)
      c = kLeadED;
    else if (b < 0xF0)
      c = kLead3;
    else if (b == 0xF0)
      c = kLeadF0;
    else if (b < 0xF4)
      c = kLead4;
    else if (b == 0xF4)
      c = kLeadF4;
    classes[b] = c;
  }
  return classes;
}

// States: 0 accept; 1/2/3 need that many continuation bytes (80..BF); 4 after E0; 5 after ED;
// 6 after F0; 7 after F4; 8 reject.
constexpr uint8_t R = 8;
constexpr uint8_t kTransitions[9][kClassCount] = {
    // ascii 80  90  A0  inv  L2  E0  L3  ED  F0  L4  F4
    {0, R, R, R, R, 1, 4, 2, 5, 6, 3, 7},  // 0 accept
    {R, 0, 0, 0, R, R, R, R, R, R, R, R},  // 1
    {R, 1, 1, 1, R, R, R, R, R, R, R, R},  // 2
    {R, 2, 2, 2, R, R, R, R, R, R, R, R},  // 3
    {R, R, R, 1, R, R, R, R, R, R, R, R},  // 4 after E0
    {R, 1, 1, R, R, R, R, R, R, R, R, R},  // 5 after ED
    {R, R, 2, 2, R, R, R, R, R, R, R, R},  // 6 after F0
    {R, 2, R, R, R, R, R, R, R, R, R, R},  // 7 after F4
    {R, R, R, R, R, R, R, R, R, R, R, R},  // 8 reject
};

constexpr std::array<uint8_t, 256> kClasses = make_classes();

// Class and transition tables merged: one lookup per byte (2.3 KB, stays in L1).
constexpr std::array<uint8_t, 9 * 256> make_steps() {
  std::array<uint8_t, 9 * 256> steps{};
  for (int state = 0; state < 9; ++state) {
    for (int byte = 0; byte < 256; ++byte)
      steps[state * 256 + byte] = kTransitions[state][kClasses[byte]];
  }
  return steps;
}

constexpr std::array<uint8_t, 9 * 256> kSteps = make_steps();

// Length of the leading all-ASCII run of data[0..size), checked a vector at a time.
size_t ascii_prefix(const uint8_t* data, size_t size) {
  size_t i = 0;
#if defined(__SSE2__)
  for (; i + 32 <= size; i += 32) {
    __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
    __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i + 16));
    if (_mm_movemask_epi8(_mm_or_si128(a, b)) != 0) break;
  }
#endif
  for (; i + 8 <= size; i += 8) {
    uint64_t word;
    std::memcpy(&word, data + i, 8);
    if (word & 0x8080808080808080ULL) break;
  }
  while (i < size && data[i] < 0x80) ++i;
  return i;
}

}  // namespace

// Non-ASCII text at least this long goes to the vector validator; shorter stretches are not
// worth setting it up for.
constexpr size_t kVectorMinimum = 32;

// Validates whole sequences starting at data[i] while at least four bytes remain; returns the
// new position, or `size` + 1 on an invalid sequence. Long non-ASCII stretches go to the vector
// validator when the CPU has one; short ones are checked here, branchy on purpose: real text
// repeats the same kinds of sequences, which branch prediction handles faster than a table walk.
size_t validate_complete_sequences(const uint8_t* data, size_t i, size_t size) {
  const bool vector = size - i >= kVectorMinimum && utf8_vector::available();
  while (i + 4 <= size) {
    const uint8_t b0 = data[i];
    if (b0 < 0x80) {
      i += 1 + ascii_prefix(data + i + 1, size - i - 1);
      continue;
    }
    if (vector && size - i >= kVectorMinimum) {
      const size_t checked = utf8_vector::valid_prefix(data + i, size - i);
      if (checked == utf8_vector::kInvalid) return size + 1;
      if (checked > 0) {
        i += checked;
        continue;
      }
    }
    const uint8_t b1 = data[i + 1];
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      if ((b1 & 0xC0) != 0x80) return size + 1;
      i += 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      const uint8_t low = b0 == 0xE0 ? 0xA0 : 0x80;   // no overlong forms
      const uint8_t high = b0 == 0xED ? 0x9F : 0xBF;  // no surrogates
      if (b1 < low || b1 > high || (data[i + 2] & 0xC0) != 0x80) return size + 1;
      i += 3;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      const uint8_t low = b0 == 0xF0 ? 0x90 : 0x80;   // no overlong forms
      const uint8_t high = b0 == 0xF4 ? 0x8F : 0xBF;  // nothing above U+10FFFF
      if (b1 < low || b1 > high || (data[i + 2] & 0xC0) != 0x80 || (data[i + 3] & 0xC0) != 0x80) {
        return size + 1;
      }
      i += 4;
    } else {
      return size + 1;
    }
  }
  return i;
}

bool Utf8Validator::feed(const uint8_t* data, size_t size) {
  unsigned state = state_;
  if (state == kReject) return false;
  size_t i = 0;
  // Finish a sequence left open by the previous piece, a byte at a time.
  while (i < size && state != kAccept && state != kReject) state = kSteps[state * 256 + data[i++]];
  if (state == kAccept) {
    i = validate_complete_sequences(data, i, size);
    if (i > size) state = kReject;
  }
  // The last few bytes may end inside a sequence: the state machine carries it to the next piece.
  while (i < size && state != kReject) state = kSteps[state * 256 + data[i++]];
  state_ = static_cast<uint8_t>(state);
  return state != kReject;
}

bool is_valid_utf8(const uint8_t* data, size_t size) {
  Utf8Validator validator;
  return validator.feed(data, size) && validator.at_boundary();
}

}  // namespace wsp
