#include "wspeer/multiplayer/resume.h"

#include <algorithm>

#include "wspeer/core/random.h"
#include "wspeer/multiplayer/session_packet.h"

namespace wsp::resume {
namespace {

constexpr char kHex[] = "0123456789abcdef";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::string make_token() {
  std::string token(kTokenSize, '\0');
  fill_random(reinterpret_cast<uint8_t*>(token.data()), token.size());
  return token;
}

std::string return_offer(std::string_view token) {
  std::string offer(kProtocol);
  offer += '.';
  for (const char c : token) {
    const auto byte = static_cast<uint8_t>(c);
    offer += kHex[byte >> 4];
    offer += kHex[byte & 15];
  }
  return offer;
}

std::optional<std::string> offered_token(const std::vector<std::string>& offered_protocols) {
  const size_t prefix = kProtocol.size() + 1;
  for (const std::string& protocol : offered_protocols) {
    if (protocol.size() != prefix + 2 * kTokenSize || !protocol.starts_with(kProtocol) ||
        protocol[kProtocol.size()] != '.') {
      continue;
    }
    std::string token(kTokenSize, '\0');
    bool valid = true;
    for (size_t i = 0; i < kTokenSize && valid; ++i) {
      const int high = hex_value(protocol[prefix + 2 * i]);
      const int low = hex_value(protocol[prefix + 2 * i + 1]);
      valid = high >= 0 && low >= 0;
      token[i] = static_cast<char>(high * 16 + low);
    }
    if (valid) return token;
  }
  return std::nullopt;
}

bool offers_resume(const std::vector<std::string>& offered_protocols) {
  return std::find(offered_protocols.begin(), offered_protocols.end(), kProtocol) !=
         offered_protocols.end();
}

std::vector<uint8_t> welcome(int32_t id, std::string_view token) {
  std::vector<uint8_t> message;
  session::append_int32(&message, id);
  message.insert(message.end(), token.begin(), token.end());
  return message;
}

std::optional<Welcome> read_welcome(std::span<const uint8_t> message) {
  if (message.size() != 4 && message.size() != 4 + kTokenSize) return std::nullopt;
  Welcome result;
  result.id = session::read_int32(message.data());
  if (result.id < 2) return std::nullopt;
  result.token.assign(reinterpret_cast<const char*>(message.data()) + 4, message.size() - 4);
  return result;
}

std::chrono::milliseconds retry_delay(int attempt) {
  const int ceiling_ms = 100 << std::min(attempt, 5);  // 100 ms ... 3.2 s, capped below
  uint8_t bytes[4];
  fill_random(bytes, sizeof bytes);
  const uint32_t draw = bytes[0] | bytes[1] << 8 | bytes[2] << 16 | uint32_t{bytes[3]} << 24;
  return std::chrono::milliseconds(draw % (std::min(ceiling_ms, 2000) + 1));
}

bool HeldPackets::hold(std::span<const uint8_t> packet) {
  if (packets_.size() >= max_packets_) return false;
  if (max_bytes_ > 0 && bytes_ + packet.size() > max_bytes_) return false;
  packets_.emplace_back(packet.begin(), packet.end());
  bytes_ += packet.size();
  return true;
}

void HeldPackets::pop_front() {
  bytes_ -= packets_.front().size();
  packets_.pop_front();
}

void HeldPackets::clear() {
  packets_.clear();
  bytes_ = 0;
}

}  // namespace wsp::resume
