// Incremental UTF-8 validation (RFC 3629) for text messages and close reasons.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace wsp {

/// Validates UTF-8 that arrives in pieces (frames, fragments, partial reads). It fails fast: the
/// first byte that cannot belong to any valid continuation is rejected at once, even when the
/// sequence it starts or continues is not complete yet. ASCII runs are checked 32 bytes at a time,
/// and on x86-64 CPUs with SSSE3 other text 16 bytes at a time (core/utf8_vector.h).
class Utf8Validator {
 public:
  /// Feeds the next bytes. Returns false at the first invalid byte; the validator then stays
  /// failed until reset().
  bool feed(const uint8_t* data, size_t size);
  /// True when no multi-byte sequence is left open (the text so far ends on a code point).
  bool at_boundary() const { return state_ == kAccept; }
  bool failed() const { return state_ == kReject; }
  void reset() { state_ = kAccept; }

 private:
  static constexpr uint8_t kAccept = 0;
  static constexpr uint8_t kReject = 8;
  uint8_t state_ = kAccept;
};

/// Whole-buffer convenience: true when `text` is complete, valid UTF-8.
bool is_valid_utf8(const uint8_t* data, size_t size);
inline bool is_valid_utf8(std::string_view text) {
  return is_valid_utf8(reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

}  // namespace wsp
