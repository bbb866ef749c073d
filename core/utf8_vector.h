// Vector UTF-8 validation of non-ASCII text, 16 bytes per step, for CPUs that have it.
// Internal to utf8.cc: the scalar validator hands it long stretches and keeps the stream state.
#pragma once

#include <cstddef>
#include <cstdint>

namespace wsp::utf8_vector {

/// Returned by valid_prefix() when the bytes cannot be valid UTF-8.
constexpr size_t kInvalid = static_cast<size_t>(-1);

/// True when this CPU can run valid_prefix() (x86-64 with SSSE3); false on other targets.
bool available();

/// `data` must start at a code point boundary. Checks whole 16-byte blocks and returns how many
/// bytes from `data` are complete, valid code points: it stops at the end of the last whole
/// block (backing up to the start of a sequence left open there) or at the start of an all-ASCII
/// block, which the caller's ASCII scan handles faster. Returns kInvalid when any checked byte
/// cannot be part of valid UTF-8.
size_t valid_prefix(const uint8_t* data, size_t size);

}  // namespace wsp::utf8_vector
