#include "wspeer/core/happy_eyeballs.h"

namespace wsp {

std::vector<size_t> HappyEyeballs::interleave(const std::vector<int>& families) {
  std::vector<size_t> first;  // the resolver's first family, in its order
  std::vector<size_t> other;
  for (size_t i = 0; i < families.size(); ++i) {
    (families[i] == families.front() ? first : other).push_back(i);
  }
  std::vector<size_t> order;
  order.reserve(families.size());
  for (size_t i = 0; i < first.size() || i < other.size(); ++i) {
    if (i < first.size()) order.push_back(first[i]);
    if (i < other.size()) order.push_back(other[i]);
  }
  return order;
}

HappyEyeballs::HappyEyeballs(size_t count, Clock::time_point now)
    : count_(count), next_start_(now) {}

std::optional<size_t> HappyEyeballs::start_due(Clock::time_point now) {
  if (started_ == count_ || now < next_start_) return std::nullopt;
  next_start_ = now + kAttemptDelay;
  return started_++;
}

void HappyEyeballs::failed(Clock::time_point now) {
  ++failures_;
  next_start_ = now;
}

Clock::time_point HappyEyeballs::next_start() const {
  return started_ == count_ ? Clock::time_point::max() : next_start_;
}

}  // namespace wsp
