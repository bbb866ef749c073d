#include "wspeer/core/proxy/ip_literal.h"

#include <algorithm>
#include <vector>

namespace wsp {
namespace {

std::optional<uint32_t> parse_ipv4(std::string_view text) {
  uint32_t value = 0;
  int parts = 0;
  size_t i = 0;
  while (parts < 4) {
    int part = 0;
    size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9' && digits < 4) {
      part = part * 10 + (text[i] - '0');
      ++i;
      ++digits;
    }
    if (digits == 0 || digits > 3 || part > 255) return std::nullopt;
    value = (value << 8) | static_cast<uint32_t>(part);
    ++parts;
    if (parts < 4) {
      if (i >= text.size() || text[i] != '.') return std::nullopt;
      ++i;
    }
  }
  if (i != text.size()) return std::nullopt;
  return value;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The 16-bit groups of one side of "::" (or of the whole address); an IPv4 tail counts as two.
bool parse_groups(std::string_view text, bool ipv4_allowed, std::vector<uint16_t>* groups) {
  if (text.empty()) return true;
  size_t start = 0;
  while (true) {
    const size_t colon = text.find(':', start);
    const std::string_view group = text.substr(start, colon - start);
    if (colon == std::string_view::npos && ipv4_allowed &&
        group.find('.') != std::string_view::npos) {
      const auto v4 = parse_ipv4(group);
      if (!v4) return false;
      groups->push_back(static_cast<uint16_t>(*v4 >> 16));
      groups->push_back(static_cast<uint16_t>(*v4 & 0xFFFF));
      return true;
    }
    if (group.empty() || group.size() > 4) return false;
    uint16_t value = 0;
    for (char c : group) {
      const int digit = hex_digit(c);
      if (digit < 0) return false;
      value = static_cast<uint16_t>((value << 4) | digit);
    }
    groups->push_back(value);
    if (colon == std::string_view::npos) return true;
    start = colon + 1;
  }
}

std::optional<IpLiteral> parse_ipv6(std::string_view text) {
  std::vector<uint16_t> head;
  std::vector<uint16_t> tail;
  const size_t gap = text.find("::");
  if (gap == std::string_view::npos) {
    if (!parse_groups(text, true, &head) || head.size() != 8) return std::nullopt;
  } else {
    if (text.find("::", gap + 1) != std::string_view::npos) return std::nullopt;
    if (!parse_groups(text.substr(0, gap), false, &head) ||
        !parse_groups(text.substr(gap + 2), true, &tail) || head.size() + tail.size() > 7) {
      return std::nullopt;
    }
  }
  IpLiteral result;
  result.is_ipv6 = true;
  for (size_t i = 0; i < head.size(); ++i) {
    result.bytes[2 * i] = static_cast<uint8_t>(head[i] >> 8);
    result.bytes[2 * i + 1] = static_cast<uint8_t>(head[i]);
  }
  const size_t tail_start = 8 - tail.size();
  for (size_t i = 0; i < tail.size(); ++i) {
    result.bytes[2 * (tail_start + i)] = static_cast<uint8_t>(tail[i] >> 8);
    result.bytes[2 * (tail_start + i) + 1] = static_cast<uint8_t>(tail[i]);
  }
  return result;
}

}  // namespace

std::optional<IpLiteral> parse_ip_literal(std::string_view text) {
  if (text.find(':') != std::string_view::npos) return parse_ipv6(text);
  const auto v4 = parse_ipv4(text);
  if (!v4) return std::nullopt;
  IpLiteral result;
  for (int i = 0; i < 4; ++i) result.bytes[i] = static_cast<uint8_t>(*v4 >> (24 - 8 * i));
  return result;
}

bool same_prefix(const IpLiteral& a, const IpLiteral& b, int prefix_bits) {
  if (a.is_ipv6 != b.is_ipv6) return false;
  const int bits = std::min(prefix_bits, static_cast<int>(a.size()) * 8);
  for (int i = 0; i < bits / 8; ++i) {
    if (a.bytes[i] != b.bytes[i]) return false;
  }
  if (bits % 8 == 0) return true;
  const auto mask = static_cast<uint8_t>(0xFF << (8 - bits % 8));
  return (a.bytes[bits / 8] & mask) == (b.bytes[bits / 8] & mask);
}

}  // namespace wsp
