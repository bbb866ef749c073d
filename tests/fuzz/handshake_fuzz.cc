// Fuzzes the HTTP head reader and both handshake parsers. The reader must stop at the same place
// and store no more than its limit whatever the split; the parsers must never crash, and a 101
// answer always carries the accept key.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "wspeer/core/handshake.h"
#include "wspeer/core/http.h"

namespace {
void check(bool condition) {
  if (!condition) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr size_t kLimit = 512;
  wsp::HttpHeadReader whole(kLimit);
  const size_t used = whole.feed(data, size);
  check(whole.head().size() <= kLimit);
  wsp::HttpHeadReader pieces(kLimit);
  size_t used_pieces = 0;
  for (size_t i = 0; i < size && !pieces.complete() && !pieces.too_large(); i += 3) {
    used_pieces += pieces.feed(data + i, size - i < 3 ? size - i : 3);
  }
  check(whole.complete() == pieces.complete());
  check(whole.too_large() == pieces.too_large());
  check(whole.head() == pieces.head());
  if (whole.complete()) check(used == used_pieces);

  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const wsp::ServerHandshakeResult server = wsp::answer_client_request(text, {"chat", "v2"}, {});
  check(server.status == 101 || server.status == 400 || server.status == 426);
  if (server.status == 101) {
    check(server.response.find("Sec-WebSocket-Accept: ") != std::string::npos);
  } else {
    check(!server.error.empty());
  }
  const wsp::ClientHandshakeResult client =
      wsp::check_server_response(text, "dGhlIHNhbXBsZSBub25jZQ==", {"chat"});
  check(client.ok || !client.error.empty());
  return 0;
}
