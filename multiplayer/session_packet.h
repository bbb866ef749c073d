// The packets of Godot 4's session layer (SceneMultiplayer) that wspeer speaks: raw bytes, and
// the SYS packets for authentication, peer notifications and relaying. The values come from
// Godot's modules/multiplayer/scene_multiplayer.h (NetworkCommands, SysCommands, SYS_CMD_SIZE,
// CMD_MASK); docs/multiplayer.md has the byte layout. RPC, spawn and sync packets are not
// spoken: they are recognised and ignored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace wsp::session {

/// The command in a packet's first byte (its low three bits; the high bits are flags).
enum class Command : uint8_t {
  kRemoteCall = 0,  ///< Godot RPCs: not spoken
  kSimplifyPath = 1,
  kConfirmPath = 2,
  kRaw = 3,  ///< application bytes (send_bytes, peer_packet)
  kSpawn = 4,
  kDespawn = 5,
  kSync = 6,
  kSys = 7,  ///< session control: AUTH, ADD_PEER, DEL_PEER, RELAY
};
constexpr uint8_t kCommandMask = 0x07;

/// The second byte of a SYS packet.
enum class SysCommand : uint8_t { kAuth = 0, kAddPeer = 1, kDelPeer = 2, kRelay = 3 };

/// A SYS packet's header: command, SYS command, a little-endian int32 peer id.
constexpr size_t kSysHeaderSize = 6;

/// What a received packet is, with views into it (valid as long as the packet's bytes).
struct ParsedPacket {
  enum class Kind {
    kInvalid,     ///< empty, or too short for its command
    kRaw,         ///< `payload`: the application's bytes (at least one)
    kAuth,        ///< `payload`: authentication data; empty means "my side is done"
    kAddPeer,     ///< `peer`
    kDelPeer,     ///< `peer`
    kRelay,       ///< `peer` (target or source), `payload`: the inner packet (at least one byte)
    kUnsupported  ///< a command wspeer does not speak (RPC, spawn, sync, an unknown SYS)
  };
  Kind kind = Kind::kInvalid;
  int32_t peer = 0;
  std::span<const uint8_t> payload;
};

ParsedPacket parse(std::span<const uint8_t> packet);

/// Appends a RAW packet carrying `bytes`.
void append_raw(std::vector<uint8_t>* out, std::span<const uint8_t> bytes);
/// Appends an AUTH packet (`data` empty: the "authentication completed" notice).
void append_auth(std::vector<uint8_t>* out, std::span<const uint8_t> data);
/// Appends ADD_PEER, DEL_PEER or RELAY (with `inner`) for `peer`.
void append_sys(std::vector<uint8_t>* out, SysCommand command, int32_t peer,
                std::span<const uint8_t> inner = {});

/// Little-endian int32, as Godot encodes peer ids (encode_uint32, and the transport's id message).
void append_int32(std::vector<uint8_t>* out, int32_t value);
int32_t read_int32(const uint8_t* bytes);

}  // namespace wsp::session
