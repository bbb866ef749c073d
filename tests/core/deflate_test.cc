// permessage-deflate in the engine: compressed messages in and out, every RSV1 rule, limits
// checked while decompressing, corrupt data, context takeover. The test side compresses and
// decompresses with zlib directly, not through the code under test.
#include <gtest/gtest.h>
#include <zlib.h>

#include <random>
#include <string>
#include <vector>

#include "tests/core/wire.h"
#include "wspeer/core/close_code.h"
#include "wspeer/core/deflate/zlib_compressor.h"
#include "wspeer/core/protocol.h"

namespace wsp {
namespace {

using test::Bytes;
using test::bytes;
using test::encode;
using test::RawFrame;

// A test-side raw DEFLATE stream: each call compresses one message with a sync flush and strips
// the 00 00 FF FF tail, keeping the window between calls unless `reset`.
class TestDeflater {
 public:
  explicit TestDeflater(int window_bits = 15) {
    deflateInit2(&z_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -window_bits, 8, Z_DEFAULT_STRATEGY);
  }
  ~TestDeflater() { deflateEnd(&z_); }
  Bytes message(const Bytes& data, bool reset = false) {
    Bytes out(deflateBound(&z_, data.size()) + 64);
    z_.next_in = const_cast<uint8_t*>(data.data());
    z_.avail_in = static_cast<uInt>(data.size());
    z_.next_out = out.data();
    z_.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&z_, Z_SYNC_FLUSH), Z_OK);
    out.resize(out.size() - z_.avail_out);
    EXPECT_GE(out.size(), 4u);
    out.resize(out.size() - 4);
    if (reset) deflateReset(&z_);
    return out;
  }

 private:
  z_stream z_{};
};

Bytes test_inflate(z_stream* z, const Bytes& payload) {
  Bytes input = payload;
  input.insert(input.end(), {0x00, 0x00, 0xFF, 0xFF});
  Bytes out(1 << 22);
  z->next_in = input.data();
  z->avail_in = static_cast<uInt>(input.size());
  z->next_out = out.data();
  z->avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(z, Z_SYNC_FLUSH), Z_OK);
  out.resize(out.size() - z->avail_out);
  return out;
}

RawFrame data_frame(uint8_t opcode, Bytes payload, bool compressed, bool fin = true) {
  RawFrame f;
  f.opcode = opcode;
  f.payload = std::move(payload);
  f.fin = fin;
  f.masked = true;  // client to server
  f.rsv = compressed ? 0b100 : 0;
  return f;
}

struct Received {
  std::string data;
  bool is_text;
};

class Server {
 public:
  explicit Server(DeflateAgreement agreement = {}, size_t max_message = 1 << 20)
      : protocol_(Role::kServer, &inbound_) {
    inbound_.configure(max_message, 4096);
    protocol_.set_compressor(make_zlib_compressor(agreement, DeflateOptions::on(), true));
  }
  void feed(const Bytes& wire) { protocol_.receive(wire.data(), wire.size()); }
  std::vector<Received> drain() {
    std::vector<Received> out;
    const uint8_t* d;
    size_t n;
    bool text;
    while (inbound_.pop(&d, &n, &text)) {
      out.push_back({std::string(reinterpret_cast<const char*>(d), n), text});
      protocol_.resume();
    }
    return out;
  }
  Protocol& protocol() { return protocol_; }
  InboundQueue& inbound() { return inbound_; }

 private:
  InboundQueue inbound_;
  Protocol protocol_;
};

Bytes text_of(size_t size, unsigned seed = 1) {
  static const char* kWords[] = {"{\"id\":", "\"name\":", "\"player\"", ",",    "}",
                                 "[1,2,3]",  "\"x\":0.5", " ",          "true", "\"score\":"};
  std::mt19937 random(seed);
  Bytes out;
  while (out.size() < size) {
    const char* word = kWords[random() % 10];
    out.insert(out.end(), word, word + std::char_traits<char>::length(word));
  }
  out.resize(size);
  return out;
}

TEST(Deflate, ReceivesACompressedMessage) {
  Server server;
  TestDeflater deflater;
  const Bytes text = text_of(5000);
  server.feed(encode(data_frame(OPCODE_TEXT, deflater.message(text), true)));
  const auto messages = server.drain();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].data, std::string(text.begin(), text.end()));
  EXPECT_TRUE(messages[0].is_text);
  EXPECT_FALSE(server.protocol().failed());
}

TEST(Deflate, ReceivesAFragmentedCompressedMessageSplitAtEveryByte) {
  TestDeflater deflater;
  const Bytes text = text_of(3000, 7);
  const Bytes compressed = deflater.message(text);
  const size_t a = compressed.size() / 3, b = 2 * compressed.size() / 3;
  const Bytes wire = test::concat(
      {encode(
           data_frame(OPCODE_TEXT, Bytes(compressed.begin(), compressed.begin() + a), true, false)),
       encode(data_frame(OPCODE_CONTINUATION, Bytes(compressed.begin() + a, compressed.begin() + b),
                         false, false)),
       encode(data_frame(OPCODE_CONTINUATION, Bytes(compressed.begin() + b, compressed.end()),
                         false, true))});
  for (size_t cut = 1; cut < wire.size(); cut += 7) {
    Server server;
    server.protocol().receive(wire.data(), cut);
    server.protocol().receive(wire.data() + cut, wire.size() - cut);
    const auto messages = server.drain();
    ASSERT_EQ(messages.size(), 1u) << "cut at " << cut;
    EXPECT_EQ(messages[0].data, std::string(text.begin(), text.end()));
  }
}

TEST(Deflate, KeepsTheWindowBetweenMessagesWithContextTakeover) {
  Server server;
  TestDeflater deflater;
  const Bytes text = text_of(2000, 3);
  const Bytes first = deflater.message(text);
  const Bytes second = deflater.message(text);  // refers back to the first message
  EXPECT_LT(second.size(), first.size() / 4);
  server.feed(encode(data_frame(OPCODE_BINARY, first, true)));
  server.feed(encode(data_frame(OPCODE_BINARY, second, true)));
  const auto messages = server.drain();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[1].data, std::string(text.begin(), text.end()));
  EXPECT_FALSE(messages[1].is_text);
}

TEST(Deflate, UncompressedMessagesMixWithCompressedOnes) {
  Server server;
  TestDeflater deflater;
  server.feed(encode(data_frame(OPCODE_TEXT, bytes("plain"), false)));
  server.feed(encode(data_frame(OPCODE_TEXT, deflater.message(bytes("packed")), true)));
  const auto messages = server.drain();
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0].data, "plain");
  EXPECT_EQ(messages[1].data, "packed");
}

TEST(Deflate, Rsv1OnAContinuationOrControlFrameIsAProtocolError) {
  for (const uint8_t opcode : {OPCODE_CONTINUATION, OPCODE_PING, OPCODE_CLOSE}) {
    Server server;
    if (opcode == OPCODE_CONTINUATION) {
      server.feed(encode(data_frame(OPCODE_TEXT, bytes("a"), false, false)));
    }
    RawFrame f = data_frame(opcode, {}, true);
    server.feed(encode(f));
    EXPECT_TRUE(server.protocol().failed()) << int(opcode);
    EXPECT_EQ(server.protocol().failure_code(), kCloseProtocolError);
  }
}

TEST(Deflate, Rsv1WithoutTheExtensionAndRsv2AreProtocolErrors) {
  InboundQueue inbound;
  Protocol plain(Role::kServer, &inbound);
  const Bytes wire = encode(data_frame(OPCODE_TEXT, bytes("x"), true));
  plain.receive(wire.data(), wire.size());
  EXPECT_EQ(plain.failure_code(), kCloseProtocolError);

  Server server;
  RawFrame f = data_frame(OPCODE_TEXT, bytes("x"), false);
  f.rsv = 0b010;
  server.feed(encode(f));
  EXPECT_EQ(server.protocol().failure_code(), kCloseProtocolError);
}

TEST(Deflate, AZipBombIsRefusedWith1009BeforeItIsAllocated) {
  constexpr size_t kLimit = 64 * 1024;
  Server server({}, kLimit);
  TestDeflater deflater;
  const Bytes zeros(16 << 20, 0);  // 16 MiB of zeros compress to about 16 KiB
  const Bytes bomb = deflater.message(zeros);
  ASSERT_LT(bomb.size(), 40u * 1024);
  server.feed(encode(data_frame(OPCODE_BINARY, bomb, true)));
  EXPECT_TRUE(server.protocol().failed());
  EXPECT_EQ(server.protocol().failure_code(), kCloseMessageTooBig);
  EXPECT_LE(server.inbound().buffer_capacity(), 2 * kLimit + 2);
  EXPECT_TRUE(server.drain().empty());
}

TEST(Deflate, AMessageOfExactlyTheLimitFits) {
  constexpr size_t kLimit = 10000;
  Server server({}, kLimit);
  TestDeflater deflater;
  server.feed(encode(data_frame(OPCODE_BINARY, deflater.message(Bytes(kLimit, 'a')), true)));
  ASSERT_EQ(server.drain().size(), 1u);
  server.feed(encode(data_frame(OPCODE_BINARY, deflater.message(Bytes(kLimit + 1, 'a')), true)));
  EXPECT_EQ(server.protocol().failure_code(), kCloseMessageTooBig);
}

TEST(Deflate, CorruptDataIsInvalidPayload) {
  Server server;
  server.feed(encode(data_frame(OPCODE_BINARY, Bytes{0xFF, 0xFF, 0xFF, 0xFF, 0x00}, true)));
  EXPECT_TRUE(server.protocol().failed());
  EXPECT_EQ(server.protocol().failure_code(), kCloseInvalidPayload);
  EXPECT_NE(server.protocol().failure_detail().find("cannot be decompressed"), std::string::npos);
}

TEST(Deflate, InvalidUtf8InsideCompressedTextIsInvalidPayload) {
  Server server;
  TestDeflater deflater;
  server.feed(encode(data_frame(OPCODE_TEXT, deflater.message(Bytes{'o', 'k', 0xC3, 0x28}), true)));
  EXPECT_EQ(server.protocol().failure_code(), kCloseInvalidPayload);
}

TEST(Deflate, EveryAgreedWindowSizeDecodesItsPeersMessages) {
  // 9 to 15: zlib cannot compress with 8 bits (no test peer can produce such a stream here).
  for (int bits = 9; bits <= 15; ++bits) {
    DeflateAgreement agreement;
    agreement.client_max_window_bits = bits;
    Server server(agreement);
    TestDeflater deflater(bits);
    const Bytes text = text_of(4000, bits);
    server.feed(encode(data_frame(OPCODE_TEXT, deflater.message(text), true)));
    server.feed(encode(data_frame(OPCODE_TEXT, deflater.message(text), true)));
    const auto messages = server.drain();
    ASSERT_EQ(messages.size(), 2u) << bits;
    EXPECT_EQ(messages[1].data, std::string(text.begin(), text.end()));
  }
}

TEST(Deflate, SendsCompressedMessagesAboveTheThresholdOnly) {
  for (const bool as_client : {false, true}) {
    InboundQueue inbound;
    Protocol sender(as_client ? Role::kClient : Role::kServer, &inbound);
    DeflateOptions options = DeflateOptions::on();
    options.compression_threshold = 100;
    sender.set_compressor(make_zlib_compressor({}, options, !as_client));
    const Bytes big = text_of(5000, 5), small = text_of(50, 6);
    sender.send_message(big.data(), big.size(), true);
    sender.send_message(small.data(), small.size(), true);
    sender.send_message(big.data(), big.size(), false);

    z_stream z{};
    inflateInit2(&z, -15);
    const OutboundQueue& out = sender.outbound();
    size_t pos = 0;
    std::vector<std::pair<bool, Bytes>> frames;  // (RSV1, unmasked payload)
    while (pos < out.size()) {
      const uint8_t* p = out.front().data() + pos;
      FrameHeader header;
      FrameError error;
      ASSERT_EQ(parse_frame_header(p, out.size() - pos, &header, &error, kRsv1), FrameParse::kOk);
      EXPECT_EQ(header.masked, as_client);
      Bytes payload(p + header.header_size, p + header.header_size + header.payload_length);
      for (size_t i = 0; header.masked && i < payload.size(); ++i)
        payload[i] ^= header.mask_key[i % 4];
      frames.push_back({header.rsv == kRsv1, payload});
      pos += header.header_size + header.payload_length;
    }
    ASSERT_EQ(frames.size(), 3u);
    EXPECT_TRUE(frames[0].first);
    EXPECT_LT(frames[0].second.size(), big.size() / 2);
    EXPECT_EQ(test_inflate(&z, frames[0].second), big);
    EXPECT_FALSE(frames[1].first);
    EXPECT_EQ(frames[1].second, small);
    EXPECT_TRUE(frames[2].first);
    EXPECT_EQ(test_inflate(&z, frames[2].second), big);  // with the first message's window
    EXPECT_LT(frames[2].second.size(), frames[0].second.size());
    inflateEnd(&z);
  }
}

TEST(Deflate, AnEightBitWindowForOurSideSendsUncompressed) {
  DeflateAgreement agreement;
  agreement.server_max_window_bits = 8;
  InboundQueue inbound;
  Protocol server(Role::kServer, &inbound);
  server.set_compressor(make_zlib_compressor(agreement, DeflateOptions::on(), true));
  const Bytes big = text_of(5000);
  server.send_message(big.data(), big.size(), true);
  EXPECT_EQ(server.outbound().size(), big.size() + 4);  // header of 4 bytes, payload as is
  EXPECT_EQ(server.outbound().front().data()[0] & 0x40, 0);
}

TEST(Deflate, ClientAndServerEnginesRoundTripEveryKindOfMessage) {
  for (const bool no_takeover : {false, true}) {
    DeflateAgreement agreement;
    agreement.server_no_context_takeover = agreement.client_no_context_takeover = no_takeover;
    agreement.client_max_window_bits = 10;
    InboundQueue client_in, server_in;
    client_in.configure(1 << 20, 4096);
    server_in.configure(1 << 20, 4096);
    Protocol client(Role::kClient, &client_in), server(Role::kServer, &server_in);
    DeflateOptions options = DeflateOptions::on();
    options.compression_threshold = 0;
    client.set_compressor(make_zlib_compressor(agreement, options, false));
    server.set_compressor(make_zlib_compressor(agreement, options, true));
    std::mt19937 random(42);
    for (int i = 0; i < 200; ++i) {
      const size_t size = random() % 3 == 0 ? random() % 70000 : random() % 300;
      Bytes message = i % 2 ? text_of(size, i) : Bytes(size);
      if (i % 2 == 0) {
        for (auto& b : message) b = static_cast<uint8_t>(random() % 7);
      }
      client.send_message(message.data(), message.size(), i % 2);
      // The wire bytes arrive in random pieces.
      OutboundQueue& wire = client.outbound();
      while (!wire.empty()) {
        const size_t piece = std::min<size_t>(wire.size(), 1 + random() % 5000);
        server.receive(wire.front().data(), piece);
        wire.consume(piece);
      }
      const uint8_t* d;
      size_t n;
      bool text;
      ASSERT_TRUE(server_in.pop(&d, &n, &text)) << i;
      ASSERT_EQ(Bytes(d, d + n), message) << i;
      EXPECT_EQ(text, i % 2 == 1);
      server.send_message(d, n, text);  // echo
      client.receive(server.outbound().front().data(), server.outbound().size());
      server.outbound().consume(server.outbound().size());
      ASSERT_TRUE(client_in.pop(&d, &n, &text)) << i;
      ASSERT_EQ(Bytes(d, d + n), message) << i;
      ASSERT_FALSE(client.failed() || server.failed()) << server.failure_detail();
    }
  }
}

TEST(Deflate, IdleConnectionsGiveBackStateOnlyWithoutContextTakeover) {
  for (const bool no_takeover : {false, true}) {
    DeflateAgreement agreement;
    agreement.server_no_context_takeover = agreement.client_no_context_takeover = no_takeover;
    Server server(agreement);
    TestDeflater deflater;
    server.feed(encode(data_frame(OPCODE_TEXT, deflater.message(text_of(1000)), true)));
    ASSERT_EQ(server.drain().size(), 1u);
    const Bytes reply = text_of(1000);
    server.protocol().send_message(reply.data(), reply.size(), true);
    EXPECT_GT(server.protocol().compressor()->memory_held(), 0u);
    server.protocol().release_if_idle();
    if (no_takeover) {
      EXPECT_EQ(server.protocol().compressor()->memory_held(), 0u);
    } else {
      EXPECT_GT(server.protocol().compressor()->memory_held(), 0u);
    }
  }
}

TEST(Deflate, InputLeftAfterOnlyDrainingOutputIsStillDecompressed) {
  // Found by the frame fuzzer: a step of decompression filled its output room, the next only
  // drained what it held back and took no input, and the rest of the input was dropped, so the
  // corrupt data after it went unnoticed when the frame arrived whole but failed when it came in
  // pieces. The verdict must not depend on how the bytes arrive.
  const Bytes wire = {0xc2, 0xf2, 0x0a, 0x0b, 0x0c, 0x0d, 0xe7, 0xca, 0x3d, 0x0c,
                      0x0a, 0x0b, 0x0c, 0xcf, 0xaa, 0xfe, 0x43, 0x60, 0x07, 0x04,
                      0xac, 0x0d, 0x7a, 0x0b, 0x0c, 0x2e, 0x2e, 0x2e, 0x2e, 0x08};
  DeflateAgreement agreement;
  agreement.server_no_context_takeover = true;
  Server whole(agreement, 4366);
  whole.feed(wire);
  Server split(agreement, 4366);
  for (uint8_t byte : wire) split.feed(Bytes{byte});
  EXPECT_TRUE(whole.protocol().failed());
  EXPECT_EQ(whole.protocol().failure_code(), kCloseInvalidPayload);
  EXPECT_TRUE(split.protocol().failed());
  EXPECT_EQ(split.protocol().failure_code(), kCloseInvalidPayload);
}

}  // namespace
}  // namespace wsp
