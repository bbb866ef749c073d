// RFC 6455 §7.4 status codes: which may appear in a close frame.
#pragma once

#include <cstddef>

namespace wsp {

constexpr int kCloseNormal = 1000;
constexpr int kCloseGoingAway = 1001;
constexpr int kCloseProtocolError = 1002;
constexpr int kCloseUnsupportedData = 1003;
constexpr int kCloseNoStatus = 1005;  ///< reported, never sent
constexpr int kCloseAbnormal = 1006;  ///< reported by browsers, never sent
constexpr int kCloseInvalidPayload = 1007;
constexpr int kClosePolicyViolation = 1008;
constexpr int kCloseMessageTooBig = 1009;
constexpr int kCloseInternalError = 1011;
constexpr int kCloseUnclean = -1;  ///< wspeer/Godot: the connection was not closed cleanly

constexpr size_t kMaxCloseReasonSize = 123;  ///< 125 control payload - 2 bytes of code

/// Codes allowed on the wire in either direction: 1000-1003, 1007-1014 (IANA registry, including
/// 1012-1014) and 3000-4999 (registered and private use).
inline bool is_valid_close_code(int code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

}  // namespace wsp
