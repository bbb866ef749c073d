// RFC 6455 §5.3 payload masking, a word or a vector at a time.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wsp {

/// XORs `size` bytes of `src` with the masking key and writes them to `dst` (which may equal
/// `src`). `phase` is the position in the key (0..3) of src[0], so a payload that arrives in
/// pieces is masked piece by piece: pass the number of payload bytes already processed.
void mask_copy(uint8_t* dst, const uint8_t* src, size_t size, const uint8_t key[4], size_t phase);

/// Unmasks like mask_copy() while the unmasked bytes are ASCII, a vector at a time, and returns
/// how many bytes it handled (a multiple of 32): the text fast path fuses unmasking with UTF-8
/// validation in a single pass. Bytes from the returned position on are left untouched.
size_t mask_copy_ascii(uint8_t* dst, const uint8_t* src, size_t size, const uint8_t key[4],
                       size_t phase);

inline void mask_in_place(uint8_t* data, size_t size, const uint8_t key[4], size_t phase) {
  mask_copy(data, data, size, key, phase);
}

}  // namespace wsp
