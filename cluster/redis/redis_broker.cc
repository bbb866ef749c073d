#include "wspeer/cluster/redis/redis_broker.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "wspeer/core/log.h"
#include "wspeer/core/random.h"

namespace wsp::cluster {
namespace {

// A room's members whose node's key still holds their uid; the others are removed on the way.
constexpr const char* kReadRoomScript = R"lua(
local out = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local value = all[i + 1]
  local sep = string.find(value, ':', 1, true)
  local alive = false
  if sep then
    alive = redis.call('GET', ARGV[1] .. string.sub(value, sep + 1)) == string.sub(value, 1, sep - 1)
  end
  if alive then
    out[#out + 1] = all[i]
    out[#out + 1] = value
  else
    redis.call('HDEL', KEYS[1], all[i])
  end
end
return out
)lua";

// Extends the node's key and, unless another node took it meanwhile, its id slot.
constexpr const char* kRefreshScript = R"lua(
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local owner = redis.call('GET', KEYS[2])
if owner == false or owner == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
)lua";

constexpr auto kFirstPause = std::chrono::milliseconds(100);
constexpr auto kLongestPause = std::chrono::milliseconds(5000);
constexpr auto kConnectTimeout = std::chrono::milliseconds(2000);

RedisBroker* broker_of(const redisAsyncContext* context) {
  return static_cast<RedisBroker*>(context->data);
}

std::string reply_text(const redisReply* reply) {
  if (!reply) return "no answer";
  if (reply->type == REDIS_REPLY_ERROR || reply->type == REDIS_REPLY_STATUS ||
      reply->type == REDIS_REPLY_STRING) {
    return std::string(reply->str, reply->len);
  }
  return "an unexpected answer";
}

// A blocking connection for start(), freed however it ends.
struct SyncContext {
  redisContext* context = nullptr;
  ~SyncContext() {
    if (context) redisFree(context);
  }
  redisReply* command(const char* format, ...) {
    va_list args;
    va_start(args, format);
    void* reply = redisvCommand(context, format, args);
    va_end(args);
    return static_cast<redisReply*>(reply);
  }
};

struct ReplyHolder {
  redisReply* reply;
  ~ReplyHolder() {
    if (reply) freeReplyObject(reply);
  }
};

}  // namespace

RedisBroker::RedisBroker(ClusterNode* node, PeerPoller* poller) : node_(node), poller_(poller) {
  commands_.broker = this;
  subscriber_.broker = this;
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(node->uid()));
  uid_hex_ = hex;
  node_->set_link(this);
}

RedisBroker::~RedisBroker() {
  tear_down();
  node_->set_link(nullptr);
}

std::string RedisBroker::key(const std::string& suffix) const {
  return node_->options().prefix + suffix;
}

std::string RedisBroker::member_value() const { return uid_hex_ + ":" + node_->name(); }

Error RedisBroker::start(const RedisAddress& address, std::chrono::milliseconds timeout) {
  address_ = address;
  const std::string where = address.host + ":" + std::to_string(address.port);
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  SyncContext sync;
  sync.context = redisConnectWithTimeout(address.host.c_str(), address.port, tv);
  if (!sync.context || sync.context->err) {
    last_error_ = "cannot reach Redis at " + where + ": " +
                  (sync.context ? sync.context->errstr : "out of memory");
    return ERR_CANT_CONNECT;
  }
  redisSetTimeout(sync.context, tv);
  auto fail = [&](const std::string& what, const redisReply* reply) {
    last_error_ = "Redis at " + where + " " + what + ": " +
                  (reply ? reply_text(reply) : std::string(sync.context->errstr));
    return ERR_CANT_CONNECT;
  };
  if (!address.password.empty()) {
    ReplyHolder auth{address.user.empty() ? sync.command("AUTH %s", address.password.c_str())
                                          : sync.command("AUTH %s %s", address.user.c_str(),
                                                         address.password.c_str())};
    if (!auth.reply || auth.reply->type == REDIS_REPLY_ERROR) {
      return fail("refused the credentials", auth.reply);
    }
  }
  {
    ReplyHolder ping{sync.command("PING")};
    if (!ping.reply || ping.reply->type == REDIS_REPLY_ERROR) {
      const bool needs_login = ping.reply && reply_text(ping.reply).rfind("NOAUTH", 0) == 0;
      return fail(needs_login ? "needs a password (redis://:PASSWORD@HOST or "
                                "redis://USER:PASSWORD@HOST)"
                              : "did not answer PING",
                  ping.reply);
    }
  }
  if (address.db != 0) {
    ReplyHolder select{sync.command("SELECT %d", address.db)};
    if (!select.reply || select.reply->type == REDIS_REPLY_ERROR) {
      return fail("refused the database number", select.reply);
    }
  }
  const std::string ttl = std::to_string(node_->options().node_timeout.count());
  {
    ReplyHolder earlier{sync.command("GET %s", key("node:" + node_->name()).c_str())};
    if (earlier.reply && earlier.reply->type == REDIS_REPLY_STRING) {
      log_message("cluster: node name " + node_->name() +
                  " was in use until now (a restart?): its earlier members are gone");
    }
  }
  // The id slot: the first free one from a random start.
  uint16_t start_at = 0;
  fill_random(reinterpret_cast<uint8_t*>(&start_at), sizeof(start_at));
  for (int i = 0; i < ClusterNode::kMaxSlot && slot_ == 0; ++i) {
    const int slot = 1 + (start_at + i) % ClusterNode::kMaxSlot;
    ReplyHolder claim{sync.command("SET %s %s NX PX %s",
                                   key("slot:" + std::to_string(slot)).c_str(), uid_hex_.c_str(),
                                   ttl.c_str())};
    if (!claim.reply) return fail("stopped answering", nullptr);
    if (claim.reply->type == REDIS_REPLY_ERROR) return fail("refused a SET", claim.reply);
    if (claim.reply->type == REDIS_REPLY_STATUS) slot_ = slot;
  }
  if (slot_ == 0) {
    last_error_ = "every id slot in Redis at " + where + " is taken (" +
                  std::to_string(ClusterNode::kMaxSlot) + " nodes at most)";
    return ERR_ALREADY_IN_USE;
  }
  {
    ReplyHolder set{sync.command("SET %s %s PX %s", key("node:" + node_->name()).c_str(),
                                 uid_hex_.c_str(), ttl.c_str())};
    if (!set.reply || set.reply->type == REDIS_REPLY_ERROR) return fail("refused a SET", set.reply);
  }
  node_->set_id_slot(slot_);
  started_ = true;
  next_attempt_ = Clock::now();
  tick();  // connect for good
  return OK;
}

// ---------------------------------------------------------------------------------------------
// The two connections

void RedisBroker::Connection::update() {
  if (fd < 0) return;
  broker->poller_->watch_fd(fd, this, want_read, want_write);
}

void RedisBroker::Connection::on_fd_ready(bool readable, bool writable) {
  // Each call may free the context (a lost connection): check it before the next.
  if (writable && context) redisAsyncHandleWrite(context);
  if (readable && context) redisAsyncHandleRead(context);
}

bool RedisBroker::open(Connection& connection) {
  redisAsyncContext* context = redisAsyncConnect(address_.host.c_str(), address_.port);
  if (!context || context->err) {
    last_error_ =
        std::string("cannot connect to Redis: ") + (context ? context->errstr : "out of memory");
    if (context) redisAsyncFree(context);
    return false;
  }
  context->data = this;
  context->ev.data = &connection;
  context->ev.addRead = [](void* data) {
    auto* c = static_cast<Connection*>(data);
    c->want_read = true;
    c->update();
  };
  context->ev.delRead = [](void* data) {
    auto* c = static_cast<Connection*>(data);
    c->want_read = false;
    c->update();
  };
  context->ev.addWrite = [](void* data) {
    auto* c = static_cast<Connection*>(data);
    c->want_write = true;
    c->update();
  };
  context->ev.delWrite = [](void* data) {
    auto* c = static_cast<Connection*>(data);
    c->want_write = false;
    c->update();
  };
  context->ev.cleanup = [](void* data) {
    auto* c = static_cast<Connection*>(data);
    if (c->fd >= 0) c->broker->poller_->unwatch_fd(c->fd, c);
    c->fd = -1;
    c->context = nullptr;
    c->connected = false;
    c->want_read = c->want_write = false;
  };
  redisAsyncSetConnectCallback(context, &RedisBroker::on_connect);
  redisAsyncSetDisconnectCallback(context, &RedisBroker::on_disconnect);
  connection.context = context;
  connection.connected = false;
  connection.fd = context->c.fd;
  // The connection completes at its first writable event.
  connection.want_write = true;
  connection.want_read = false;
  connection.update();
  log_in(connection);
  return true;
}

void RedisBroker::log_in(Connection& connection) {
  redisAsyncContext* context = connection.context;
  if (!address_.password.empty()) {
    if (address_.user.empty()) {
      redisAsyncCommand(context, &RedisBroker::on_login_reply, nullptr, "AUTH %s",
                        address_.password.c_str());
    } else {
      redisAsyncCommand(context, &RedisBroker::on_login_reply, nullptr, "AUTH %s %s",
                        address_.user.c_str(), address_.password.c_str());
    }
  }
  const std::string name = "wspeer-" + node_->name();
  redisAsyncCommand(context, &RedisBroker::on_login_reply, nullptr, "CLIENT SETNAME %s",
                    name.c_str());
  if (&connection == &commands_ && address_.db != 0) {
    redisAsyncCommand(context, &RedisBroker::on_login_reply, nullptr, "SELECT %d", address_.db);
  }
}

void RedisBroker::on_connect(const redisAsyncContext* context, int status) {
  auto* connection = static_cast<Connection*>(context->ev.data);
  if (status != REDIS_OK) {
    // hiredis frees the context after this (without a disconnect call).
    broker_of(context)->broke(std::string("cannot connect to Redis: ") + context->errstr);
    return;
  }
  connection->connected = true;
  connection->want_read = true;  // answers and messages may come at any time
  connection->update();
}

void RedisBroker::on_disconnect(const redisAsyncContext* context, int status) {
  broker_of(context)->broke(status == REDIS_OK
                                ? "the connection was closed"
                                : std::string("connection lost: ") + context->errstr);
}

void RedisBroker::on_login_reply(redisAsyncContext* context, void* reply, void*) {
  auto* answer = static_cast<redisReply*>(reply);
  if (answer && answer->type == REDIS_REPLY_ERROR) {
    broker_of(context)->broke("Redis refused the login: " + reply_text(answer));
  }
}

void RedisBroker::broke(const std::string& why) {
  if (!broken_) last_error_ = why;
  broken_ = true;
}

void RedisBroker::tear_down() {
  for (Connection* connection : {&commands_, &subscriber_}) {
    if (connection->context) redisAsyncFree(connection->context);  // calls cleanup
  }
  std::erase_if(subscriptions_, [](const auto& entry) { return !entry.second.wanted; });
  for (auto& [channel, subscription] : subscriptions_) {
    subscription.pending = false;
    subscription.active = false;
  }
  refresh_pending_ = false;
}

void RedisBroker::tick() {
  if (!started_) return;
  const Clock::time_point now = Clock::now();
  if (up_ && refresh_pending_ && now - refresh_sent_ > node_->options().node_timeout) {
    broke("Redis did not answer for " +
          std::to_string(node_->options().node_timeout.count() / 1000.0).substr(0, 4) + " s");
  }
  const bool connecting = commands_.context || subscriber_.context;
  if (!broken_ && connecting && !up_ && now > connect_deadline_) {
    broke("connecting to Redis timed out");
  }
  if (broken_) {
    tear_down();  // may report the loss again: it is the same one
    broken_ = false;
    if (up_) {
      up_ = false;
      node_->on_link_down();
    }
    ++attempts_;
    auto pause = kFirstPause * (1 << std::min(attempts_ - 1, 6));
    pause = std::min<std::chrono::milliseconds>(pause, kLongestPause);
    uint32_t random = 0;
    fill_random(reinterpret_cast<uint8_t*>(&random), sizeof(random));
    const auto jittered = std::chrono::milliseconds(random % (pause.count() + 1));
    next_attempt_ = now + jittered;
    log_message("cluster: Redis: " + last_error_ + "; trying again in " +
                std::to_string(jittered.count()) + " ms (attempt " + std::to_string(attempts_) +
                ")");
    return;
  }
  if (!connecting) {
    if (now < next_attempt_) return;
    connect_deadline_ = now + kConnectTimeout;
    if (!open(commands_) || !open(subscriber_)) broke(last_error_);
    return;
  }
  if (!up_ && commands_.connected && subscriber_.connected) {
    up_ = true;
    if (attempts_ > 0) {
      ++counters_.reconnects;
      log_message("cluster: connected to Redis again after " + std::to_string(attempts_) +
                  " attempt(s); packets published meanwhile were lost for this node");
    }
    attempts_ = 0;
    node_->on_link_up();
  }
}

// ---------------------------------------------------------------------------------------------
// Commands

void RedisBroker::publish(const std::string& channel, std::span<const uint8_t> message) {
  if (!commands_.context) return;
  redisAsyncCommand(commands_.context, nullptr, nullptr, "PUBLISH %b %b", channel.data(),
                    channel.size(), message.data(), message.size());
}

void RedisBroker::store_member(const std::string& room, int id) {
  if (!commands_.context) return;
  const std::string hash = key("room:" + room);
  const std::string value = member_value();
  redisAsyncCommand(commands_.context, nullptr, nullptr, "HSET %b %d %b", hash.data(), hash.size(),
                    id, value.data(), value.size());
}

void RedisBroker::drop_member(const std::string& room, int id) {
  if (!commands_.context) return;
  const std::string hash = key("room:" + room);
  redisAsyncCommand(commands_.context, nullptr, nullptr, "HDEL %b %d", hash.data(), hash.size(),
                    id);
}

void RedisBroker::read_room(const std::string& room) {
  if (!commands_.context) return;
  const std::string hash = key("room:" + room);
  const std::string nodes = key("node:");
  redisAsyncCommand(commands_.context, &RedisBroker::on_room_reply, new std::string(room),
                    "EVAL %s 1 %b %b", kReadRoomScript, hash.data(), hash.size(), nodes.data(),
                    nodes.size());
}

void RedisBroker::on_room_reply(redisAsyncContext* context, void* reply, void* privdata) {
  std::unique_ptr<std::string> room(static_cast<std::string*>(privdata));
  auto* answer = static_cast<redisReply*>(reply);
  if (!answer) return;  // the connection is gone: the room is read again when it is back
  RedisBroker* broker = broker_of(context);
  std::vector<StoredMember> members;
  if (answer->type == REDIS_REPLY_ARRAY) {
    for (size_t i = 0; i + 1 < answer->elements; i += 2) {
      const redisReply* id = answer->element[i];
      const redisReply* value = answer->element[i + 1];
      if (id->type != REDIS_REPLY_STRING || value->type != REDIS_REPLY_STRING) continue;
      const std::string text(value->str, value->len);
      const size_t colon = text.find(':');
      if (colon != 16) continue;
      StoredMember member;
      member.id = std::atoi(std::string(id->str, id->len).c_str());
      member.node_uid = std::strtoull(text.substr(0, 16).c_str(), nullptr, 16);
      member.node = text.substr(17);
      members.push_back(std::move(member));
    }
  } else {
    log_message("cluster: reading room " + *room + " failed: " + reply_text(answer));
  }
  broker->node_->on_room_read(*room, members);
}

void RedisBroker::refresh_node() {
  if (!commands_.context) return;
  const std::string node = key("node:" + node_->name());
  const std::string slot = key("slot:" + std::to_string(slot_));
  const std::string ttl = std::to_string(node_->options().node_timeout.count());
  redisAsyncCommand(commands_.context, &RedisBroker::on_refresh_reply, nullptr,
                    "EVAL %s 2 %s %s %s %s", kRefreshScript, node.c_str(), slot.c_str(),
                    uid_hex_.c_str(), ttl.c_str());
  if (!refresh_pending_) refresh_sent_ = Clock::now();
  refresh_pending_ = true;
}

void RedisBroker::on_refresh_reply(redisAsyncContext* context, void* reply, void*) {
  auto* answer = static_cast<redisReply*>(reply);
  if (!answer) return;
  RedisBroker* broker = broker_of(context);
  broker->refresh_pending_ = false;
  if (answer->type == REDIS_REPLY_INTEGER && answer->integer == 0) {
    ++broker->counters_.slot_conflicts;
    log_message("cluster: another node holds this node's id slot (" +
                std::to_string(broker->slot_) + "; Redis restarted?): ids may collide");
  } else if (answer->type == REDIS_REPLY_ERROR) {
    log_message("cluster: refreshing the node in Redis failed: " + reply_text(answer));
  }
}

// ---------------------------------------------------------------------------------------------
// Subscriptions

void RedisBroker::subscribe(const std::string& channel) {
  Subscription& subscription = subscriptions_[channel];
  subscription.wanted = true;
  send_subscription(channel, subscription);
}

void RedisBroker::unsubscribe(const std::string& channel) {
  const auto found = subscriptions_.find(channel);
  if (found == subscriptions_.end()) return;
  found->second.wanted = false;
  send_subscription(channel, found->second);
  if (!found->second.pending && !found->second.active) subscriptions_.erase(found);
}

// One command on its way per channel: the next one goes when its answer arrives.
void RedisBroker::send_subscription(const std::string& channel, Subscription& subscription) {
  if (!subscriber_.context || subscription.pending || subscription.wanted == subscription.active) {
    return;
  }
  subscription.pending = true;
  redisAsyncCommand(subscriber_.context, &RedisBroker::on_subscriber_reply, nullptr,
                    subscription.wanted ? "SUBSCRIBE %b" : "UNSUBSCRIBE %b", channel.data(),
                    channel.size());
}

void RedisBroker::on_subscriber_reply(redisAsyncContext* context, void* reply, void*) {
  auto* answer = static_cast<redisReply*>(reply);
  if (!answer || answer->type != REDIS_REPLY_ARRAY || answer->elements < 3) return;
  RedisBroker* broker = broker_of(context);
  const redisReply* kind = answer->element[0];
  const redisReply* channel_reply = answer->element[1];
  if (kind->type != REDIS_REPLY_STRING || channel_reply->type != REDIS_REPLY_STRING) return;
  const std::string_view type(kind->str, kind->len);
  const std::string channel(channel_reply->str, channel_reply->len);
  if (type == "message") {
    const redisReply* payload = answer->element[2];
    if (payload->type != REDIS_REPLY_STRING) return;
    broker->node_->on_message(
        std::span(reinterpret_cast<const uint8_t*>(payload->str), payload->len));
    return;
  }
  const auto found = broker->subscriptions_.find(channel);
  if (found == broker->subscriptions_.end()) return;
  Subscription& subscription = found->second;
  subscription.pending = false;
  subscription.active = type == "subscribe";
  if (subscription.active && subscription.wanted) broker->node_->on_subscribed(channel);
  broker->send_subscription(channel, subscription);  // what was asked meanwhile
  if (!subscription.wanted && !subscription.active && !subscription.pending) {
    broker->subscriptions_.erase(found);
  }
}

}  // namespace wsp::cluster
