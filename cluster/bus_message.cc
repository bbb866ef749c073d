#include "wspeer/cluster/bus_message.h"

#include <cstring>

namespace wsp::cluster {
namespace {

constexpr uint8_t kVersion = 1;
// version, kind, uid, node length, room length
constexpr size_t kHeaderSize = 1 + 1 + 8 + 1 + 1;

void append_u32(std::vector<uint8_t>* out, uint32_t value) {
  for (int shift = 0; shift < 32; shift += 8) out->push_back(static_cast<uint8_t>(value >> shift));
}

uint32_t read_u32(const uint8_t* bytes) {
  return static_cast<uint32_t>(bytes[0]) | static_cast<uint32_t>(bytes[1]) << 8 |
         static_cast<uint32_t>(bytes[2]) << 16 | static_cast<uint32_t>(bytes[3]) << 24;
}

bool known_kind(uint8_t kind) {
  switch (static_cast<BusMessage::Kind>(kind)) {
    case BusMessage::Kind::kHeartbeat:
    case BusMessage::Kind::kJoin:
    case BusMessage::Kind::kLeave:
    case BusMessage::Kind::kPacket:
      return true;
  }
  return false;
}

}  // namespace

bool encode(const BusMessage& message, std::vector<uint8_t>* out) {
  if (message.node.size() > kMaxNameSize || message.room.size() > kMaxNameSize) return false;
  out->push_back(kVersion);
  out->push_back(static_cast<uint8_t>(message.kind));
  for (int shift = 0; shift < 64; shift += 8) {
    out->push_back(static_cast<uint8_t>(message.node_uid >> shift));
  }
  out->push_back(static_cast<uint8_t>(message.node.size()));
  out->push_back(static_cast<uint8_t>(message.room.size()));
  out->insert(out->end(), message.node.begin(), message.node.end());
  out->insert(out->end(), message.room.begin(), message.room.end());
  switch (message.kind) {
    case BusMessage::Kind::kHeartbeat:
      break;
    case BusMessage::Kind::kJoin:
    case BusMessage::Kind::kLeave:
      for (int32_t id : message.ids) append_u32(out, static_cast<uint32_t>(id));
      break;
    case BusMessage::Kind::kPacket:
      append_u32(out, static_cast<uint32_t>(message.from));
      append_u32(out, static_cast<uint32_t>(message.target));
      out->insert(out->end(), message.payload.begin(), message.payload.end());
      break;
  }
  return true;
}

std::optional<BusMessage> decode(std::span<const uint8_t> bytes) {
  if (bytes.size() < kHeaderSize || bytes[0] != kVersion || !known_kind(bytes[1])) return {};
  BusMessage message;
  message.kind = static_cast<BusMessage::Kind>(bytes[1]);
  for (int i = 0; i < 8; ++i) message.node_uid |= static_cast<uint64_t>(bytes[2 + i]) << (8 * i);
  const size_t node_size = bytes[10];
  const size_t room_size = bytes[11];
  if (bytes.size() < kHeaderSize + node_size + room_size || node_size == 0) return {};
  const auto* text = reinterpret_cast<const char*>(bytes.data() + kHeaderSize);
  message.node = std::string_view(text, node_size);
  message.room = std::string_view(text + node_size, room_size);
  std::span<const uint8_t> rest = bytes.subspan(kHeaderSize + node_size + room_size);
  switch (message.kind) {
    case BusMessage::Kind::kHeartbeat:
      if (!rest.empty()) return {};
      break;
    case BusMessage::Kind::kJoin:
    case BusMessage::Kind::kLeave:
      if (rest.empty() || rest.size() % 4 != 0) return {};
      message.ids.reserve(rest.size() / 4);
      for (size_t at = 0; at < rest.size(); at += 4) {
        const auto id = static_cast<int32_t>(read_u32(rest.data() + at));
        if (id < 2) return {};  // peer ids are 2 and up; 1 is each node's own server
        message.ids.push_back(id);
      }
      break;
    case BusMessage::Kind::kPacket:
      if (rest.size() < 9) return {};  // a packet has at least one byte
      message.from = static_cast<int32_t>(read_u32(rest.data()));
      message.target = static_cast<int32_t>(read_u32(rest.data() + 4));
      if (message.from < 1) return {};
      message.payload = rest.subspan(8);
      break;
  }
  return message;
}

}  // namespace wsp::cluster
