#include "wspeer/core/byte_buffer.h"

#include <cstring>
#include <new>

namespace wsp {
namespace {
constexpr size_t kFirstCapacity = 32;
}  // namespace

ByteBuffer& ByteBuffer::operator=(ByteBuffer&& other) noexcept {
  if (this != &other) {
    free_block();
    block_ = other.block_;
    other.block_ = nullptr;
  }
  return *this;
}

uint8_t* ByteBuffer::prepare(size_t n) {
  if (block_) {
    Block& b = *block_;
    if (b.read == b.write) b.read = b.write = 0;
    if (b.capacity - b.write >= n) return b.bytes() + b.write;
    const size_t live = b.write - b.read;
    // Slide the live bytes to the front when that frees enough room and the buffer would stay at
    // most half full; otherwise grow geometrically so appends stay amortised O(1).
    if (b.capacity - live >= n && live + n <= b.capacity / 2 + 1) {
      std::memmove(b.bytes(), b.bytes() + b.read, live);
      b.read = 0;
      b.write = live;
      return b.bytes() + live;
    }
  }
  const size_t old_capacity = capacity();
  const size_t live = size();
  // Start small, then double: the first block is 56 bytes with its positions, so a connection
  // that saw only short messages holds (and leaves to the allocator at idle) one 64-byte chunk.
  size_t new_capacity = old_capacity ? old_capacity * 2 : kFirstCapacity;
  if (new_capacity < live + n) new_capacity = live + n;
  Block* grown = static_cast<Block*>(::operator new(sizeof(Block) + new_capacity));
  grown->capacity = new_capacity;
  grown->read = 0;
  grown->write = live;
  if (live) std::memcpy(grown->bytes(), block_->bytes() + block_->read, live);
  free_block();
  block_ = grown;
  return grown->bytes() + live;
}

void ByteBuffer::append(const uint8_t* bytes, size_t n) {
  if (n == 0) return;
  std::memcpy(prepare(n), bytes, n);
  commit(n);
}

void ByteBuffer::release_if_empty() {
  if (empty()) free_block();
}

void ByteBuffer::free_block() {
  ::operator delete(block_);
  block_ = nullptr;
}

}  // namespace wsp
