// A FIFO of small records in a power-of-two ring that allocates lazily and can be released.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace wsp {

template <typename T>
class RingQueue {
 public:
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool holds_memory() const { return capacity_ != 0; }
  T& front() { return slots_[head_]; }
  const T& front() const { return slots_[head_]; }
  const T& operator[](size_t i) const { return slots_[(head_ + i) & (capacity_ - 1)]; }
  T& back() { return slots_[(head_ + size_ - 1) & (capacity_ - 1)]; }

  void push_back(const T& value) {
    if (size_ == capacity_) grow();
    slots_[(head_ + size_) & (capacity_ - 1)] = value;
    ++size_;
  }
  void pop_front() {
    head_ = (head_ + 1) & (capacity_ - 1);
    --size_;
  }
  void clear() { head_ = size_ = 0; }
  void release_if_empty() {
    if (size_ != 0) return;
    slots_.reset();
    capacity_ = head_ = 0;
  }

 private:
  void grow() {
    const uint32_t new_capacity = capacity_ ? capacity_ * 2 : 2;  ///< most queues hold one or two
    std::unique_ptr<T[]> grown(new T[new_capacity]);
    for (uint32_t i = 0; i < size_; ++i) grown[i] = slots_[(head_ + i) & (capacity_ - 1)];
    slots_ = std::move(grown);
    capacity_ = new_capacity;
    head_ = 0;
  }

  // 32-bit positions: a queue is bounded far below 2^31 entries by the limits of its user, and
  // every connection carries two of these.
  std::unique_ptr<T[]> slots_;
  uint32_t capacity_ = 0;  ///< zero or a power of two
  uint32_t head_ = 0;
  uint32_t size_ = 0;
};

}  // namespace wsp
