// ReadinessSet over poll(2) / WSAPoll(), through net.h's wait_many(): portable, level-triggered.
#include <unordered_map>
#include <vector>

#include "wspeer/platform/native/net.h"
#include "wspeer/platform/native/readiness_set.h"

namespace wsp::native {
namespace {

class PollReadinessSet : public ReadinessSet {
 public:
  void watch(void* tag, int fd, short interest, bool /*edge*/) override {
    auto found = index_.find(tag);
    if (found != index_.end()) {
      entries_[found->second] = {fd, interest, 0};
      return;
    }
    index_.emplace(tag, entries_.size());
    entries_.push_back({fd, interest, 0});
    tags_.push_back(tag);
  }

  void forget(void* tag, int /*fd*/, bool /*still_open*/) override {
    // Records are found by tag, so a number reused by another socket is never confused.
    auto found = index_.find(tag);
    if (found == index_.end()) return;
    const size_t at = found->second;
    index_.erase(found);
    if (at + 1 != entries_.size()) {
      entries_[at] = entries_.back();
      tags_[at] = tags_.back();
      index_[tags_[at]] = at;
    }
    entries_.pop_back();
    tags_.pop_back();
  }

  int wait(Event* events, int max_events, int timeout_ms) override {
    if (entries_.empty()) {
      // Nothing to wait on: sleep out the timeout (wait_many with no sockets may not).
      if (timeout_ms != 0) wait_many(nullptr, 0, timeout_ms < 0 ? 1000 : timeout_ms);
      return 0;
    }
    if (wait_many(entries_.data(), entries_.size(), timeout_ms) <= 0) return 0;
    int count = 0;
    for (size_t i = 0; i < entries_.size() && count < max_events; ++i) {
      if (entries_[i].ready != 0) events[count++] = {tags_[i], entries_[i].ready};
    }
    return count;
  }

  bool edge_triggered() const override { return false; }

 private:
  std::vector<WaitEntry> entries_;
  std::vector<void*> tags_;
  std::unordered_map<void*, size_t> index_;
};

}  // namespace

std::unique_ptr<ReadinessSet> make_poll_readiness_set() {
  return std::make_unique<PollReadinessSet>();
}

#ifndef __linux__
std::unique_ptr<ReadinessSet> make_default_readiness_set() { return make_poll_readiness_set(); }
#endif

}  // namespace wsp::native
