// Test-side construction of raw frames, written independently of core/frame.cc so that tests
// do not check the codec against itself.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wsp::test {

using Bytes = std::vector<uint8_t>;

struct RawFrame {
  bool fin = true;
  uint8_t rsv = 0;  // 3 bits
  uint8_t opcode = 1;
  bool masked = false;
  uint8_t key[4] = {0x11, 0x22, 0x33, 0x44};
  int length_form = 0;  // 0: minimal; 126 or 127 force that encoding
  Bytes payload;
};

inline Bytes encode(const RawFrame& f) {
  Bytes out;
  out.push_back(static_cast<uint8_t>((f.fin ? 0x80 : 0) | (f.rsv << 4) | (f.opcode & 0xF)));
  const uint64_t n = f.payload.size();
  const uint8_t m = f.masked ? 0x80 : 0;
  int form = f.length_form;
  if (form == 0) form = n < 126 ? 0 : (n <= 0xFFFF ? 126 : 127);
  if (form == 0) {
    out.push_back(static_cast<uint8_t>(m | n));
  } else if (form == 126) {
    out.push_back(m | 126);
    out.push_back(static_cast<uint8_t>(n >> 8));
    out.push_back(static_cast<uint8_t>(n));
  } else {
    out.push_back(m | 127);
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<uint8_t>(n >> (8 * i)));
  }
  if (f.masked) out.insert(out.end(), f.key, f.key + 4);
  for (size_t i = 0; i < f.payload.size(); ++i) {
    out.push_back(f.masked ? f.payload[i] ^ f.key[i % 4] : f.payload[i]);
  }
  return out;
}

inline Bytes bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

inline RawFrame frame(uint8_t opcode, Bytes payload, bool fin = true, bool masked = false) {
  RawFrame f;
  f.opcode = opcode;
  f.payload = std::move(payload);
  f.fin = fin;
  f.masked = masked;
  return f;
}

inline Bytes close_payload(int code, std::string_view reason = "") {
  Bytes p = {static_cast<uint8_t>(code >> 8), static_cast<uint8_t>(code)};
  p.insert(p.end(), reason.begin(), reason.end());
  return p;
}

inline Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace wsp::test
