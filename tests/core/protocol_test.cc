#include "wspeer/core/protocol.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "tests/core/wire.h"
#include "wspeer/core/close_code.h"

namespace wsp {
namespace {

using test::Bytes;
using test::bytes;
using test::close_payload;
using test::concat;
using test::encode;
using test::frame;
using test::RawFrame;

struct Message {
  std::string data;
  bool is_text;
  bool operator==(const Message& o) const { return data == o.data && is_text == o.is_text; }
};

// Decodes frames our engine wrote (test-side, independent decoder).
struct OutFrame {
  uint8_t opcode;
  bool fin;
  bool masked;
  Bytes payload;
};

std::vector<OutFrame> decode_all(const uint8_t* p, size_t n) {
  std::vector<OutFrame> frames;
  size_t i = 0;
  while (i < n) {
    OutFrame f;
    f.fin = p[i] & 0x80;
    f.opcode = p[i] & 0xF;
    f.masked = p[i + 1] & 0x80;
    uint64_t len = p[i + 1] & 0x7F;
    i += 2;
    if (len == 126) {
      len = (p[i] << 8) | p[i + 1];
      i += 2;
    } else if (len == 127) {
      len = 0;
      for (int k = 0; k < 8; ++k) len = (len << 8) | p[i + k];
      i += 8;
    }
    uint8_t key[4] = {0, 0, 0, 0};
    if (f.masked) {
      std::copy(p + i, p + i + 4, key);
      i += 4;
    }
    for (uint64_t k = 0; k < len; ++k) f.payload.push_back(p[i + k] ^ key[k % 4]);
    i += len;
    frames.push_back(std::move(f));
  }
  return frames;
}

class Endpoint {
 public:
  explicit Endpoint(Role role, size_t max_message = 1 << 20, size_t max_packets = 4096)
      : protocol_(role, &inbound_) {
    inbound_.configure(max_message, max_packets);
  }

  void feed(const Bytes& data) { protocol_.receive(data.data(), data.size()); }
  void feed_split(const Bytes& data, const std::vector<size_t>& cuts) {
    size_t start = 0;
    for (size_t cut : cuts) {
      protocol_.receive(data.data() + start, cut - start);
      start = cut;
    }
    protocol_.receive(data.data() + start, data.size() - start);
  }

  std::vector<Message> drain() {
    std::vector<Message> out;
    const uint8_t* d;
    size_t n;
    bool t;
    while (inbound_.pop(&d, &n, &t)) {
      out.push_back({std::string(reinterpret_cast<const char*>(d), n), t});
      protocol_.resume();
    }
    return out;
  }

  // Like a backend: the owed close reply goes out when output is written.
  std::vector<OutFrame> sent() {
    protocol_.send_close_reply();
    auto frames = decode_all(protocol_.outbound().front().data(), protocol_.outbound().size());
    protocol_.outbound().consume(protocol_.outbound().size());
    return frames;
  }

  Protocol& protocol() { return protocol_; }
  InboundQueue& inbound() { return inbound_; }

 private:
  InboundQueue inbound_;
  Protocol protocol_;
};

RawFrame masked(RawFrame f) {
  f.masked = true;
  return f;
}

// ---------------------------------------------------------------------------------------------
// RFC 6455 §5.7 examples

TEST(Protocol, Rfc6455Examples) {
  Endpoint client(Role::kClient);
  client.feed({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
  client.feed({0x01, 0x03, 0x48, 0x65, 0x6c});
  client.feed({0x80, 0x02, 0x6c, 0x6f});
  EXPECT_EQ(client.drain(), (std::vector<Message>{{"Hello", true}, {"Hello", true}}));

  Endpoint server(Role::kServer);
  server.feed({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  EXPECT_EQ(server.drain(), (std::vector<Message>{{"Hello", true}}));

  // An unmasked ping to a client is answered with a masked pong carrying the same payload.
  client.feed({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
  auto out = client.sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].opcode, OPCODE_PONG);
  EXPECT_TRUE(out[0].masked);
  EXPECT_EQ(out[0].payload, bytes("Hello"));

  Bytes b256 = {0x82, 0x7E, 0x01, 0x00};
  b256.resize(4 + 256, 0xAB);
  client.feed(b256);
  Bytes b64k = {0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0};
  b64k.resize(10 + 65536, 0xCD);
  client.feed(b64k);
  auto msgs = client.drain();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].data, std::string(256, '\xAB'));
  EXPECT_FALSE(msgs[0].is_text);
  EXPECT_EQ(msgs[1].data.size(), 65536u);
}

// ---------------------------------------------------------------------------------------------
// Any split of the input gives the same result.

struct Outcome {
  std::vector<Message> messages;
  size_t pings = 0, pongs = 0;
  bool close_received = false, failed = false;
  int code = 0;
  std::vector<std::pair<uint8_t, Bytes>> replies;
  bool operator==(const Outcome& o) const {
    return messages == o.messages && pings == o.pings && pongs == o.pongs &&
           close_received == o.close_received && failed == o.failed && code == o.code &&
           replies == o.replies;
  }
};

Outcome run(Role role, const Bytes& wire, const std::vector<size_t>& cuts, size_t max_message) {
  Endpoint e(role, max_message);
  e.feed_split(wire, cuts);
  Outcome o;
  o.messages = e.drain();
  auto events = e.protocol().take_events();
  o.pings = events.pings;
  o.pongs = events.pongs;
  o.close_received = e.protocol().close_received();
  o.failed = e.protocol().failed();
  o.code = o.failed ? e.protocol().failure_code() : e.protocol().received_close_code();
  for (auto& f : e.sent()) o.replies.push_back({f.opcode, f.payload});
  return o;
}

Bytes conversation(bool to_server) {
  auto m = [&](RawFrame f) {
    f.masked = to_server;
    return encode(f);
  };
  Bytes big(300, 'b');
  return concat({
      m(frame(OPCODE_TEXT, bytes("hello"))),
      m(frame(OPCODE_TEXT, bytes("fr\xc3"), false)),  // a code point split across fragments
      m(frame(OPCODE_PING, bytes("p1"))),
      m(frame(OPCODE_CONTINUATION, bytes("\xa9g-"), false)),
      m(frame(OPCODE_PONG, bytes("unsolicited"))),
      m(frame(OPCODE_CONTINUATION, bytes("end"), true)),
      m(frame(OPCODE_BINARY, big)),
      m(frame(OPCODE_BINARY, Bytes(70000, 'x'))),
      m(frame(OPCODE_TEXT, {})),
      m(frame(OPCODE_CLOSE, close_payload(1001, "bye"))),
      m(frame(OPCODE_TEXT, bytes("ignored after close"))),
  });
}

TEST(Protocol, SameResultForEverySingleSplitPoint) {
  for (Role role : {Role::kServer, Role::kClient}) {
    const Bytes wire = conversation(role == Role::kServer);
    const Outcome whole = run(role, wire, {}, 1 << 20);
    ASSERT_EQ(whole.messages.size(), 5u);
    EXPECT_EQ(whole.messages[1].data, "fr\xc3\xa9g-end");
    EXPECT_EQ(whole.pings, 1u);
    EXPECT_EQ(whole.pongs, 1u);
    EXPECT_TRUE(whole.close_received);
    EXPECT_EQ(whole.code, 1001);
    for (size_t cut = 0; cut <= wire.size(); ++cut) {
      // Splits inside the 70000-byte payload are equivalent; sample them.
      if (cut > 400 && cut < wire.size() - 200 && cut % 997 != 0) continue;
      ASSERT_EQ(run(role, wire, {cut}, 1 << 20), whole) << "cut at " << cut;
    }
  }
}

TEST(Protocol, SameResultOneByteAtATimeAndInRandomPieces) {
  const Bytes wire = conversation(true);
  const Outcome whole = run(Role::kServer, wire, {}, 1 << 20);
  std::vector<size_t> every;
  for (size_t i = 1; i < wire.size(); ++i) every.push_back(i);
  EXPECT_EQ(run(Role::kServer, wire, every, 1 << 20), whole);
  std::mt19937 rng(42);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<size_t> cuts;
    for (size_t pos = rng() % 20; pos < wire.size(); pos += 1 + rng() % 200) cuts.push_back(pos);
    EXPECT_EQ(run(Role::kServer, wire, cuts, 1 << 20), whole) << trial;
  }
}

// ---------------------------------------------------------------------------------------------
// Violations close with the right code, and a close frame with that code is queued.

struct Violation {
  const char* name;
  Role role;
  Bytes wire;
  int code;
};

std::vector<Violation> violations() {
  std::vector<Violation> v;
  auto S = Role::kServer;
  auto C = Role::kClient;
  auto to_server = [](RawFrame f) { return encode(masked(std::move(f))); };
  v.push_back({"unmasked frame to server", S, encode(frame(OPCODE_TEXT, bytes("x"))), 1002});
  v.push_back({"masked frame to client", C, to_server(frame(OPCODE_TEXT, bytes("x"))), 1002});
  for (uint8_t rsv = 1; rsv < 8; ++rsv) {
    RawFrame f = frame(OPCODE_TEXT, bytes("x"));
    f.rsv = rsv;
    v.push_back({"reserved bits", C, encode(f), 1002});
  }
  for (uint8_t op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    v.push_back({"reserved opcode", C, encode(frame(op, bytes("x"))), 1002});
  }
  v.push_back({"ping of 126 bytes", C, encode(frame(OPCODE_PING, Bytes(126, 'p'))), 1002});
  v.push_back({"fragmented ping", C, encode(frame(OPCODE_PING, bytes("p"), false)), 1002});
  v.push_back(
      {"fragmented close", C, encode(frame(OPCODE_CLOSE, close_payload(1000), false)), 1002});
  {
    RawFrame f = frame(OPCODE_BINARY, Bytes(10, 'x'));
    f.length_form = 126;
    v.push_back({"non-minimal 16-bit length", C, encode(f), 1002});
    f.length_form = 127;
    v.push_back({"non-minimal 64-bit length", C, encode(f), 1002});
  }
  v.push_back({"64-bit length with top bit", C, {0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 1}, 1002});
  v.push_back(
      {"continuation without start", C, encode(frame(OPCODE_CONTINUATION, bytes("x"))), 1002});
  v.push_back({"text inside fragmented message", C,
               concat({encode(frame(OPCODE_TEXT, bytes("a"), false)),
                       encode(frame(OPCODE_TEXT, bytes("b")))}),
               1002});
  v.push_back({"binary inside fragmented message", C,
               concat({encode(frame(OPCODE_BINARY, bytes("a"), false)),
                       encode(frame(OPCODE_BINARY, bytes("b")))}),
               1002});
  v.push_back({"invalid UTF-8", C, encode(frame(OPCODE_TEXT, {'a', 0xff, 'b'})), 1007});
  v.push_back({"invalid UTF-8 across fragments", C,
               concat({encode(frame(OPCODE_TEXT, {'a', 0xe2}, false)),
                       encode(frame(OPCODE_CONTINUATION, {0x28, 0xa1}))}),
               1007});
  v.push_back({"truncated UTF-8 at end", C, encode(frame(OPCODE_TEXT, {'a', 0xe2, 0x82})), 1007});
  v.push_back({"surrogate in text", S, to_server(frame(OPCODE_TEXT, {0xed, 0xa0, 0x80})), 1007});
  v.push_back({"close with 1-byte payload", C, encode(frame(OPCODE_CLOSE, {0x03})), 1002});
  for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
    v.push_back({"invalid close code", C, encode(frame(OPCODE_CLOSE, close_payload(code))), 1002});
  }
  {
    Bytes reason = close_payload(1000);
    reason.push_back(0xc0);
    reason.push_back(0x80);
    v.push_back({"invalid UTF-8 close reason", C, encode(frame(OPCODE_CLOSE, reason)), 1007});
  }
  v.push_back({"message too big", C, encode(frame(OPCODE_BINARY, Bytes(1001, 'x'))), 1009});
  v.push_back({"fragmented message too big", C,
               concat({encode(frame(OPCODE_BINARY, Bytes(600, 'x'), false)),
                       encode(frame(OPCODE_CONTINUATION, Bytes(401, 'x')))}),
               1009});
  v.push_back({"2^63-1 byte frame announced",
               C,
               {0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF},
               1009});
  return v;
}

TEST(Protocol, EveryViolationFailsWithTheRightCloseCode) {
  for (const Violation& v : violations()) {
    for (bool one_byte_at_a_time : {false, true}) {
      Endpoint e(v.role, 1000);
      if (one_byte_at_a_time) {
        for (uint8_t b : v.wire) e.feed({b});
      } else {
        e.feed(v.wire);
      }
      EXPECT_TRUE(e.protocol().failed()) << v.name;
      EXPECT_EQ(e.protocol().failure_code(), v.code) << v.name;
      EXPECT_FALSE(e.protocol().failure_reason().empty()) << v.name;
      EXPECT_TRUE(e.protocol().input_finished());
      EXPECT_FALSE(e.protocol().wants_input());
      auto out = e.sent();
      ASSERT_EQ(out.size(), 1u) << v.name;
      EXPECT_EQ(out[0].opcode, OPCODE_CLOSE);
      ASSERT_GE(out[0].payload.size(), 2u);
      EXPECT_EQ((out[0].payload[0] << 8) | out[0].payload[1], v.code) << v.name;
      EXPECT_EQ(out[0].masked, v.role == Role::kClient);
      EXPECT_EQ(e.inbound().count(), 0u) << v.name;
    }
  }
}

TEST(Protocol, FailsFastBeforeTheRestOfABadTextFrameArrives) {
  Endpoint e(Role::kClient);
  RawFrame f = frame(OPCODE_TEXT, Bytes(10000, 'a'));
  f.payload[20] = 0xff;
  const Bytes wire = encode(f);
  e.feed(Bytes(wire.begin(), wire.begin() + 4 + 21));  // header + up to the bad byte
  EXPECT_TRUE(e.protocol().failed());
  EXPECT_EQ(e.protocol().failure_code(), 1007);
}

TEST(Protocol, ValidCloseCodesAreAcceptedAndEchoed) {
  std::vector<int> codes;
  for (int c = 1000; c <= 1003; ++c) codes.push_back(c);
  for (int c = 1007; c <= 1014; ++c) codes.push_back(c);
  codes.insert(codes.end(), {3000, 3999, 4000, 4999});
  for (int code : codes) {
    Endpoint e(Role::kClient);
    e.feed(encode(frame(OPCODE_CLOSE, close_payload(code, "why"))));
    EXPECT_TRUE(e.protocol().close_received()) << code;
    EXPECT_FALSE(e.protocol().failed()) << code;
    EXPECT_EQ(e.protocol().received_close_code(), code);
    EXPECT_EQ(e.protocol().received_close_reason(), "why");
    auto out = e.sent();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].opcode, OPCODE_CLOSE);
    EXPECT_EQ(out[0].payload, close_payload(code)) << "echo of the code";
  }
}

TEST(Protocol, EmptyCloseReportsNoStatusAndIsAnsweredEmpty) {
  Endpoint e(Role::kServer);
  e.feed(encode(masked(frame(OPCODE_CLOSE, {}))));
  EXPECT_EQ(e.protocol().received_close_code(), kCloseNoStatus);
  auto out = e.sent();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].payload.empty());
  EXPECT_FALSE(out[0].masked);
}

TEST(Protocol, MaxLengthCloseReasonIsAccepted) {
  Endpoint e(Role::kClient);
  e.feed(encode(frame(OPCODE_CLOSE, close_payload(1000, std::string(123, 'r')))));
  EXPECT_TRUE(e.protocol().close_received());
  EXPECT_EQ(e.protocol().received_close_reason().size(), 123u);
}

TEST(Protocol, CompleteMessagesBeforeACloseSurviveAndLaterFramesAreIgnored) {
  Endpoint e(Role::kClient);
  e.feed(
      concat({encode(frame(OPCODE_TEXT, bytes("one"))), encode(frame(OPCODE_BINARY, bytes("two"))),
              encode(frame(OPCODE_TEXT, bytes("cut"), false)),
              encode(frame(OPCODE_CLOSE, close_payload(1000))),
              encode(frame(OPCODE_TEXT, bytes("late"))), encode(frame(OPCODE_PING, {}))}));
  EXPECT_EQ(e.drain(), (std::vector<Message>{{"one", true}, {"two", false}}));
  auto out = e.sent();
  ASSERT_EQ(out.size(), 1u) << "no pong after the close";
}

TEST(Protocol, ControlFramesBetweenFragmentsNeverMixIntoData) {
  Endpoint e(Role::kServer);
  auto m = [](RawFrame f) { return encode(masked(std::move(f))); };
  e.feed(concat(
      {m(frame(OPCODE_BINARY, bytes("AAAA"), false)), m(frame(OPCODE_PING, bytes("ping!"))),
       m(frame(OPCODE_CONTINUATION, bytes("BBBB"), false)), m(frame(OPCODE_PONG, bytes("pong!"))),
       m(frame(OPCODE_PING, {})), m(frame(OPCODE_CONTINUATION, bytes("CC"), true))}));
  EXPECT_EQ(e.drain(), (std::vector<Message>{{"AAAABBBBCC", false}}));
  auto out = e.sent();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].payload, bytes("ping!"));
  EXPECT_EQ(out[1].payload, Bytes());
}

TEST(Protocol, AControlFramesBufferIsHeldOnlyWhileItCanBeNeeded) {
  Endpoint e(Role::kServer);
  auto m = [](RawFrame f) { return encode(masked(std::move(f))); };
  EXPECT_FALSE(e.protocol().holds_releasable_memory());  // an idle engine holds none
  e.feed(m(frame(OPCODE_PING, {})));
  EXPECT_FALSE(e.protocol().holds_releasable_memory());  // an empty ping needs none
  // A ping split in two: the buffer keeps its first half through an idle release.
  const Bytes ping = m(frame(OPCODE_PING, bytes("split ping")));
  e.feed(Bytes(ping.begin(), ping.begin() + 9));
  EXPECT_TRUE(e.protocol().holds_releasable_memory());
  e.protocol().release_if_idle();
  e.feed(Bytes(ping.begin() + 9, ping.end()));
  e.protocol().release_if_idle();
  EXPECT_FALSE(e.protocol().holds_releasable_memory());
  e.feed(m(frame(OPCODE_PING, bytes("again"))));  // allocated anew when needed
  auto out = e.sent();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[1].payload, bytes("split ping"));
  EXPECT_EQ(out[2].payload, bytes("again"));
}

TEST(Protocol, ThousandsOfTinyFragments) {
  Endpoint e(Role::kClient, 1 << 20);
  Bytes wire = encode(frame(OPCODE_TEXT, bytes("x"), false));
  std::string expected = "x";
  for (int i = 0; i < 5000; ++i) {
    Bytes part = encode(frame(OPCODE_CONTINUATION, bytes(i % 2 ? "\xc3\xa9" : "y"), false));
    wire.insert(wire.end(), part.begin(), part.end());
    expected += i % 2 ? "\xc3\xa9" : "y";
  }
  Bytes last = encode(frame(OPCODE_CONTINUATION, {}, true));
  wire.insert(wire.end(), last.begin(), last.end());
  e.feed(wire);
  EXPECT_EQ(e.drain(), (std::vector<Message>{{expected, true}}));
}

// ---------------------------------------------------------------------------------------------
// Back-pressure and bounds

TEST(Protocol, FullQueueParksInputAndResumesWithoutLosingAnything) {
  Endpoint e(Role::kClient, 1000, 2);
  Bytes wire;
  for (int i = 0; i < 6; ++i) {
    Bytes f = encode(frame(OPCODE_TEXT, bytes("m" + std::to_string(i))));
    wire.insert(wire.end(), f.begin(), f.end());
  }
  e.feed(wire);
  EXPECT_EQ(e.inbound().count(), 2u);
  EXPECT_FALSE(e.protocol().wants_input());
  EXPECT_TRUE(e.protocol().has_parked_input());
  auto all = e.drain();  // drain() resumes after every pop
  ASSERT_EQ(all.size(), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(all[i].data, "m" + std::to_string(i));
  EXPECT_TRUE(e.protocol().wants_input());
}

// As a connection ends, parked messages are queued whatever the count limit (nothing received
// is lost), but only until the byte allowance is used: compressed input could inflate without
// bound.
TEST(Protocol, DrainingParkedInputIgnoresTheCountLimitButStopsAtTheAllowance) {
  Endpoint e(Role::kClient, 1000, 2);
  Bytes wire;
  for (int i = 0; i < 8; ++i) {
    Bytes f = encode(frame(OPCODE_BINARY, Bytes(40, static_cast<uint8_t>('0' + i))));
    wire.insert(wire.end(), f.begin(), f.end());
  }
  e.feed(wire);
  ASSERT_EQ(e.inbound().count(), 2u);
  ASSERT_TRUE(e.protocol().has_parked_input());
  EXPECT_EQ(e.protocol().drain_parked(100), 3u * 42) << "three 42-byte frames left undecoded";
  EXPECT_EQ(e.inbound().count(), 5u) << "80 + 40 + 40 + 40 crosses 80 + 100 at the fifth";
  EXPECT_FALSE(e.protocol().has_parked_input()) << "the rest is dropped";

  Endpoint all(Role::kClient, 1000, 2);
  all.feed(wire);
  EXPECT_EQ(all.protocol().drain_parked(6 * 40), 0u);
  EXPECT_EQ(all.drain().size(), 8u);
}

TEST(Protocol, QueuedBytesAtTheLimitStopInput) {
  Endpoint e(Role::kClient, 100, 4096);
  e.feed(encode(frame(OPCODE_BINARY, Bytes(100, 'a'))));
  EXPECT_FALSE(e.protocol().wants_input()) << "100 bytes queued reach the 100-byte budget";
  e.feed(encode(frame(OPCODE_BINARY, Bytes(5, 'b'))));
  EXPECT_EQ(e.inbound().count(), 1u);
  EXPECT_EQ(e.drain().size(), 2u);
}

TEST(Protocol, PingFloodWithoutReadingStopsInput) {
  Endpoint e(Role::kServer);
  const Bytes ping = encode(masked(frame(OPCODE_PING, Bytes(125, 'p'))));
  int fed = 0;
  while (e.protocol().wants_input() && fed < 10000) {
    e.feed(ping);
    ++fed;
  }
  EXPECT_LT(fed, 10000) << "input never stopped";
  EXPECT_LE(e.protocol().outbound().size(), 70000u);
  e.protocol().outbound().consume(e.protocol().outbound().size());
  EXPECT_TRUE(e.protocol().wants_input());
}

// ---------------------------------------------------------------------------------------------
// Sending

TEST(Protocol, SendsMaskedAsClientAndUnmaskedAsServer) {
  for (Role role : {Role::kClient, Role::kServer}) {
    Endpoint e(role);
    ASSERT_EQ(e.protocol().send_message(reinterpret_cast<const uint8_t*>("hey"), 3, true), OK);
    Bytes big(70000, 'z');
    ASSERT_EQ(e.protocol().send_message(big.data(), big.size(), false), OK);
    ASSERT_EQ(e.protocol().send_ping(reinterpret_cast<const uint8_t*>("p"), 1), OK);
    ASSERT_EQ(e.protocol().send_close(1000, "done"), OK);
    EXPECT_EQ(e.protocol().send_message(big.data(), 1, false), FAILED) << "nothing after close";
    auto out = e.sent();
    ASSERT_EQ(out.size(), 4u);
    for (auto& f : out) EXPECT_EQ(f.masked, role == Role::kClient);
    EXPECT_EQ(out[0].opcode, OPCODE_TEXT);
    EXPECT_EQ(out[0].payload, bytes("hey"));
    EXPECT_EQ(out[1].payload, big);
    EXPECT_EQ(out[2].opcode, OPCODE_PING);
    EXPECT_EQ(out[3].opcode, OPCODE_CLOSE);
    EXPECT_EQ(out[3].payload, close_payload(1000, "done"));
  }
  Endpoint e(Role::kClient);
  Bytes big_ping(126, 'p');
  EXPECT_EQ(e.protocol().send_ping(big_ping.data(), big_ping.size()), ERR_INVALID_PARAMETER);
}

TEST(Protocol, CloseReplyWaitsSoEarlierMessagesCanBeAnswered) {
  Endpoint e(Role::kServer);
  auto m = [](RawFrame f) { return encode(masked(std::move(f))); };
  e.feed(concat({m(frame(OPCODE_TEXT, bytes("question"))), m(frame(OPCODE_TEXT, bytes("x"), false)),
                 m(frame(OPCODE_BINARY, bytes("bad")))}));
  EXPECT_TRUE(e.protocol().failed());
  EXPECT_TRUE(e.protocol().close_reply_pending());
  EXPECT_TRUE(e.protocol().outbound().empty()) << "the close reply is not queued yet";
  ASSERT_EQ(e.protocol().send_message(reinterpret_cast<const uint8_t*>("answer"), 6, true), OK);
  auto out = e.sent();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].payload, bytes("answer")) << "the answer goes out before the close";
  EXPECT_EQ(out[1].opcode, OPCODE_CLOSE);
  EXPECT_EQ((out[1].payload[0] << 8) | out[1].payload[1], 1002);
  EXPECT_FALSE(e.protocol().close_reply_pending());

  // An application close while a failure reply is pending sends the failure code.
  Endpoint f(Role::kServer);
  f.feed(encode(frame(OPCODE_TEXT, bytes("unmasked"))));
  ASSERT_EQ(f.protocol().send_close(1000, "bye"), OK);
  auto closing = f.sent();
  ASSERT_EQ(closing.size(), 1u);
  EXPECT_EQ((closing[0].payload[0] << 8) | closing[0].payload[1], 1002);
}

TEST(Protocol, LocalCloseThenPeerCloseCompletesTheHandshake) {
  Endpoint e(Role::kClient);
  ASSERT_EQ(e.protocol().send_close(1000, ""), OK);
  EXPECT_FALSE(e.protocol().close_sent());
  e.sent();
  EXPECT_TRUE(e.protocol().close_sent());
  // Data still arriving while closing is kept.
  e.feed(encode(frame(OPCODE_TEXT, bytes("late but complete"))));
  e.feed(encode(frame(OPCODE_CLOSE, close_payload(1000))));
  EXPECT_TRUE(e.protocol().close_received());
  EXPECT_TRUE(e.sent().empty()) << "no second close frame";
  EXPECT_EQ(e.drain().size(), 1u);
}

}  // namespace
}  // namespace wsp
