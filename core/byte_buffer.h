// A growable FIFO of bytes that owns no memory until first used and can give it back when empty.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace wsp {

/// Readable bytes are [data(), data() + size()). prepare(n) returns room for n more bytes at the
/// end; commit(n) makes them readable. consume(n) drops bytes from the front without moving
/// anything, so a pointer into consumed bytes stays valid until the next prepare() or release().
/// The buffer itself is one pointer: its positions live in front of the bytes, in the block
/// allocated on first use, so an idle connection pays 8 bytes per buffer.
class ByteBuffer {
 public:
  ByteBuffer() = default;
  ~ByteBuffer() { free_block(); }
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;
  ByteBuffer(ByteBuffer&& other) noexcept : block_(other.block_) { other.block_ = nullptr; }
  ByteBuffer& operator=(ByteBuffer&& other) noexcept;

  const uint8_t* data() const { return block_ ? block_->bytes() + block_->read : nullptr; }
  uint8_t* data() { return block_ ? block_->bytes() + block_->read : nullptr; }
  size_t size() const { return block_ ? block_->write - block_->read : 0; }
  bool empty() const { return size() == 0; }
  size_t capacity() const { return block_ ? block_->capacity : 0; }

  /// Returns a pointer to at least `n` writable bytes after the readable ones. May move the
  /// readable bytes (invalidating earlier pointers).
  uint8_t* prepare(size_t n);
  /// commit, consume and unwrite take counts within what prepare() gave or size() says, so a
  /// non-zero count implies a block.
  void commit(size_t n) {
    if (n) block_->write += n;
  }
  void append(const uint8_t* bytes, size_t n);
  void consume(size_t n) {
    if (n) block_->read += n;
  }
  /// Takes back the last `n` readable bytes.
  void unwrite(size_t n) {
    if (n) block_->write -= n;
  }
  /// Forgets the content but keeps the memory.
  void clear() {
    if (block_) block_->read = block_->write = 0;
  }
  /// Frees the memory if nothing is readable; an idle connection then owns no buffer.
  void release_if_empty();

 private:
  struct Block {
    size_t capacity;
    size_t read;
    size_t write;
    uint8_t* bytes() { return reinterpret_cast<uint8_t*>(this + 1); }
  };
  void free_block();

  Block* block_ = nullptr;
};

}  // namespace wsp
