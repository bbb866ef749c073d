#include "wspeer/core/byte_buffer.h"

#include <cstring>

namespace wsp {

uint8_t* ByteBuffer::prepare(size_t n) {
  if (read_ == write_) read_ = write_ = 0;
  if (capacity_ - write_ >= n) return storage_.get() + write_;
  const size_t live = write_ - read_;
  // Slide the live bytes to the front when that frees enough room and the buffer would stay at
  // most half full; otherwise grow geometrically so appends stay amortised O(1).
  if (capacity_ - live >= n && live + n <= capacity_ / 2 + 1) {
    std::memmove(storage_.get(), storage_.get() + read_, live);
  } else {
    // Start small (an idle connection that saw one short message holds little), then double.
    size_t new_capacity = capacity_ ? capacity_ * 2 : 64;
    if (new_capacity < live + n) new_capacity = live + n;
    std::unique_ptr<uint8_t[]> grown(new uint8_t[new_capacity]);
    if (live) std::memcpy(grown.get(), storage_.get() + read_, live);
    storage_ = std::move(grown);
    capacity_ = new_capacity;
  }
  read_ = 0;
  write_ = live;
  return storage_.get() + write_;
}

void ByteBuffer::append(const uint8_t* bytes, size_t n) {
  if (n == 0) return;
  std::memcpy(prepare(n), bytes, n);
  commit(n);
}

void ByteBuffer::release_if_empty() {
  if (read_ != write_) return;
  storage_.reset();
  capacity_ = read_ = write_ = 0;
}

}  // namespace wsp
