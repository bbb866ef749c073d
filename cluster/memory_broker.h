// MemoryBroker: a broker in one process for several ClusterNodes, with Redis pub/sub's
// semantics (at most once; nothing for a node whose link is down). It makes a cluster's rules
// testable in memory, and lets one process run several nodes. Nothing happens until pump().
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "wspeer/cluster/cluster_node.h"

namespace wsp::cluster {

class MemoryBroker {
 public:
  using Clock = ClusterNode::Clock;
  explicit MemoryBroker(std::function<Clock::time_point()> clock = Clock::now);
  ~MemoryBroker();
  MemoryBroker(const MemoryBroker&) = delete;
  MemoryBroker& operator=(const MemoryBroker&) = delete;

  /// Connects a node (its link comes up at the next pump()) and gives it an id slot.
  void attach(ClusterNode* node);
  /// A node's broker connection drops (everything it had queued is lost) or comes back.
  void cut(ClusterNode* node);
  void restore(ClusterNode* node);
  /// The broker restarts: every connection drops and what it stored is gone.
  void restart();
  /// Runs what the nodes asked for, in order, until nothing is left.
  void pump();

 private:
  class Link;
  struct Operation {
    Link* from;
    std::function<void()> run;
  };
  struct Stored {
    uint64_t uid;
    std::string node;
  };

  void queue(Link* from, std::function<void()> run);

  std::function<Clock::time_point()> clock_;
  std::vector<std::unique_ptr<Link>> links_;
  std::vector<Operation> queue_;
  std::map<std::string, std::map<int, Stored>> rooms_;
  std::map<std::string, std::pair<uint64_t, Clock::time_point>> lifetimes_;  ///< by node name
  int next_slot_ = 1;
};

}  // namespace wsp::cluster
