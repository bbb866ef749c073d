// Coming back after a dropped connection (WebSocketMultiplayerPeer::set_reconnect_grace()): the
// rules both sides follow, without I/O.
//
// A client that can come back offers the sub-protocol "wspeer.resume"; a server that keeps places
// answers with a welcome of 20 bytes instead of Godot's 4: the id, then a secret token of 16
// bytes. Returning, the client offers "wspeer.resume.<the token in hex>" too; the server gives it
// back its id, its room and the packets held for it, with a new token. A Godot client offers
// nothing of this and gets Godot's welcome.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace wsp::resume {

inline constexpr std::string_view kProtocol = "wspeer.resume";
inline constexpr size_t kTokenSize = 16;
/// The close code a server answers a return with when the place is gone (expired, unknown): the
/// client stops trying at once.
inline constexpr int kPlaceGoneCode = 4410;

/// A new secret from the CSPRNG.
std::string make_token();
/// The sub-protocol that carries `token` back to the server.
std::string return_offer(std::string_view token);
/// The token a request offers to return with, if any (a well-formed one).
std::optional<std::string> offered_token(const std::vector<std::string>& offered_protocols);
bool offers_resume(const std::vector<std::string>& offered_protocols);

/// The server's first message: Godot's 4-byte id, followed by the token when there is one.
std::vector<uint8_t> welcome(int32_t id, std::string_view token);
struct Welcome {
  int32_t id = 0;
  std::string token;  ///< empty: the server keeps no place (Godot's welcome)
};
/// nullopt unless it is a welcome of either form with an id a client may have (≥ 2).
std::optional<Welcome> read_welcome(std::span<const uint8_t> message);

/// The wait before the next attempt to return: full jitter over an exponential ceiling (from
/// 0.1 s, doubling, at most 2 s), so clients dropped together do not return together.
std::chrono::milliseconds retry_delay(int attempt);

/// Packets for a peer while it is away, within the limits its connection had.
class HeldPackets {
 public:
  HeldPackets(size_t max_bytes, size_t max_packets)
      : max_bytes_(max_bytes), max_packets_(max_packets) {}
  /// False (and nothing held) when `packet` would pass a limit (max_bytes 0: no byte limit).
  bool hold(std::span<const uint8_t> packet);
  bool empty() const { return packets_.empty(); }
  size_t size() const { return packets_.size(); }
  size_t bytes() const { return bytes_; }
  const std::vector<uint8_t>& front() const { return packets_.front(); }
  void pop_front();
  void clear();

 private:
  std::deque<std::vector<uint8_t>> packets_;
  size_t bytes_ = 0;
  size_t max_bytes_;
  size_t max_packets_;
};

}  // namespace wsp::resume
