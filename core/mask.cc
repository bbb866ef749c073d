#include "wspeer/core/mask.h"

#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace wsp {
namespace {

// The key as a 64-bit word lined up so that byte i of a run starting at `phase` meets
// key[(phase + i) % 4]. Made by rotating a register, not by storing bytes and loading them as
// one word: that load waits for the byte stores (a store-forwarding stall that cost small
// messages more than their unmasking).
uint64_t rotated_key(const uint8_t key[4], size_t phase) {
  uint32_t word;
  std::memcpy(&word, key, 4);
  const int shift = static_cast<int>(8 * (phase & 3));
  if constexpr (std::endian::native == std::endian::little) {
    word = std::rotr(word, shift);
  } else {
    word = std::rotl(word, shift);
  }
  return (uint64_t{word} << 32) | word;
}

}  // namespace

void mask_copy(uint8_t* dst, const uint8_t* src, size_t size, const uint8_t key[4], size_t phase) {
  const uint64_t key64 = rotated_key(key, phase);

  size_t i = 0;
#if defined(__SSE2__)
  const __m128i key128 = _mm_set1_epi64x(static_cast<long long>(key64));
  for (; i + 32 <= size; i += 32) {
    __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 16));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), _mm_xor_si128(a, key128));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i + 16), _mm_xor_si128(b, key128));
  }
#endif
  for (; i + 8 <= size; i += 8) {
    uint64_t word;
    std::memcpy(&word, src + i, 8);
    word ^= key64;
    std::memcpy(dst + i, &word, 8);
  }
  // Fewer than 8 bytes remain; i is a multiple of 8, so the key phase is unchanged.
  uint8_t rotated[8];
  std::memcpy(rotated, &key64, 8);
  for (; i < size; ++i) dst[i] = src[i] ^ rotated[i & 7];
}

size_t mask_copy_ascii(uint8_t* dst, const uint8_t* src, size_t size, const uint8_t key[4],
                       size_t phase) {
  const uint64_t key64 = rotated_key(key, phase);
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i key128 = _mm_set1_epi64x(static_cast<long long>(key64));
  for (; i + 32 <= size; i += 32) {
    const __m128i a =
        _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i)), key128);
    const __m128i b =
        _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 16)), key128);
    if (_mm_movemask_epi8(_mm_or_si128(a, b)) != 0) break;  // not ASCII: leave it to the caller
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), a);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i + 16), b);
  }
#else
  for (; i + 32 <= size; i += 32) {
    uint64_t words[4];
    std::memcpy(words, src + i, 32);
    uint64_t any = 0;
    for (uint64_t& word : words) {
      word ^= key64;
      any |= word;
    }
    if (any & 0x8080808080808080ULL) break;
    std::memcpy(dst + i, words, 32);
  }
#endif
  return i;
}

}  // namespace wsp
