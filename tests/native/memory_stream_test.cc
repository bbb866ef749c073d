// The server peer over an in-memory transport: the handshake and frames split at every byte,
// writes that take one byte at a time, and a transport failure at every step.
#include "tests/native/memory_stream.h"

#include <gtest/gtest.h>

#include "tests/native/raw_peer.h"
#include "wspeer/core/websocket_peer.h"

namespace wsp {
namespace {

using test::MemoryStream;

struct Outcome {
  WebSocketPeer::State state;
  int close_code;
  std::vector<std::string> messages;
  std::string path;
  bool operator==(const Outcome& o) const {
    return state == o.state && close_code == o.close_code && messages == o.messages &&
           path == o.path;
  }
};

const std::string& conversation() {
  static const std::string wire =
      test::upgrade_request("/split?x=1", "Sec-WebSocket-Protocol: chat\r\n") +
      test::client_frame(1, "first") + test::client_frame(9, "ping") +
      test::client_frame(2, std::string(300, 'b')) +
      test::client_frame(8, test::close_frame_payload(1000, "done"));
  return wire;
}

Outcome serve(const std::string& pre_read, size_t first_cut, size_t read_chunk) {
  auto stream = std::make_shared<MemoryStream>();
  stream->set_read_chunk(read_chunk);
  auto peer = WebSocketPeer::create();
  peer->set_supported_protocols({"chat"});
  EXPECT_EQ(peer->accept_stream(stream, pre_read), OK);
  const std::string& wire = conversation();
  const std::string rest = wire.substr(pre_read.size());
  stream->deliver(rest.substr(0, first_cut));
  for (int i = 0; i < 5000 && peer->get_ready_state() != WebSocketPeer::STATE_CLOSED; ++i) {
    peer->poll();
    if (i == 2) stream->deliver(rest.substr(first_cut));
  }
  Outcome outcome{peer->get_ready_state(), peer->get_close_code(), {}, peer->get_request_path()};
  while (peer->get_available_packet_count() > 0) {
    auto packet = peer->get_packet();
    outcome.messages.emplace_back(packet.begin(), packet.end());
  }
  return outcome;
}

TEST(MemoryStream, EverySplitOfHandshakeAndFramesGivesTheSameResult) {
  const Outcome whole = serve("", conversation().size(), SIZE_MAX);
  ASSERT_EQ(whole.state, WebSocketPeer::STATE_CLOSED);
  EXPECT_EQ(whole.close_code, 1000);
  EXPECT_EQ(whole.path, "/split?x=1");
  ASSERT_EQ(whole.messages.size(), 2u);
  for (size_t cut = 0; cut <= conversation().size(); ++cut) {
    ASSERT_EQ(serve("", cut, SIZE_MAX), whole) << "split at " << cut;
  }
}

TEST(MemoryStream, OneByteReadsAndEveryPreReadLength) {
  const Outcome whole = serve("", conversation().size(), SIZE_MAX);
  EXPECT_EQ(serve("", 0, 1), whole);
  const size_t head =
      test::upgrade_request("/split?x=1", "Sec-WebSocket-Protocol: chat\r\n").size();
  for (size_t pre = 0; pre <= head + 10; ++pre) {
    ASSERT_EQ(serve(conversation().substr(0, pre), 0, 7), whole) << "pre-read " << pre;
  }
}

TEST(MemoryStream, WritesThatTakeOneByteAtATimeStillDeliverEverything) {
  auto stream = std::make_shared<MemoryStream>();
  stream->set_write_chunk(1);
  auto peer = WebSocketPeer::create();
  ASSERT_EQ(peer->accept_stream(stream), OK);
  stream->deliver(test::upgrade_request());
  for (int i = 0; i < 1000 && peer->get_ready_state() != WebSocketPeer::STATE_OPEN; ++i)
    peer->poll();
  ASSERT_EQ(peer->get_ready_state(), WebSocketPeer::STATE_OPEN);
  ASSERT_EQ(peer->send_text("one"), OK);
  ASSERT_EQ(peer->send_text("two"), OK);
  ASSERT_EQ(peer->close(1000, "x"), OK);
  for (int i = 0; i < 1000; ++i) peer->poll();
  const std::string& out = stream->written();
  const size_t frames_start = out.find("\r\n\r\n") + 4;
  auto frames = test::decode_frames(out.substr(frames_start));
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].payload, "one");
  EXPECT_EQ(frames[1].payload, "two");
  EXPECT_EQ(frames[2].opcode, 8);
}

// A transport whose scattered writes take only part of what is offered.
class ShortWriteStream : public MemoryStream {
 public:
  Error put_partial_data_v(const ConstBuffer* parts, int count, size_t* sent) override {
    *sent = 0;
    size_t budget = 5;
    for (int i = 0; i < count && budget > 0; ++i) {
      const size_t take = std::min(budget, parts[i].size);
      int taken = 0;
      put_partial_data(parts[i].data, static_cast<int>(take), &taken);
      *sent += static_cast<size_t>(taken);
      budget -= take;
    }
    return OK;
  }
};

TEST(MemoryStream, DirectWritesQueueWhatTheTransportDidNotTake) {
  auto stream = std::make_shared<ShortWriteStream>();
  auto peer = WebSocketPeer::create();
  ASSERT_EQ(peer->accept_stream(stream), OK);
  stream->deliver(test::upgrade_request());
  for (int i = 0; i < 100 && peer->get_ready_state() != WebSocketPeer::STATE_OPEN; ++i)
    peer->poll();
  ASSERT_EQ(peer->get_ready_state(), WebSocketPeer::STATE_OPEN);
  const std::string big(1000, 'q');
  ASSERT_EQ(peer->send_text(big), OK);  // 5 bytes go out directly, the rest is queued
  EXPECT_GT(peer->get_current_outbound_buffered_amount(), 0);
  ASSERT_EQ(peer->send_text("after"), OK);  // must not overtake the queued remainder
  for (int i = 0; i < 100; ++i) peer->poll();
  EXPECT_EQ(peer->get_current_outbound_buffered_amount(), 0);
  const std::string& out = stream->written();
  auto frames = test::decode_frames(out.substr(out.find("\r\n\r\n") + 4));
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].payload, big);
  EXPECT_EQ(frames[1].payload, "after");
}

TEST(MemoryStream, TransportFailureAtEveryStepEndsCleanlyReported) {
  for (int failing_write = 1; failing_write <= 4; ++failing_write) {
    for (int failing_read = 0; failing_read <= 6; ++failing_read) {
      auto stream = std::make_shared<MemoryStream>();
      stream->set_read_chunk(16);
      stream->set_write_chunk(8);
      stream->fail_write_at(failing_write);
      stream->fail_read_at(failing_read);
      auto peer = WebSocketPeer::create();
      ASSERT_EQ(peer->accept_stream(stream), OK);
      stream->deliver(conversation());
      for (int i = 0; i < 2000 && peer->get_ready_state() != WebSocketPeer::STATE_CLOSED; ++i) {
        peer->poll();
        if (peer->get_ready_state() == WebSocketPeer::STATE_OPEN) peer->send_text("reply");
      }
      EXPECT_EQ(peer->get_ready_state(), WebSocketPeer::STATE_CLOSED)
          << "write " << failing_write << " read " << failing_read;
      EXPECT_FALSE(peer->get_last_error().empty());
    }
  }
}

TEST(MemoryStream, EndOfStreamDuringHandshakeAndMidFrame) {
  for (size_t keep = 0; keep < conversation().size(); keep += 13) {
    auto stream = std::make_shared<MemoryStream>();
    auto peer = WebSocketPeer::create();
    ASSERT_EQ(peer->accept_stream(stream), OK);
    stream->deliver(conversation().substr(0, keep));
    stream->end_of_stream();
    for (int i = 0; i < 100 && peer->get_ready_state() != WebSocketPeer::STATE_CLOSED; ++i)
      peer->poll();
    ASSERT_EQ(peer->get_ready_state(), WebSocketPeer::STATE_CLOSED) << keep;
    EXPECT_EQ(peer->get_close_code(), -1) << keep;
  }
}

}  // namespace
}  // namespace wsp
