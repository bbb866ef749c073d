#include "wspeer/core/utf8_vector.h"

#include <array>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define WSP_UTF8_SSSE3 1
#include <tmmintrin.h>
#endif

namespace wsp::utf8_vector {
namespace {
#if WSP_UTF8_SSSE3  // the rule tables and the boundary helper serve the vector path only

// Every error a byte can show given the byte before it (its "pair") is a product of three
// conditions: on the high nibble of the previous byte, on its low nibble and on the high nibble
// of this byte. One table per nibble maps a value to the errors it allows; AND-ing the three
// lookups leaves exactly the errors whose three conditions all hold. The tables are computed
// from the definitions below, so each bit reads as the rule it enforces.
struct PairError {
  uint16_t previous_high;  // bit n set: previous byte's high nibble n qualifies
  uint16_t previous_low;
  uint16_t current_high;
};

constexpr uint16_t nibbles(int first, int last) {
  uint16_t set = 0;
  for (int n = first; n <= last; ++n) set = static_cast<uint16_t>(set | (1u << n));
  return set;
}
constexpr uint16_t kAny = nibbles(0, 15);
constexpr uint16_t kAsciiHigh = nibbles(0, 7);
constexpr uint16_t kContinuationHigh = nibbles(8, 11);
constexpr uint16_t kLeadHigh = nibbles(12, 15);

// Bit 7 is the one pair that can be right: a continuation after a continuation, valid only as
// the third or fourth byte of a sequence (checked separately, see check_block()).
constexpr PairError kPairErrors[8] = {
    // bit 0: a lead byte not followed by a continuation
    {kLeadHigh, kAny, static_cast<uint16_t>(kAsciiHigh | kLeadHigh)},
    // bit 1: a continuation after ASCII
    {kAsciiHigh, kAny, kContinuationHigh},
    // bit 2: E0 80..9F, an overlong three-byte form
    {nibbles(14, 14), nibbles(0, 0), nibbles(8, 9)},
    // bit 3: F4 90..BF and F5..FF 90..BF, above U+10FFFF
    {nibbles(15, 15), nibbles(4, 15), nibbles(9, 11)},
    // bit 4: ED A0..BF, a UTF-16 surrogate
    {nibbles(14, 14), nibbles(13, 13), nibbles(10, 11)},
    // bit 5: C0 and C1, overlong two-byte forms, whatever follows
    {nibbles(12, 12), nibbles(0, 1), kAny},
    // bit 6: F0 80..8F (overlong four-byte form) and F5..FF 80..8F (above U+10FFFF)
    {nibbles(15, 15), static_cast<uint16_t>(nibbles(0, 0) | nibbles(5, 15)), nibbles(8, 8)},
    // bit 7: a continuation after a continuation
    {kContinuationHigh, kAny, kContinuationHigh},
};

enum class Nibble { kPreviousHigh, kPreviousLow, kCurrentHigh };

constexpr std::array<uint8_t, 16> make_table(Nibble which) {
  std::array<uint8_t, 16> table{};
  for (int value = 0; value < 16; ++value) {
    for (int bit = 0; bit < 8; ++bit) {
      const PairError& e = kPairErrors[bit];
      const uint16_t set = which == Nibble::kPreviousHigh  ? e.previous_high
                           : which == Nibble::kPreviousLow ? e.previous_low
                                                           : e.current_high;
      if (set & (1u << value)) table[value] = static_cast<uint8_t>(table[value] | (1u << bit));
    }
  }
  return table;
}

constexpr std::array<uint8_t, 16> kPreviousHighTable = make_table(Nibble::kPreviousHigh);
constexpr std::array<uint8_t, 16> kPreviousLowTable = make_table(Nibble::kPreviousLow);
constexpr std::array<uint8_t, 16> kCurrentHighTable = make_table(Nibble::kCurrentHigh);

// Where a sequence left open at the end of the checked bytes starts: the caller resumes there.
size_t back_to_boundary(const uint8_t* data, size_t end) {
  if (end >= 1 && data[end - 1] >= 0xC0) return end - 1;
  if (end >= 2 && data[end - 2] >= 0xE0) return end - 2;
  if (end >= 3 && data[end - 3] >= 0xF0) return end - 3;
  return end;
}

__attribute__((target("ssse3"))) inline __m128i load_table(const std::array<uint8_t, 16>& t) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(t.data()));
}

// Nonzero bytes where `current` (with the 16 bytes before it in `previous`) breaks a rule.
__attribute__((target("ssse3"))) inline __m128i check_block(__m128i previous, __m128i current,
                                                            __m128i previous_high_table,
                                                            __m128i previous_low_table,
                                                            __m128i current_high_table) {
  const __m128i low_nibble = _mm_set1_epi8(0x0F);
  const __m128i previous1 = _mm_alignr_epi8(current, previous, 15);
  const __m128i pair_errors = _mm_and_si128(
      _mm_and_si128(_mm_shuffle_epi8(previous_high_table,
                                     _mm_and_si128(_mm_srli_epi16(previous1, 4), low_nibble)),
                    _mm_shuffle_epi8(previous_low_table, _mm_and_si128(previous1, low_nibble))),
      _mm_shuffle_epi8(current_high_table, _mm_and_si128(_mm_srli_epi16(current, 4), low_nibble)));
  // Bytes that must be continuations because a three- or four-byte lead came two or three
  // bytes earlier. Exactly those may (and must) show bit 7, a continuation after a continuation.
  const __m128i previous2 = _mm_alignr_epi8(current, previous, 14);
  const __m128i previous3 = _mm_alignr_epi8(current, previous, 13);
  const __m128i after_lead = _mm_or_si128(_mm_subs_epu8(previous2, _mm_set1_epi8(char(0xDF))),
                                          _mm_subs_epu8(previous3, _mm_set1_epi8(char(0xEF))));
  const __m128i must_continue =
      _mm_andnot_si128(_mm_cmpeq_epi8(after_lead, _mm_setzero_si128()), _mm_set1_epi8(char(0x80)));
  return _mm_xor_si128(pair_errors, must_continue);
}

__attribute__((target("ssse3"))) size_t valid_prefix_ssse3(const uint8_t* data, size_t size) {
  const __m128i previous_high_table = load_table(kPreviousHighTable);
  const __m128i previous_low_table = load_table(kPreviousLowTable);
  const __m128i current_high_table = load_table(kCurrentHighTable);
  // Bytes before `data` count as ASCII: `data` starts at a code point boundary.
  __m128i previous = _mm_setzero_si128();
  size_t i = 0;
  for (; i + 16 <= size; i += 16) {
    const __m128i current = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
    if (i > 0 && _mm_movemask_epi8(current) == 0 && back_to_boundary(data, i) == i) {
      return i;  // an ASCII block after complete sequences: the caller's ASCII scan is faster
    }
    const __m128i errors =
        check_block(previous, current, previous_high_table, previous_low_table, current_high_table);
    if (_mm_movemask_epi8(_mm_cmpeq_epi8(errors, _mm_setzero_si128())) != 0xFFFF) return kInvalid;
    previous = current;
  }
  return back_to_boundary(data, i);
}

#endif

}  // namespace

bool available() {
#if WSP_UTF8_SSSE3
  // cpu_init makes the answer right even when the first call comes from a static constructor.
  static const bool has_ssse3 = (__builtin_cpu_init(), __builtin_cpu_supports("ssse3"));
  return has_ssse3;
#else
  return false;
#endif
}

size_t valid_prefix(const uint8_t* data, size_t size) {
#if WSP_UTF8_SSSE3
  if (available()) return valid_prefix_ssse3(data, size);
#endif
  (void)data;
  (void)size;
  return 0;
}

}  // namespace wsp::utf8_vector
