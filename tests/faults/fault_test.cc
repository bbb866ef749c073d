// Hostile and broken peers against the real `wsp echo-server` process: no crash, no hang, memory
// bounded by the limits, clear close codes, and no completely received message lost.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>

#include <thread>

#include "tests/faults/echo_server_process.h"
#include "tests/native/child_process.h"
#include "tests/native/raw_peer.h"
#include "tests/native/test_util.h"
#include "wspeer/core/websocket_peer.h"

namespace wsp {
namespace {

using test::ChildProcess;
using test::RawSocket;

using EchoServer = test::EchoServerProcess;

std::string masked_frame(uint8_t opcode, const std::string& payload, bool fin = true) {
  return test::client_frame(opcode, payload, fin);
}

TEST(Faults, PeerProcessKilledMidMessage) {
  test::LoopbackServer listener;
  // A real client process: sends one whole message and half of the next, then is killed.
  const std::string script =
      "import socket,sys,time\n"
      "s=socket.create_connection(('127.0.0.1'," +
      std::to_string(listener.port()) +
      "))\n"
      "s.sendall(b'GET / HTTP/1.1\\r\\nHost: x\\r\\nUpgrade: websocket\\r\\nConnection: "
      "Upgrade\\r\\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\nSec-WebSocket-Version: 13\\r\\n\\r\\n')\n"
      "s.recv(1024)\n"
      "s.sendall(bytes([0x81,0x85,0,0,0,0])+b'whole')\n"
      "s.sendall(bytes([0x82,0xFE,0x10,0x00,0,0,0,0])+b'x'*2000)\n"
      "print('sent', flush=True)\n"
      "time.sleep(60)\n";
  ChildProcess client({"/usr/bin/python3", "-c", script});
  auto server = listener.accept(nullptr);
  ASSERT_TRUE(server);
  ASSERT_TRUE(
      test::poll_until({server.get()}, [&] { return server->get_available_packet_count() == 1; }));
  ASSERT_EQ(client.read_line(10), "sent");
  client.kill_now(SIGKILL);
  ASSERT_TRUE(test::poll_until(
      {server.get()}, [&] { return server->get_ready_state() == WebSocketPeer::STATE_CLOSED; }));
  EXPECT_EQ(server->get_close_code(), -1);
  EXPECT_NE(server->get_last_error().find("Connection lost"), std::string::npos);
  EXPECT_EQ(test::drain_text(*server), std::vector<std::string>{"whole"});
}

TEST(Faults, SlowLorisHandshakesAreDroppedAndDoNotBlockOthers) {
  EchoServer server({"--handshake-timeout", "1"});
  ASSERT_GT(server.port(), 0);
  std::vector<RawSocket> lorises(200);
  for (RawSocket& loris : lorises) {
    ASSERT_TRUE(loris.connect("127.0.0.1", server.port()));
    loris.send_all(std::string("GET / HTTP/1.1\r\nHost: slow\r\n"));
  }
  // A real client is served while the slow ones hold their connections.
  auto client = WebSocketPeer::create();
  ASSERT_EQ(client->connect_to_url("ws://127.0.0.1:" + std::to_string(server.port()) + "/"), OK);
  ASSERT_TRUE(test::poll_until(
      {client.get()}, [&] { return client->get_ready_state() == WebSocketPeer::STATE_OPEN; }, 0.9))
      << client->get_last_error();
  // After the handshake timeout every slow connection has been closed by the server.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // timeout 1 s, with margin
  int closed = 0;
  for (RawSocket& loris : lorises) {
    bool eof = false;
    loris.read_until_eof(0.05, &eof);
    closed += eof;
  }
  EXPECT_EQ(closed, 200);
  EXPECT_TRUE(server.alive());
}

TEST(Faults, AnnouncedHugeFrameIsRefusedBeforeAnyAllocation) {
  EchoServer server;
  const long before = server.rss();
  RawSocket raw = server.open_raw();
  // A masked binary frame claiming 2^63 - 1 bytes.
  std::string header = {static_cast<char>(0x82), static_cast<char>(0xFF), 0x7F};
  header += std::string(7, '\xFF') + std::string(4, '\0');
  ASSERT_TRUE(raw.send_all(header + std::string(1000, 'x')));
  auto frames = test::decode_frames(raw.read_until_eof(5.0));
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(frames[0].opcode, 8);
  EXPECT_EQ(frames[0].payload.substr(0, 2), test::close_frame_payload(1009));
  EXPECT_LT(server.rss() - before, 4096) << "KiB grown";
  EXPECT_TRUE(server.alive());
}

TEST(Faults, ThousandsOfTinyFragmentsAreReassembled) {
  EchoServer server;
  RawSocket raw = server.open_raw();
  std::string wire = masked_frame(1, "a", false);
  std::string expected = "a";
  for (int i = 0; i < 20000; ++i) {
    wire += masked_frame(0, i % 2 ? "b" : "\xc3\xa9",
                         false);  // é split across nothing: whole code points
    expected += i % 2 ? "b" : "\xc3\xa9";
  }
  wire += masked_frame(0, "", true);
  ASSERT_TRUE(raw.send_all(wire));
  const std::string reply = raw.read_n(expected.size() + 4, 10);
  auto frames = test::decode_frames(reply);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].payload, expected);
}

TEST(Faults, AReaderThatNeverReadsCannotGrowServerMemory) {
  EchoServer server({"--max-message", "1048576"});
  RawSocket raw = server.open_raw();
  const long before = server.rss();
  // Write 200 MiB of 64 KiB messages without reading a byte of the echoes.
  const std::string message = masked_frame(2, std::string(65536, 'm'));
  ::fcntl(raw.fd(), F_SETFL, ::fcntl(raw.fd(), F_GETFL) | O_NONBLOCK);
  size_t sent_bytes = 0, messages = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  size_t offset = 0;
  while (messages < 3200 && std::chrono::steady_clock::now() < deadline) {
    const ssize_t n =
        ::send(raw.fd(), message.data() + offset, message.size() - offset, MSG_NOSIGNAL);
    if (n > 0) {
      offset += static_cast<size_t>(n);
      sent_bytes += static_cast<size_t>(n);
      if (offset == message.size()) {
        offset = 0;
        ++messages;
      }
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  // The server stopped reading long before 200 MiB: its memory stayed bounded.
  EXPECT_LT(messages, 3200u) << "back-pressure reached the writer";
  const long grown = server.rss() - before;
  EXPECT_LT(grown, 16 * 1024) << "server RSS grew by " << grown << " KiB";
  // Now read everything: every message that was sent comes back, none lost.
  ::fcntl(raw.fd(), F_SETFL, ::fcntl(raw.fd(), F_GETFL) & ~O_NONBLOCK);
  const size_t complete = messages;  // a partially written message is never echoed
  const std::string echoes = raw.read_n(complete * (65536 + 10), 20);  // 64-bit length headers
  auto frames = test::decode_frames(echoes);
  EXPECT_EQ(frames.size(), complete);
  for (const auto& frame : frames) ASSERT_EQ(frame.payload.size(), 65536u);
  EXPECT_TRUE(server.alive());
}

// The tool's defaults are safe for a public server: clients that send and never read cost a few
// MiB each (they cost 163 MB each when the defaults allowed 64 MiB messages).
TEST(Faults, WithDefaultFlagsANonReadingClientCostsAFewMegabytes) {
  EchoServer server;
  constexpr int kClients = 4;
  std::vector<RawSocket> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(server.open_raw());
    const int small = 4096;
    setsockopt(clients.back().fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    ::fcntl(clients.back().fd(), F_SETFL, ::fcntl(clients.back().fd(), F_GETFL) | O_NONBLOCK);
  }
  const long before = server.rss();
  // Messages just under the default 1 MiB limit, as fast as the server takes them, for 3 s.
  const std::string message = masked_frame(2, std::string(1000000, 'm'));
  std::vector<size_t> offsets(kClients, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (std::chrono::steady_clock::now() < deadline) {
    bool progress = false;
    for (int i = 0; i < kClients; ++i) {
      const ssize_t n = ::send(clients[i].fd(), message.data() + offsets[i],
                               message.size() - offsets[i], MSG_NOSIGNAL);
      if (n > 0) {
        progress = true;
        offsets[i] = (offsets[i] + static_cast<size_t>(n)) % message.size();
      }
    }
    if (!progress) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const long grown_kib = server.rss() - before;
  EXPECT_LT(grown_kib, kClients * 8 * 1024) << "server RSS grew by " << grown_kib << " KiB";
  EXPECT_TRUE(server.alive());
}

TEST(Faults, ClientsBeyondMaxConnectionsGet503) {
  EchoServer server({"--max-connections", "1"});
  RawSocket first = server.open_raw();
  RawSocket second;
  ASSERT_TRUE(second.connect("127.0.0.1", server.port()));
  second.send_all(test::upgrade_request());
  bool eof = false;
  const std::string response = second.read_until_eof(5, &eof);
  EXPECT_EQ(response.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u) << response;
  EXPECT_NE(response.find("\r\nRetry-After: 5\r\n"), std::string::npos) << response;
  EXPECT_TRUE(eof);
  // The first client is served as before.
  first.send_all(masked_frame(1, "still here"));
  const auto frames = test::decode_frames(first.read_n(12, 5));
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].payload, "still here");
}

TEST(Faults, HeaderFloodsAreRefusedWith431) {
  EchoServer server;
  RawSocket raw;
  ASSERT_TRUE(raw.connect("127.0.0.1", server.port()));
  std::string request = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 2000; ++i) request += "X-Flood-" + std::to_string(i) + ": y\r\n";
  raw.send_all(request + "\r\n");
  bool eof = false;
  const std::string response = raw.read_until_eof(5, &eof);
  EXPECT_EQ(response.rfind("HTTP/1.1 431", 0), 0u) << response.substr(0, 80);
  EXPECT_TRUE(eof);
  EXPECT_TRUE(server.alive());
}

}  // namespace
}  // namespace wsp
