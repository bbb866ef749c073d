// Fuzzes the protocol engine in both roles, with and without permessage-deflate: arbitrary
// bytes, fed whole and in arbitrary splits, must give the same messages, events and close code;
// the queue must stay within its limits (a decompressed message included).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "wspeer/core/deflate/zlib_compressor.h"
#include "wspeer/core/inbound_queue.h"
#include "wspeer/core/protocol.h"

namespace {

struct Outcome {
  std::vector<std::string> messages;
  std::vector<bool> types;
  size_t pings = 0, pongs = 0;
  bool failed = false, closed = false;
  int code = 0;
  size_t outbound_frames = 0;
  bool operator==(const Outcome& o) const {
    return messages == o.messages && types == o.types && pings == o.pings && pongs == o.pongs &&
           failed == o.failed && closed == o.closed && code == o.code &&
           outbound_frames == o.outbound_frames;
  }
};

void check(bool condition) {
  if (!condition) __builtin_trap();
}

// The messages of one run are the first messages of the other, and the runs differ only after
// one of them failed (a run that delivered fewer is the one that failed).
bool same_until_one_fails(const Outcome& a, const Outcome& b) {
  const Outcome& shorter = a.messages.size() <= b.messages.size() ? a : b;
  const Outcome& longer = &shorter == &a ? b : a;
  for (size_t i = 0; i < shorter.messages.size(); ++i) {
    if (shorter.messages[i] != longer.messages[i] || shorter.types[i] != longer.types[i]) {
      return false;
    }
  }
  if (shorter.messages.size() < longer.messages.size()) return shorter.failed;
  return a == b || a.failed || b.failed;
}

Outcome run(wsp::Role role, size_t max_message, size_t max_packets,
            const wsp::DeflateAgreement* deflate, const uint8_t* data, size_t size,
            const std::vector<size_t>& chunks) {
  wsp::InboundQueue queue;
  queue.configure(max_message, max_packets);
  wsp::Protocol protocol(role, &queue);
  if (deflate) {
    protocol.set_compressor(
        wsp::make_zlib_compressor(*deflate, wsp::DeflateOptions::on(), role == wsp::Role::kServer));
  }
  Outcome outcome;
  auto drain = [&] {
    for (int guard = 0; guard < 100000; ++guard) {
      const uint8_t* view;
      size_t length;
      bool text;
      if (!queue.pop(&view, &length, &text)) {
        protocol.resume();
        if (queue.count() == 0) break;
        continue;
      }
      outcome.messages.emplace_back(reinterpret_cast<const char*>(view), length);
      outcome.types.push_back(text);
      protocol.resume();
    }
  };
  size_t offset = 0;
  for (size_t chunk : chunks) {
    if (offset >= size) break;
    const size_t take = chunk < size - offset ? chunk : size - offset;
    protocol.receive(data + offset, take);
    offset += take;
    // Memory stays bounded by the limits whatever the peer sends.
    check(queue.count() <= max_packets + 1);
    check(queue.queued_bytes() <= 2 * max_message);
    check(queue.partial_size() <= max_message);
    drain();
  }
  protocol.send_close_reply();
  const wsp::ProtocolEvents events = protocol.take_events();
  outcome.pings = events.pings;
  outcome.pongs = events.pongs;
  outcome.failed = protocol.failed();
  outcome.closed = protocol.close_received();
  outcome.code = protocol.failed() ? protocol.failure_code() : protocol.received_close_code();
  outcome.outbound_frames = protocol.outbound().queued_frames();
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const wsp::Role role = (data[0] & 1) ? wsp::Role::kServer : wsp::Role::kClient;
  const size_t max_message = 1 + static_cast<size_t>(data[0] >> 1) * 97;
  const size_t max_packets = 1 + (data[1] & 15);
  // Bit 4: permessage-deflate agreed; bits 5 and 6: no context takeover; bit 7: 9-bit windows.
  wsp::DeflateAgreement agreement;
  agreement.server_no_context_takeover = (data[1] & 0x20) != 0;
  agreement.client_no_context_takeover = (data[1] & 0x40) != 0;
  agreement.server_max_window_bits = agreement.client_max_window_bits = (data[1] & 0x80) ? 9 : 15;
  const wsp::DeflateAgreement* deflate = (data[1] & 0x10) ? &agreement : nullptr;
  uint32_t state = data[2] | 1u;
  data += 3;
  size -= 3;
  std::vector<size_t> chunks;
  for (size_t covered = 0; covered < size;) {
    state = state * 1103515245u + 12345u;
    const size_t chunk = 1 + (state >> 16) % 23;
    chunks.push_back(chunk);
    covered += chunk;
  }
  const Outcome whole = run(role, max_message, max_packets, deflate, data, size, {size});
  const Outcome split = run(role, max_message, max_packets, deflate, data, size, chunks);
  if (deflate && agreement.client_max_window_bits < 15) {
    // zlib lets a back-reference reach past a window smaller than its largest when the bytes it
    // names are still in the output of the same inflate() call, so how the input was split can
    // decide whether such an invalid stream is caught, and as what. Both runs agree up to where
    // one of them fails.
    check(same_until_one_fails(whole, split));
  } else {
    check(whole == split);
  }
  return 0;
}
