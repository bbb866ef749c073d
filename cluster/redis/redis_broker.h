// RedisBroker: a ClusterNode's broker connection to Redis, through hiredis's asynchronous API
// driven by the server's own PeerPoller (no thread, no second event loop). Two connections: one
// for commands and publishing, one subscribed. In Redis (KEYS below use the node's prefix):
//   PREFIX node:NAME   this process's uid, expiring after node_timeout unless refreshed
//   PREFIX slot:N      the id slot this node holds (the high bits of its peer ids), the same way
//   PREFIX room:ROOM   a hash: member id -> "UID:NAME"; an entry counts while its node's key
//                      holds that uid
// and channels PREFIX nodes (heartbeats), PREFIX room:ROOM, PREFIX to:NAME (for one member).
//
// When a connection drops, or Redis stops answering for node_timeout, the broker reconnects by
// itself with growing, randomised pauses (0.1 s to 5 s), says so through log_message() and
// counts it; the node then announces its members again and reads every room anew.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "wspeer/cluster/cluster_node.h"
#include "wspeer/cluster/redis/redis_address.h"
#include "wspeer/core/error.h"
#include "wspeer/platform/native/peer_poller.h"

struct redisAsyncContext;
struct redisReply;

namespace wsp::cluster {

class RedisBroker : public BrokerLink {
 public:
  using Clock = ClusterNode::Clock;
  RedisBroker(ClusterNode* node, PeerPoller* poller);
  ~RedisBroker() override;
  RedisBroker(const RedisBroker&) = delete;
  RedisBroker& operator=(const RedisBroker&) = delete;

  /// Reaches Redis, logs in and claims the node's name and id slot, waiting up to `timeout`
  /// (blocking: call it before serving); then connects for good in the background. Fails with
  /// ERR_CANT_CONNECT (unreachable, refused credentials) or ERR_ALREADY_IN_USE (no free id
  /// slot), with the reason in get_last_error().
  Error start(const RedisAddress& address,
              std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
  const std::string& get_last_error() const { return last_error_; }

  struct Counters {
    uint64_t reconnects = 0;      ///< connections made again after a loss
    uint64_t slot_conflicts = 0;  ///< refreshes that found our id slot taken (after a restart)
  };
  const Counters& counters() const { return counters_; }

  // ---- BrokerLink ----
  void publish(const std::string& channel, std::span<const uint8_t> message) override;
  void subscribe(const std::string& channel) override;
  void unsubscribe(const std::string& channel) override;
  void store_member(const std::string& room, int id) override;
  void drop_member(const std::string& room, int id) override;
  void read_room(const std::string& room) override;
  void refresh_node() override;
  void tick() override;

 private:
  /// One hiredis connection, its descriptor watched by the poller as hiredis asks.
  struct Connection : PeerPoller::FdWatcher {
    RedisBroker* broker = nullptr;
    redisAsyncContext* context = nullptr;
    bool connected = false;
    bool want_read = false;
    bool want_write = false;
    int fd = -1;
    void on_fd_ready(bool readable, bool writable) override;
    void update();
  };
  /// A channel's subscription as we want it and as Redis has it: one command on its way per
  /// channel (hiredis releases before 1.0 forget a channel's callback when an UNSUBSCRIBE is
  /// answered even if a SUBSCRIBE followed it).
  struct Subscription {
    bool wanted = false;
    bool pending = false;  ///< a SUBSCRIBE or UNSUBSCRIBE is on its way
    bool active = false;
  };

  static void on_connect(const redisAsyncContext* context, int status);
  static void on_disconnect(const redisAsyncContext* context, int status);
  static void on_subscriber_reply(redisAsyncContext* context, void* reply, void* privdata);
  static void on_room_reply(redisAsyncContext* context, void* reply, void* privdata);
  static void on_refresh_reply(redisAsyncContext* context, void* reply, void* privdata);
  static void on_login_reply(redisAsyncContext* context, void* reply, void* privdata);

  bool open(Connection& connection);
  void log_in(Connection& connection);
  void broke(const std::string& why);
  void tear_down();
  void send_subscription(const std::string& channel, Subscription& subscription);
  std::string key(const std::string& suffix) const;
  std::string member_value() const;

  ClusterNode* node_;
  PeerPoller* poller_;
  RedisAddress address_;
  std::string uid_hex_;
  int slot_ = 0;
  Connection commands_;
  Connection subscriber_;
  std::map<std::string, Subscription> subscriptions_;
  bool started_ = false;
  bool up_ = false;      ///< both connected: the node was told
  bool broken_ = false;  ///< a connection failed: torn down at the next tick()
  int attempts_ = 0;     ///< reconnection attempts since the last loss
  Clock::time_point next_attempt_{};
  Clock::time_point connect_deadline_{};
  Clock::time_point refresh_sent_{};
  bool refresh_pending_ = false;
  std::string last_error_;
  Counters counters_;
};

}  // namespace wsp::cluster
