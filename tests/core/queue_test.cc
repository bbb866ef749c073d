#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "wspeer/core/byte_buffer.h"
#include "wspeer/core/inbound_queue.h"
#include "wspeer/core/outbound_queue.h"
#include "wspeer/core/prepared_message.h"
#include "wspeer/core/ring_queue.h"

namespace wsp {
namespace {

std::string pop_string(InboundQueue& q, bool* is_text = nullptr) {
  const uint8_t* data;
  size_t size;
  bool text;
  if (!q.pop(&data, &size, &text)) return "<none>";
  if (is_text) *is_text = text;
  return std::string(reinterpret_cast<const char*>(data), size);
}

TEST(InboundQueue, OwnsNoMemoryUntilUsedAndGivesItBack) {
  InboundQueue q;
  q.configure(1000, 10);
  EXPECT_EQ(q.count(), 0u);
  ASSERT_TRUE(q.push(reinterpret_cast<const uint8_t*>("abc"), 3, true));
  bool text = false;
  EXPECT_EQ(pop_string(q, &text), "abc");
  EXPECT_TRUE(text);
  q.release_if_idle();
  // After release the queue works again from scratch.
  ASSERT_TRUE(q.push(reinterpret_cast<const uint8_t*>("z"), 1, false));
  EXPECT_EQ(pop_string(q, &text), "z");
  EXPECT_FALSE(text);
}

TEST(InboundQueue, KeepsOrderAndTypesAcrossGrowthAndCompaction) {
  InboundQueue q;
  q.configure(1 << 20, 100000);
  int next_pop = 0;
  for (int i = 0; i < 5000; ++i) {
    const std::string msg = "message-" + std::to_string(i) + std::string(i % 300, 'x');
    ASSERT_TRUE(q.push(reinterpret_cast<const uint8_t*>(msg.data()), msg.size(), i % 2 == 0));
    if (i % 3 == 0) {
      bool text;
      const std::string got = pop_string(q, &text);
      EXPECT_EQ(got, "message-" + std::to_string(next_pop) + std::string(next_pop % 300, 'x'));
      EXPECT_EQ(text, next_pop % 2 == 0);
      ++next_pop;
    }
  }
  while (q.count() > 0) {
    EXPECT_EQ(pop_string(q),
              "message-" + std::to_string(next_pop) + std::string(next_pop % 300, 'x'));
    ++next_pop;
  }
  EXPECT_EQ(next_pop, 5000);
}

TEST(InboundQueue, FullByCountOrBytesAndRefusesOversizedMessages) {
  InboundQueue q;
  q.configure(10, 2);
  const uint8_t data[11] = {};
  EXPECT_FALSE(q.push(data, 11, false)) << "larger than the maximum message";
  EXPECT_TRUE(q.push(data, 1, false));
  EXPECT_FALSE(q.full());
  EXPECT_TRUE(q.push(data, 1, false));
  EXPECT_TRUE(q.full()) << "two packets queued";
  EXPECT_FALSE(q.push(data, 1, false));
  q.clear();
  EXPECT_TRUE(q.push(data, 10, false));
  EXPECT_TRUE(q.full()) << "queued bytes reached the maximum";
}

TEST(InboundQueue, PartialMessagesAssembleAndDrop) {
  InboundQueue q;
  q.configure(100, 10);
  std::memcpy(q.extend_partial(3), "abc", 3);
  std::memcpy(q.extend_partial(2), "de", 2);
  EXPECT_EQ(q.partial_size(), 5u);
  EXPECT_EQ(q.count(), 0u);
  q.commit_partial(true);
  std::memcpy(q.extend_partial(4), "junk", 4);
  q.drop_partial();
  std::memcpy(q.extend_partial(2), "ok", 2);
  q.commit_partial(false);
  EXPECT_EQ(pop_string(q), "abcde");
  EXPECT_EQ(pop_string(q), "ok");
  EXPECT_EQ(pop_string(q), "<none>");
}

TEST(InboundQueue, CountsCompleteMessagesWhateverThePartialOneHolds) {
  InboundQueue q;
  q.configure(100, 10);
  q.partial_room(40);
  q.commit_partial_room(0);  // room asked for, nothing produced yet: a message is open
  q.release_if_idle();
  EXPECT_TRUE(q.holds_memory()) << "released while a message was open";
  q.commit_partial(true);  // an empty text message: its record, no payload
  EXPECT_EQ(q.count(), 1u);
  EXPECT_EQ(q.queued_bytes(), 0u);
  std::memcpy(q.extend_partial(3), "xyz", 3);
  q.commit_partial(false);
  EXPECT_EQ(q.queued_bytes(), 3u);
  // A message decompressed into room whose final size is known only afterwards.
  std::memcpy(q.partial_room(40), "inflated", 8);
  q.commit_partial_room(8);
  EXPECT_EQ(q.partial_size(), 8u);
  EXPECT_EQ(q.queued_bytes(), 3u) << "the partial message is not queued yet";
  q.drop_partial();
  q.commit_partial(true);
  bool text = false;
  EXPECT_EQ(pop_string(q, &text), "");
  EXPECT_TRUE(text);
  EXPECT_EQ(pop_string(q, &text), "xyz");
  EXPECT_FALSE(text);
  EXPECT_EQ(pop_string(q, &text), "");
  EXPECT_TRUE(text);
  EXPECT_EQ(q.queued_bytes(), 0u);
  q.release_if_idle();
  EXPECT_FALSE(q.holds_memory());
}

TEST(OutboundQueue, AccountsPayloadAndFramesUntilWritten) {
  OutboundQueue q;
  EXPECT_FALSE(q.holds_memory()) << "an idle connection's queue owns nothing";
  const uint8_t payload[300] = {};
  q.append_frame(0x2, true, payload, 300, false);      // 4 + 300 bytes on the wire
  q.append_frame(0x9, true, payload, 5, false, true);  // 2 + 5, automatic
  EXPECT_EQ(q.size(), 311u);
  EXPECT_EQ(q.buffered_payload(), 305u);
  EXPECT_EQ(q.queued_frames(), 2u);
  EXPECT_EQ(q.automatic_bytes(), 7u);
  q.consume(303);
  EXPECT_EQ(q.queued_frames(), 2u) << "first frame not completely written yet";
  q.consume(1);
  EXPECT_EQ(q.queued_frames(), 1u);
  EXPECT_EQ(q.buffered_payload(), 5u);
  q.consume(7);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.buffered_payload(), 0u);
  EXPECT_EQ(q.automatic_bytes(), 0u);
  q.release_if_idle();
  EXPECT_FALSE(q.holds_memory());
  q.append_frame(0x1, true, reinterpret_cast<const uint8_t*>("hi"), 2, false);
  EXPECT_EQ(q.size(), 4u);
  EXPECT_EQ(q.front().data()[0], 0x81);
  EXPECT_EQ(q.front().data()[2], 'h');
}

TEST(OutboundQueue, UnsentRemainderOfADirectWriteIsQueuedInOrder) {
  const uint8_t header[4] = {0x82, 0x7E, 0x01, 0x00};  // 256-byte binary frame
  uint8_t payload[256];
  for (int i = 0; i < 256; ++i) payload[i] = static_cast<uint8_t>(i);
  for (size_t sent : {size_t{0}, size_t{1}, size_t{3}, size_t{4}, size_t{5}, size_t{259}}) {
    OutboundQueue q;
    q.append_unsent(header, 4, payload, 256, sent);
    q.append_frame(0x1, true, reinterpret_cast<const uint8_t*>("next"), 4, false);
    std::string expected(reinterpret_cast<const char*>(header), 4);
    expected.append(reinterpret_cast<const char*>(payload), 256);
    expected = expected.substr(sent) + "\x81\x04next";
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(q.front().data()), q.size()), expected)
        << sent;
    EXPECT_EQ(q.buffered_payload(), 260u) << "the partly written message still counts whole";
    EXPECT_EQ(q.queued_frames(), 2u);
    q.consume(260 - sent);
    EXPECT_EQ(q.queued_frames(), 1u);
    EXPECT_EQ(q.buffered_payload(), 4u);
  }
}

TEST(OutboundQueue, MaskedFramesUseFreshKeys) {
  OutboundQueue q;
  const uint8_t payload[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  q.append_frame(0x2, true, payload, 8, true);
  q.append_frame(0x2, true, payload, 8, true);
  ASSERT_EQ(q.size(), 28u);
  const uint8_t* a = q.front().data();
  const uint8_t* b = q.front().data() + 14;
  EXPECT_EQ(a[1], 0x88);
  EXPECT_NE(std::memcmp(a + 2, b + 2, 4), 0) << "two frames with the same mask key";
  for (int i = 0; i < 8; ++i) EXPECT_EQ(a[6 + i] ^ a[2 + i % 4], payload[i]);
}

// Drains `q` the way a backend does (gather, one scattered write of at most `per_write` bytes).
std::string drain(OutboundQueue& q, size_t per_write, int max_parts) {
  std::string wire;
  while (!q.empty()) {
    ConstBuffer parts[8];
    const int count = q.gather(parts, max_parts);
    size_t taken = 0;
    for (int i = 0; i < count && taken < per_write; ++i) {
      const size_t n = std::min(parts[i].size, per_write - taken);
      wire.append(reinterpret_cast<const char*>(parts[i].data), n);
      taken += n;
    }
    q.consume(taken);
  }
  return wire;
}

TEST(OutboundQueue, SharedFramesInterleaveWithOwnFramesInOrder) {
  auto shared =
      std::make_shared<const std::vector<uint8_t>>(std::vector<uint8_t>{0x82, 0x03, 'a', 'b', 'c'});
  for (size_t per_write : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{1000}}) {
    for (int max_parts : {1, 2, 8}) {
      OutboundQueue q;
      q.append_frame(0x1, true, reinterpret_cast<const uint8_t*>("x"), 1, false);
      q.append_shared(shared, 3, 0);
      q.append_shared(shared, 3, 2);  // its first two bytes went out directly
      q.append_frame(0x9, true, nullptr, 0, false, true);
      q.append_shared(shared, 3, 0);
      EXPECT_EQ(q.size(), 3u + 5 + 3 + 2 + 5);
      EXPECT_EQ(q.buffered_payload(), 1u + 3 + 3 + 0 + 3);
      EXPECT_EQ(q.queued_frames(), 5u);
      EXPECT_EQ(shared.use_count(), 4) << "queued by reference, not copied";
      EXPECT_EQ(drain(q, per_write, max_parts), std::string("\x81\x01x\x82\x03"
                                                            "abc"
                                                            "abc\x89\x00\x82\x03"
                                                            "abc",
                                                            18))
          << per_write << " bytes per write, " << max_parts << " parts";
      EXPECT_EQ(q.queued_frames(), 0u);
      EXPECT_EQ(q.buffered_payload(), 0u);
      EXPECT_EQ(shared.use_count(), 1) << "a written frame is let go";
    }
  }
}

TEST(OutboundQueue, ClearLetsSharedFramesGo) {
  auto shared = std::make_shared<const std::vector<uint8_t>>(std::vector<uint8_t>{0x82, 0x00});
  OutboundQueue q;
  q.append_shared(shared, 0, 0);
  q.append_shared(shared, 0, 1);
  EXPECT_EQ(shared.use_count(), 3);
  q.clear();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(shared.use_count(), 1);
}

TEST(PreparedMessage, FramesOnceAndReusesItsBufferWhenNoPeerHoldsIt) {
  PreparedMessage message;
  const std::vector<uint8_t> big(300, 7);
  ASSERT_EQ(message.prepare(big), OK);
  const std::vector<uint8_t>& frame = *message.frame();
  EXPECT_EQ(frame.size(), 304u);
  EXPECT_EQ(frame[0], 0x82);
  EXPECT_EQ(frame[1], 126);
  EXPECT_EQ(message.payload().size(), 300u);
  const void* first = message.frame().get();
  ASSERT_EQ(message.prepare(std::vector<uint8_t>{1, 2}), OK);
  EXPECT_EQ(message.frame().get(), first) << "nobody held it: the same buffer";
  std::shared_ptr<const std::vector<uint8_t>> held = message.frame();  // a slow peer's queue
  ASSERT_EQ(message.prepare(std::vector<uint8_t>{3}), OK);
  EXPECT_NE(message.frame().get(), first) << "a queued frame must never change";
  EXPECT_EQ((*held)[2], 1);
  const std::string bad = "\xff";
  EXPECT_EQ(message.prepare({reinterpret_cast<const uint8_t*>(bad.data()), 1}, true),
            ERR_INVALID_DATA);
  ASSERT_EQ(message.prepare({reinterpret_cast<const uint8_t*>("hi"), 2}, true), OK);
  EXPECT_EQ((*message.frame())[0], 0x81);
}

TEST(RingQueue, GrowsAndWraps) {
  RingQueue<int> r;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 100; ++i) r.push_back(i);
    for (int i = 0; i < 50; ++i) {
      EXPECT_EQ(r.front(), i);
      r.pop_front();
    }
    for (int i = 100; i < 130; ++i) r.push_back(i);
    for (int i = 50; i < 130; ++i) {
      EXPECT_EQ(r.front(), i);
      r.pop_front();
    }
    EXPECT_TRUE(r.empty());
    r.release_if_empty();
  }
}

TEST(ByteBuffer, PreparePreservesReadableBytes) {
  ByteBuffer b;
  std::string expected;
  for (int i = 0; i < 2000; ++i) {
    const std::string chunk = std::to_string(i) + ",";
    b.append(reinterpret_cast<const uint8_t*>(chunk.data()), chunk.size());
    expected += chunk;
    if (i % 7 == 0 && b.size() >= 3) {
      b.consume(3);
      expected.erase(0, 3);
    }
    ASSERT_EQ(std::string(reinterpret_cast<const char*>(b.data()), b.size()), expected);
  }
}

TEST(ByteBuffer, IsOnePointerThatMovesItsBlockAndFreesItOnlyWhenEmpty) {
  static_assert(sizeof(ByteBuffer) == sizeof(void*), "an idle connection pays one pointer");
  ByteBuffer a;
  EXPECT_EQ(a.capacity(), 0u);
  EXPECT_TRUE(a.empty());
  a.append(reinterpret_cast<const uint8_t*>("hello"), 5);
  a.release_if_empty();
  EXPECT_EQ(a.size(), 5u) << "released with bytes in it";
  ByteBuffer b(std::move(a));
  EXPECT_EQ(a.capacity(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(b.data()), b.size()), "hello");
  ByteBuffer c;
  c.append(reinterpret_cast<const uint8_t*>("x"), 1);
  c = std::move(b);  // c's own block is freed (ASan would report a leak otherwise)
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(c.data()), c.size()), "hello");
  c.consume(5);
  c.release_if_empty();
  EXPECT_EQ(c.capacity(), 0u);
  EXPECT_EQ(c.data(), nullptr);
}

}  // namespace
}  // namespace wsp
