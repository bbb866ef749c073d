// Standard base64 (RFC 4648 §4, with padding), as the handshake headers use it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wsp {

std::string base64_encode(const uint8_t* data, size_t size);
/// nullopt for anything that is not canonical padded base64.
std::optional<std::vector<uint8_t>> base64_decode(std::string_view text);

}  // namespace wsp
