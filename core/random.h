// Cryptographically secure random bytes for handshake keys and frame masks (RFC 6455 §5.3 asks
// for unpredictable masking keys).
#pragma once

#include <cstddef>
#include <cstdint>

namespace wsp {

/// Fills `out` from the operating system's CSPRNG (std::random_device: the kernel or CPU natively,
/// rand_s on Windows, the browser's crypto.getRandomValues under Emscripten). Bytes are drawn in
/// batches of 256, so a masking key costs a call to the source only once every 64 frames.
void fill_random(uint8_t* out, size_t size);

}  // namespace wsp
