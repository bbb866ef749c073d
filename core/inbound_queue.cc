#include "wspeer/core/inbound_queue.h"

#include <algorithm>
#include <cstring>

namespace wsp {

void InboundQueue::configure(size_t max_message_size, size_t max_packets) {
  // Limits come from int settings; anything larger means "no smaller than the largest message".
  max_message_size_ = static_cast<uint32_t>(std::min<size_t>(max_message_size, 0x7fffffff));
  max_packets_ = static_cast<uint32_t>(std::min<size_t>(max_packets, UINT32_MAX));
}

void InboundQueue::reserve_record() {
  if (record_reserved_) return;
  buffer_.prepare(kRecordSize);
  buffer_.commit(kRecordSize);
  record_reserved_ = 1;
}

uint8_t* InboundQueue::extend_partial(size_t n) {
  reserve_record();
  uint8_t* out = buffer_.prepare(n);
  buffer_.commit(n);
  partial_size_ += static_cast<uint32_t>(n);
  return out;
}

uint8_t* InboundQueue::partial_room(size_t n) {
  reserve_record();
  return buffer_.prepare(n);
}

void InboundQueue::commit_partial(bool is_text) {
  reserve_record();
  const uint32_t record = partial_size_ | (is_text ? kTextBit : 0);
  std::memcpy(buffer_.data() + buffer_.size() - partial_size_ - kRecordSize, &record, kRecordSize);
  ++count_;
  partial_size_ = 0;
  record_reserved_ = 0;
}

void InboundQueue::drop_partial() {
  // The partial message is the last thing in the buffer.
  buffer_.unwrite(partial_size_ + (record_reserved_ ? kRecordSize : 0));
  partial_size_ = 0;
  record_reserved_ = 0;
}

bool InboundQueue::push(const uint8_t* data, size_t size, bool is_text) {
  if (size > max_message_size_ || full() || partial_size_ != 0 || record_reserved_) return false;
  if (size) std::memcpy(extend_partial(size), data, size);
  commit_partial(is_text);
  return true;
}

bool InboundQueue::pop(const uint8_t** data, size_t* size, bool* is_text) {
  if (count_ == 0) return false;
  uint32_t record;
  std::memcpy(&record, buffer_.data(), kRecordSize);
  buffer_.consume(kRecordSize);
  --count_;
  *data = buffer_.data();
  *size = record & ~kTextBit;
  *is_text = (record & kTextBit) != 0;
  buffer_.consume(*size);
  return true;
}

void InboundQueue::clear() {
  buffer_.clear();
  count_ = 0;
  partial_size_ = 0;
  record_reserved_ = 0;
}

void InboundQueue::release_if_idle() {
  if (count_ != 0 || partial_size_ != 0 || record_reserved_) return;
  buffer_.clear();
  buffer_.release_if_empty();
}

}  // namespace wsp
