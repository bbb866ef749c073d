#include "wspeer/multiplayer/session_packet.h"

namespace wsp::session {

ParsedPacket parse(std::span<const uint8_t> packet) {
  ParsedPacket parsed;
  if (packet.empty()) return parsed;
  const auto command = static_cast<Command>(packet[0] & kCommandMask);
  if (command == Command::kRaw) {
    // Godot refuses a RAW packet without bytes (_process_raw: "Size too small").
    if (packet.size() < 2) return parsed;
    parsed.kind = ParsedPacket::Kind::kRaw;
    parsed.payload = packet.subspan(1);
    return parsed;
  }
  if (command != Command::kSys) {
    parsed.kind = ParsedPacket::Kind::kUnsupported;
    return parsed;
  }
  if (packet.size() < 2) return parsed;
  const auto sys = static_cast<SysCommand>(packet[1]);
  if (sys == SysCommand::kAuth) {  // no peer field: [SYS][AUTH][data...]
    parsed.kind = ParsedPacket::Kind::kAuth;
    parsed.payload = packet.subspan(2);
    return parsed;
  }
  if (packet.size() < kSysHeaderSize) return parsed;
  parsed.peer = read_int32(packet.data() + 2);
  parsed.payload = packet.subspan(kSysHeaderSize);
  switch (sys) {
    case SysCommand::kAddPeer:
      parsed.kind = ParsedPacket::Kind::kAddPeer;
      break;
    case SysCommand::kDelPeer:
      parsed.kind = ParsedPacket::Kind::kDelPeer;
      break;
    case SysCommand::kRelay:
      parsed.kind =
          parsed.payload.empty() ? ParsedPacket::Kind::kInvalid : ParsedPacket::Kind::kRelay;
      break;
    default:
      parsed.kind = ParsedPacket::Kind::kUnsupported;
      break;
  }
  return parsed;
}

void append_int32(std::vector<uint8_t>* out, int32_t value) {
  const auto bits = static_cast<uint32_t>(value);
  for (int shift = 0; shift < 32; shift += 8) out->push_back(static_cast<uint8_t>(bits >> shift));
}

int32_t read_int32(const uint8_t* bytes) {
  const uint32_t bits = uint32_t{bytes[0]} | uint32_t{bytes[1]} << 8 | uint32_t{bytes[2]} << 16 |
                        uint32_t{bytes[3]} << 24;
  return static_cast<int32_t>(bits);
}

void append_raw(std::vector<uint8_t>* out, std::span<const uint8_t> bytes) {
  out->push_back(static_cast<uint8_t>(Command::kRaw));
  out->insert(out->end(), bytes.begin(), bytes.end());
}

void append_auth(std::vector<uint8_t>* out, std::span<const uint8_t> data) {
  out->push_back(static_cast<uint8_t>(Command::kSys));
  out->push_back(static_cast<uint8_t>(SysCommand::kAuth));
  out->insert(out->end(), data.begin(), data.end());
}

void append_sys(std::vector<uint8_t>* out, SysCommand command, int32_t peer,
                std::span<const uint8_t> inner) {
  out->push_back(static_cast<uint8_t>(Command::kSys));
  out->push_back(static_cast<uint8_t>(command));
  append_int32(out, peer);
  out->insert(out->end(), inner.begin(), inner.end());
}

}  // namespace wsp::session
