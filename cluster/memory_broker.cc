#include "wspeer/cluster/memory_broker.h"

#include <algorithm>

namespace wsp::cluster {

class MemoryBroker::Link : public BrokerLink {
 public:
  Link(MemoryBroker* broker, ClusterNode* node) : broker_(broker), node_(node) {}

  void publish(const std::string& channel, std::span<const uint8_t> message) override {
    std::vector<uint8_t> copy(message.begin(), message.end());
    broker_->queue(this, [this, channel, copy] {
      for (const auto& link : broker_->links_) {
        if (link->up && link->channels.count(channel) > 0) link->node_->on_message(copy);
      }
    });
  }
  void subscribe(const std::string& channel) override {
    broker_->queue(this, [this, channel] {
      channels.insert(channel);
      node_->on_subscribed(channel);
    });
  }
  void unsubscribe(const std::string& channel) override {
    broker_->queue(this, [this, channel] { channels.erase(channel); });
  }
  void store_member(const std::string& room, int id) override {
    broker_->queue(this, [this, room, id] {
      broker_->rooms_[room][id] = Stored{node_->uid(), node_->name()};
    });
  }
  void drop_member(const std::string& room, int id) override {
    broker_->queue(this, [this, room, id] {
      auto found = broker_->rooms_.find(room);
      if (found != broker_->rooms_.end()) found->second.erase(id);
    });
  }
  void read_room(const std::string& room) override {
    broker_->queue(this, [this, room] {
      std::vector<StoredMember> members;
      for (const auto& [id, stored] : broker_->rooms_[room]) {
        const auto life = broker_->lifetimes_.find(stored.node);
        if (life == broker_->lifetimes_.end() || life->second.first != stored.uid ||
            life->second.second <= broker_->clock_()) {
          continue;  // its node's lifetime ran out
        }
        members.push_back({id, stored.uid, stored.node});
      }
      node_->on_room_read(room, members);
    });
  }
  void refresh_node() override {
    broker_->queue(this, [this] {
      broker_->lifetimes_[node_->name()] = {node_->uid(),
                                            broker_->clock_() + node_->options().node_timeout};
    });
  }

  MemoryBroker* broker_;
  ClusterNode* node_;
  bool up = false;
  bool announced = false;  ///< on_link_up() was called for the current connection
  std::set<std::string> channels;
};

MemoryBroker::MemoryBroker(std::function<Clock::time_point()> clock) : clock_(std::move(clock)) {}
MemoryBroker::~MemoryBroker() = default;

void MemoryBroker::attach(ClusterNode* node) {
  links_.push_back(std::make_unique<Link>(this, node));
  node->set_link(links_.back().get());
  node->set_id_slot(next_slot_++);
  links_.back()->up = true;
}

void MemoryBroker::queue(Link* from, std::function<void()> run) {
  if (from->up) queue_.push_back({from, std::move(run)});
}

void MemoryBroker::cut(ClusterNode* node) {
  for (const auto& link : links_) {
    if (link->node_ != node || !link->up) continue;
    link->up = false;
    link->announced = false;
    link->channels.clear();
    std::erase_if(queue_, [&](const Operation& op) { return op.from == link.get(); });
    node->on_link_down();
  }
}

void MemoryBroker::restore(ClusterNode* node) {
  for (const auto& link : links_) {
    if (link->node_ == node) link->up = true;
  }
}

void MemoryBroker::restart() {
  for (const auto& link : links_) cut(link->node_);
  rooms_.clear();
  lifetimes_.clear();
  for (const auto& link : links_) link->up = true;
}

void MemoryBroker::pump() {
  for (;;) {
    for (const auto& link : links_) {
      if (link->up && !link->announced) {
        link->announced = true;
        link->node_->on_link_up();
      }
    }
    if (queue_.empty()) return;
    std::vector<Operation> batch;
    batch.swap(queue_);
    for (Operation& op : batch) {
      if (op.from->up) op.run();
    }
  }
}

}  // namespace wsp::cluster
