#include <cstdint>
#include <cstdio>
#include <string_view>

#include "tools/cluster_option.h"
#include "wspeer/cluster/cluster_node.h"
#include "wspeer/cluster/redis/redis_broker.h"
#include "wspeer/core/log.h"
#include "wspeer/core/random.h"

namespace wsp::tool {
namespace {

// The cluster's lines; the library's others are for a debug log.
void print_cluster_lines(std::string_view message) {
  if (message.substr(0, 8) != "cluster:") return;
  std::fprintf(stderr, "%.*s\n", static_cast<int>(message.size()), message.data());
}

class RedisCluster : public ClusterHandle {
 public:
  RedisCluster(cluster::ClusterNode::Options options, uint64_t uid, PeerPoller* poller)
      : node_(std::move(options), uid), broker_(&node_, poller) {}
  cluster::ClusterNode& node() { return node_; }
  cluster::RedisBroker& broker() { return broker_; }

  std::string describe() const override {
    return "node " + node_.name() + ", " + std::to_string(node_.live_nodes().size()) +
           " other node(s) heard, " + std::to_string(broker_.counters().reconnects) +
           " reconnection(s), " + std::to_string(node_.counters().nodes_lost) + " node(s) lost";
  }

 private:
  cluster::ClusterNode node_;
  cluster::RedisBroker broker_;
};

}  // namespace

std::unique_ptr<ClusterHandle> join_cluster(const ClusterOptions& options,
                                            MultiplayerSession& session, PeerPoller* poller,
                                            std::string* error) {
  const std::optional<cluster::RedisAddress> address =
      cluster::parse_redis_url(options.redis_url, error);
  if (!address) {
    *error = "--redis " + options.redis_url + ": " + *error;
    return nullptr;
  }
  if (!cluster::ClusterNode::valid_name(options.node_id)) {
    *error = "--node-id takes 1 to 64 letters, digits, '.', '_' or '-'";
    return nullptr;
  }
  cluster::ClusterNode::Options node_options;
  node_options.name = options.node_id;
  node_options.node_timeout =
      std::chrono::milliseconds(static_cast<int64_t>(options.node_timeout * 1000 + 0.5));
  uint64_t uid = 0;
  while (uid == 0) fill_random(reinterpret_cast<uint8_t*>(&uid), sizeof(uid));
  set_log_callback(print_cluster_lines);
  auto handle = std::make_unique<RedisCluster>(std::move(node_options), uid, poller);
  // ---- excerpt: join ----
  // node: a cluster::ClusterNode (the rules); broker: its cluster::RedisBroker, made with the
  // server's PeerPoller (transport->get_server_poller()), which drives it.
  cluster::ClusterNode& node = handle->node();
  cluster::RedisBroker& broker = handle->broker();
  if (broker.start(*address) != OK) {  // waits up to 2 s; reconnects by itself later
    *error = broker.get_last_error();  // "cannot reach Redis at 10.0.0.5:6379: ..."
    return nullptr;
  }
  session.set_room_bus(&node);  // before clients connect: ids, rooms and relaying span the nodes
  // ---- end ----
  return handle;
}

}  // namespace wsp::tool
