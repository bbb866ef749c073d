// Micro-benchmarks of the core's hot paths, next to memcpy of the same bytes (the physical
// reference): receiving a masked frame (parse + unmask into the message buffer), sending one
// (mask + serialize), and UTF-8 validation of ASCII and mixed text.
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "wspeer/core/frame.h"
#include "wspeer/core/inbound_queue.h"
#include "wspeer/core/mask.h"
#include "wspeer/core/outbound_queue.h"
#include "wspeer/core/protocol.h"
#include "wspeer/core/utf8.h"

namespace {

std::vector<uint8_t> masked_frame(const std::string& payload, uint8_t opcode) {
  std::vector<uint8_t> frame(wsp::kMaxFrameHeaderSize + payload.size());
  const uint8_t key[4] = {0x12, 0x34, 0x56, 0x78};
  const size_t header = wsp::write_frame_header(frame.data(), true, opcode, payload.size(), key);
  frame.resize(header + payload.size());
  wsp::mask_copy(frame.data() + header, reinterpret_cast<const uint8_t*>(payload.data()),
                 payload.size(), key, 0);
  return frame;
}

// Valid UTF-8 of at most `size` bytes: words in Latin, Greek, CJK and emoji, as in chat text.
std::string mixed_text(size_t size) {
  const std::string words[] = {"hello ", "κόσμε ", "世界 ", "😀 ", "naïve ", "text "};
  std::string text;
  std::mt19937 rng(1);
  while (text.size() < size) text += words[rng() % 6];
  while (text.size() > size) text.pop_back();
  while (!wsp::is_valid_utf8(text)) text.pop_back();
  return text;
}

void BM_Memcpy(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  std::vector<uint8_t> source(size, 'a'), target(size);
  for (auto _ : state) {
    std::memcpy(target.data(), source.data(), size);
    benchmark::DoNotOptimize(target.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}

// A server receiving one masked message: header parse, unmask-copy into the queue (and UTF-8
// validation for text), pop.
void receive_frames(benchmark::State& state, uint8_t opcode, const std::string& payload) {
  const size_t size = payload.size();
  const std::vector<uint8_t> frame = masked_frame(payload, opcode);
  wsp::InboundQueue queue;
  queue.configure(size + 1, 16);
  wsp::Protocol protocol(wsp::Role::kServer, &queue);
  for (auto _ : state) {
    protocol.receive(frame.data(), frame.size());
    const uint8_t* data;
    size_t length;
    bool text;
    queue.pop(&data, &length, &text);
    benchmark::DoNotOptimize(data);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}

void BM_ReceiveBinaryFrame(benchmark::State& state) {
  receive_frames(state, wsp::OPCODE_BINARY, std::string(static_cast<size_t>(state.range(0)), 'a'));
}
void BM_ReceiveTextFrameAscii(benchmark::State& state) {
  receive_frames(state, wsp::OPCODE_TEXT, std::string(static_cast<size_t>(state.range(0)), 'a'));
}
void BM_ReceiveTextFrameMixed(benchmark::State& state) {
  receive_frames(state, wsp::OPCODE_TEXT, mixed_text(static_cast<size_t>(state.range(0))));
}

// A client sending: mask + serialize into the outbound queue, then hand it to the "socket".
void BM_SendMaskedFrame(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  std::vector<uint8_t> payload(size, 'b');
  wsp::OutboundQueue queue;
  for (auto _ : state) {
    queue.append_frame(wsp::OPCODE_BINARY, true, payload.data(), size, /*mask=*/true);
    benchmark::DoNotOptimize(queue.front().data());
    queue.consume(queue.size());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}

void BM_Utf8Ascii(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  std::vector<uint8_t> text(size, 'x');
  for (auto _ : state) benchmark::DoNotOptimize(wsp::is_valid_utf8(text.data(), size));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}

void BM_Utf8Mixed(benchmark::State& state) {
  const std::string text = mixed_text(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        wsp::is_valid_utf8(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

#if defined(__x86_64__)
// Not wspeer code: the instruction the kernel copies received socket data with. Its speed
// depends on how far the destination lies ahead of the source modulo 4096 (argument: that
// distance), which is why the native backend reads into one shared buffer instead of straight
// into each message (docs/limits-and-memory.md).
void BM_RepMovsbDistance(benchmark::State& state) {
  constexpr size_t kSize = 256 * 1024;
  const size_t distance = static_cast<size_t>(state.range(0));
  std::vector<uint8_t> source(kSize + 4096, 'a'), target(kSize + 8192, 'b');
  auto page_aligned = [](uint8_t* p) {
    return p + (4096 - reinterpret_cast<uintptr_t>(p) % 4096) % 4096;
  };
  const uint8_t* from = page_aligned(source.data());
  uint8_t* to = page_aligned(target.data()) + distance;
  for (auto _ : state) {
    const uint8_t* s = from;
    uint8_t* d = to;
    size_t n = kSize;
    asm volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kSize));
}
#endif

}  // namespace

BENCHMARK(BM_Memcpy)->Arg(16)->Arg(4096)->Arg(65536)->Arg(1 << 20);
BENCHMARK(BM_ReceiveBinaryFrame)->Arg(16)->Arg(4096)->Arg(65536)->Arg(1 << 20);
BENCHMARK(BM_ReceiveTextFrameAscii)->Arg(16)->Arg(4096)->Arg(65536)->Arg(1 << 20);
BENCHMARK(BM_ReceiveTextFrameMixed)->Arg(4096)->Arg(65536)->Arg(1 << 20);
BENCHMARK(BM_SendMaskedFrame)->Arg(16)->Arg(4096)->Arg(65536)->Arg(1 << 20);
BENCHMARK(BM_Utf8Ascii)->Arg(4096)->Arg(65536)->Arg(1 << 20);
BENCHMARK(BM_Utf8Mixed)->Arg(4096)->Arg(65536)->Arg(1 << 20);
#if defined(__x86_64__)
BENCHMARK(BM_RepMovsbDistance)->Arg(0)->Arg(8)->Arg(64);
#endif
BENCHMARK_MAIN();
