#include "wspeer/core/proxy_protocol.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string_view>

namespace wsp::proxy_protocol {
namespace {

constexpr uint8_t kSignature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                    0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr std::string_view kV1Prefix = "PROXY ";
constexpr size_t kV1MaxSize = 107;  // "PROXY UNKNOWN ffff:...:ffff ffff:...:ffff 65535 65535\r\n"

Result invalid(std::string* error, std::string why) {
  *error = std::move(why);
  return Result::kInvalid;
}

// True when `data` is a prefix of `expected` or starts with it.
bool agrees(std::span<const uint8_t> data, const uint8_t* expected, size_t size) {
  return std::memcmp(data.data(), expected, std::min(data.size(), size)) == 0;
}

bool parse_port(std::string_view text, int* port) {
  if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0')) return false;
  int value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (value > 65535) return false;
  *port = value;
  return true;
}

bool is_ipv4(std::string_view text) {
  int parts = 0;
  size_t at = 0;
  while (at <= text.size()) {
    const size_t dot = std::min(text.find('.', at), text.size());
    const std::string_view part = text.substr(at, dot - at);
    if (part.empty() || part.size() > 3 || (part.size() > 1 && part[0] == '0')) return false;
    int value = 0;
    for (const char c : part) {
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    if (value > 255) return false;
    ++parts;
    at = dot + 1;
  }
  return parts == 4;
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Counts the groups of one side of "::" ("" has none); -1 when one is not 1-4 hex digits. An
// IPv4 address may end the last side (two groups).
int count_groups(std::string_view part, bool ipv4_may_end) {
  if (part.empty()) return 0;
  int groups = 0;
  size_t at = 0;
  for (;;) {
    const size_t colon = std::min(part.find(':', at), part.size());
    const std::string_view group = part.substr(at, colon - at);
    if (colon == part.size() && ipv4_may_end && group.find('.') != std::string_view::npos) {
      return is_ipv4(group) ? groups + 2 : -1;
    }
    if (group.empty() || group.size() > 4 || !std::all_of(group.begin(), group.end(), is_hex)) {
      return -1;
    }
    ++groups;
    if (colon == part.size()) return groups;
    at = colon + 1;
  }
}

// RFC 4291 text: eight groups of 1-4 hex digits, or fewer around one "::"; an IPv4 tail allowed.
bool is_ipv6(std::string_view text) {
  if (text.size() < 2 || text.size() > 45) return false;
  const size_t gap = text.find("::");
  if (gap == std::string_view::npos) return count_groups(text, true) == 8;
  if (text.find("::", gap + 1) != std::string_view::npos) return false;
  const int head = count_groups(text.substr(0, gap), false);
  const int tail = count_groups(text.substr(gap + 2), true);
  return head >= 0 && tail >= 0 && head + tail <= 7;
}

std::string ipv4_text(const uint8_t* bytes) {
  return std::to_string(bytes[0]) + "." + std::to_string(bytes[1]) + "." +
         std::to_string(bytes[2]) + "." + std::to_string(bytes[3]);
}

// RFC 5952: lower case, no leading zeros, the longest run of two or more zero groups as "::".
std::string ipv6_text(const uint8_t* bytes) {
  uint16_t groups[8];
  for (int i = 0; i < 8; ++i)
    groups[i] = static_cast<uint16_t>(bytes[2 * i] << 8 | bytes[2 * i + 1]);
  int best = -1, best_length = 1;
  for (int i = 0; i < 8;) {
    int j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i > best_length) {
      best = i;
      best_length = j - i;
    }
    i = j == i ? i + 1 : j;
  }
  std::string text;
  char hex[8];
  for (int i = 0; i < 8; ++i) {
    if (i == best) {
      text += "::";
      i += best_length - 1;
      continue;
    }
    if (!text.empty() && text.back() != ':') text += ':';
    std::snprintf(hex, sizeof hex, "%x", groups[i]);
    text += hex;
  }
  return text;
}

uint16_t read16(const uint8_t* bytes) { return static_cast<uint16_t>(bytes[0] << 8 | bytes[1]); }

Result parse_v1(std::span<const uint8_t> data, Header* header, std::string* error) {
  const std::string_view text(reinterpret_cast<const char*>(data.data()),
                              std::min(data.size(), kV1MaxSize));
  const size_t end = text.find("\r\n");
  if (end == std::string_view::npos) {
    if (data.size() >= kV1MaxSize) {
      return invalid(error, "PROXY protocol v1: no line end within 107 bytes.");
    }
    return Result::kNeedMore;
  }
  std::string_view line = text.substr(kV1Prefix.size(), end - kV1Prefix.size());
  std::string_view fields[5];
  int count = 0;
  while (!line.empty() && count < 5) {
    const size_t space = line.find(' ');
    fields[count++] = line.substr(0, space);
    line = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
  }
  *header = Header();
  header->size = end + 2;
  if (count >= 1 && fields[0] == "UNKNOWN") return Result::kComplete;  // keep the real peer
  if (count != 5 || !line.empty()) {
    return invalid(error, "PROXY protocol v1: expected 'PROXY TCP4|TCP6 SRC DST SPORT DPORT'.");
  }
  const bool v4 = fields[0] == "TCP4";
  if (!v4 && fields[0] != "TCP6") {
    return invalid(error, "PROXY protocol v1: unknown protocol family.");
  }
  const auto valid_host = [v4](std::string_view host) {
    return v4 ? is_ipv4(host) : is_ipv6(host);
  };
  if (!valid_host(fields[1]) || !valid_host(fields[2])) {
    return invalid(error, "PROXY protocol v1: an address is not a valid IP address.");
  }
  if (!parse_port(fields[3], &header->source_port) ||
      !parse_port(fields[4], &header->destination_port)) {
    return invalid(error, "PROXY protocol v1: a port is not a number from 0 to 65535.");
  }
  header->has_address = true;
  header->source_host = std::string(fields[1]);
  header->destination_host = std::string(fields[2]);
  return Result::kComplete;
}

Result parse_v2(std::span<const uint8_t> data, Header* header, std::string* error) {
  if (data.size() < 16) return Result::kNeedMore;
  const uint8_t version = data[12] >> 4, command = data[12] & 0x0F;
  const uint8_t family = data[13] >> 4, transport = data[13] & 0x0F;
  const size_t length = read16(data.data() + 14);
  if (version != 2) return invalid(error, "PROXY protocol v2: unknown version.");
  if (command > 1) return invalid(error, "PROXY protocol v2: unknown command.");
  if (16 + length > kMaxHeaderSize) {
    return invalid(error, "PROXY protocol v2: a header of " + std::to_string(16 + length) +
                              " bytes is over the limit of " + std::to_string(kMaxHeaderSize) +
                              ".");
  }
  if (data.size() < 16 + length) return Result::kNeedMore;
  *header = Header();
  header->size = 16 + length;
  // LOCAL (the balancer's own health check) and families other than TCP over IPv4 and IPv6
  // carry no client address: the connection's own one stands.
  if (command == 0 || transport != 1 || (family != 1 && family != 2)) return Result::kComplete;
  const uint8_t* block = data.data() + 16;
  if (family == 1) {
    if (length < 12) return invalid(error, "PROXY protocol v2: IPv4 addresses cut short.");
    header->source_host = ipv4_text(block);
    header->destination_host = ipv4_text(block + 4);
    header->source_port = read16(block + 8);
    header->destination_port = read16(block + 10);
  } else {
    if (length < 36) return invalid(error, "PROXY protocol v2: IPv6 addresses cut short.");
    header->source_host = ipv6_text(block);
    header->destination_host = ipv6_text(block + 16);
    header->source_port = read16(block + 32);
    header->destination_port = read16(block + 34);
  }
  header->has_address = true;
  return Result::kComplete;
}

}  // namespace

Result parse(std::span<const uint8_t> data, Header* header, std::string* error) {
  if (data.empty()) return Result::kNeedMore;
  if (data[0] == kSignature[0]) {
    if (!agrees(data, kSignature, sizeof kSignature)) {
      return invalid(error, "No PROXY protocol header: the connection began with other bytes.");
    }
    return parse_v2(data, header, error);
  }
  if (!agrees(data, reinterpret_cast<const uint8_t*>(kV1Prefix.data()), kV1Prefix.size())) {
    return invalid(error, "No PROXY protocol header: the connection began with other bytes.");
  }
  if (data.size() < kV1Prefix.size()) return Result::kNeedMore;
  return parse_v1(data, header, error);
}

}  // namespace wsp::proxy_protocol
