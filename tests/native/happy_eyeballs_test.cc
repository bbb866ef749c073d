// Happy Eyeballs natively: a name whose first addresses never answer (listeners whose accept
// queue is full: Linux drops the SYNs, as a dead route would) connects through a good address
// after the 250 ms attempt delay, not after the connect timeout; refused addresses are skipped at
// once; the families alternate; losing attempts are closed. Names come from the resolver seam.
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "tests/native/test_util.h"
#include "wspeer/platform/native/resolver.h"

namespace wsp {
namespace {

using test::LoopbackServer;
using test::poll_until;
using Seconds = std::chrono::duration<double>;

// A listener on ip:port that accepts nothing, its queue filled so that further SYNs are dropped.
class Blackhole {
 public:
  Blackhole(const char* ip, int port) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, ip, &address.sin_addr);
    EXPECT_EQ(bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0) << ip;
    EXPECT_EQ(listen(listener_, 0), 0);
    for (int i = 0; i < 3; ++i) {
      const int filler = socket(AF_INET, SOCK_STREAM, 0);
      fcntl(filler, F_SETFL, O_NONBLOCK);
      connect(filler, reinterpret_cast<sockaddr*>(&address), sizeof(address));
      fillers_.push_back(filler);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ~Blackhole() {
    for (int fd : fillers_) close(fd);
    close(listener_);
  }

 private:
  int listener_ = -1;
  std::vector<int> fillers_;
};

int open_descriptors() {
  int count = 0;
  DIR* dir = opendir("/proc/self/fd");
  while (readdir(dir)) ++count;
  closedir(dir);
  return count;
}

class HappyEyeballsNative : public ::testing::Test {
 protected:
  void TearDown() override { native::set_resolver_for_testing({}); }

  // "race.test" resolves to `ips` (in this order) at `port`.
  static void resolve_to(const std::vector<std::string>& ips) {
    native::set_resolver_for_testing([ips](const std::string& host, int port) {
      native::ResolveResult result;
      EXPECT_EQ(host, "race.test");
      for (const std::string& ip : ips)
        result.addresses.push_back(*SocketAddress::from_ip(ip, port));
      return result;
    });
  }

  // Connects to race.test on the listener's port; returns the seconds until OPEN (or CLOSED).
  static double connect_and_time(WebSocketPeer& client, LoopbackServer& listener) {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(client.connect_to_url("ws://race.test:" + std::to_string(listener.port()) + "/"), OK);
    auto server = listener.accept(&client);
    if (server) {
      poll_until({&client, server.get()},
                 [&] { return client.get_ready_state() != WebSocketPeer::STATE_CONNECTING; });
    }
    EXPECT_EQ(client.get_ready_state(), WebSocketPeer::STATE_OPEN) << client.get_last_error();
    return Seconds(std::chrono::steady_clock::now() - start).count();
  }
};

TEST_F(HappyEyeballsNative, ADeadAddressCostsTheAttemptDelayNotTheTimeout) {
  LoopbackServer listener("127.0.0.1");
  const Blackhole dead("127.0.0.2", listener.port());
  resolve_to({"127.0.0.2", "127.0.0.1"});
  auto client = WebSocketPeer::create();
  ASSERT_EQ(client->set_handshake_timeout(10), OK);
  const double seconds = connect_and_time(*client, listener);
  EXPECT_GE(seconds, 0.24) << "the second attempt must wait for the first's delay";
  EXPECT_LT(seconds, 1.5) << "a dead address must not cost the connect timeout";
  EXPECT_EQ(client->get_connected_host(), "127.0.0.1");
}

TEST_F(HappyEyeballsNative, ARefusedAddressIsSkippedAtOnce) {
  LoopbackServer listener("127.0.0.1");
  resolve_to({"127.0.0.3", "127.0.0.1"});  // nothing listens on 127.0.0.3: refused at once
  auto client = WebSocketPeer::create();
  EXPECT_LT(connect_and_time(*client, listener), 0.2);
}

TEST_F(HappyEyeballsNative, FamiliesAlternateSoADeadFamilyCostsOneDelay) {
  if (socket(AF_INET6, SOCK_STREAM, 0) < 0) GTEST_SKIP() << "no IPv6";
  LoopbackServer listener("::1");
  std::vector<std::unique_ptr<Blackhole>> dead;
  for (const char* ip : {"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"}) {
    dead.push_back(std::make_unique<Blackhole>(ip, listener.port()));
  }
  // Four dead IPv4 addresses first: tried in this order, IPv6 would come after a whole second.
  resolve_to({"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "::1"});
  auto client = WebSocketPeer::create();
  EXPECT_LT(connect_and_time(*client, listener), 0.8);
  EXPECT_EQ(client->get_connected_host(), "::1");
}

TEST_F(HappyEyeballsNative, WhenNoAddressAnswersTheHandshakeTimeoutEndsItAndFreesEverySocket) {
  LoopbackServer listener("127.0.0.1");
  const Blackhole first("127.0.0.2", listener.port());
  const Blackhole second("127.0.0.3", listener.port());
  resolve_to({"127.0.0.2", "127.0.0.3"});
  const int descriptors = open_descriptors();
  auto client = WebSocketPeer::create();
  ASSERT_EQ(client->set_handshake_timeout(0.6), OK);
  const auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(client->connect_to_url("ws://race.test:" + std::to_string(listener.port()) + "/"), OK);
  EXPECT_TRUE(poll_until({client.get()},
                         [&] { return client->get_ready_state() == WebSocketPeer::STATE_CLOSED; }));
  const double seconds = Seconds(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(seconds, 0.55);
  EXPECT_LT(seconds, 2.0);
  EXPECT_NE(client->get_last_error().find("timed out"), std::string::npos)
      << client->get_last_error();
  EXPECT_EQ(open_descriptors(), descriptors) << "an attempt's socket was left open";
}

TEST_F(HappyEyeballsNative, EveryAddressRefusedSaysHowManyWereTried) {
  LoopbackServer listener("127.0.0.1");
  resolve_to({"127.0.0.2", "127.0.0.3", "127.0.0.4"});
  auto client = WebSocketPeer::create();
  ASSERT_EQ(client->connect_to_url("ws://race.test:" + std::to_string(listener.port()) + "/"), OK);
  EXPECT_TRUE(poll_until(
      {client.get()}, [&] { return client->get_ready_state() == WebSocketPeer::STATE_CLOSED; }, 2));
  EXPECT_NE(client->get_last_error().find("(tried 3 addresses)"), std::string::npos)
      << client->get_last_error();
}

}  // namespace
}  // namespace wsp
