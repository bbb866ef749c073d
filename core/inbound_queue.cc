#include "wspeer/core/inbound_queue.h"

#include <cstring>

namespace wsp {

void InboundQueue::configure(size_t max_message_size, size_t max_packets) {
  max_message_size_ = max_message_size;
  max_packets_ = max_packets;
}

uint8_t* InboundQueue::extend_partial(size_t n) {
  uint8_t* out = buffer_.prepare(n);
  buffer_.commit(n);
  partial_size_ += n;
  return out;
}

void InboundQueue::commit_partial(bool is_text) {
  Record record;
  record.size = partial_size_;
  record.is_text = is_text ? 1 : 0;
  records_.push_back(record);
  queued_bytes_ += partial_size_;
  partial_size_ = 0;
}

void InboundQueue::drop_partial() {
  // The partial message is the last thing in the buffer.
  buffer_.unwrite(partial_size_);
  partial_size_ = 0;
}

bool InboundQueue::push(const uint8_t* data, size_t size, bool is_text) {
  if (size > max_message_size_ || full() || partial_size_ != 0) return false;
  if (size) std::memcpy(extend_partial(size), data, size);
  commit_partial(is_text);
  return true;
}

bool InboundQueue::pop(const uint8_t** data, size_t* size, bool* is_text) {
  if (records_.empty()) return false;
  const Record record = records_.front();
  records_.pop_front();
  *data = buffer_.data();
  *size = record.size;
  *is_text = record.is_text != 0;
  buffer_.consume(record.size);
  queued_bytes_ -= record.size;
  return true;
}

void InboundQueue::clear() {
  buffer_.clear();
  records_.clear();
  queued_bytes_ = 0;
  partial_size_ = 0;
}

void InboundQueue::release_if_idle() {
  if (!records_.empty() || partial_size_ != 0) return;
  buffer_.clear();
  buffer_.release_if_empty();
  records_.release_if_empty();
}

}  // namespace wsp
