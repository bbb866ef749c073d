// SHA-1 (FIPS 180-4), needed only for the Sec-WebSocket-Accept value of the handshake.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace wsp {

std::array<uint8_t, 20> sha1(std::string_view data);

}  // namespace wsp
