// A growable FIFO of bytes that owns no memory until first used and can give it back when empty.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace wsp {

/// Readable bytes are [data(), data() + size()). prepare(n) returns room for n more bytes at the
/// end; commit(n) makes them readable. consume(n) drops bytes from the front without moving
/// anything, so a pointer into consumed bytes stays valid until the next prepare() or release().
class ByteBuffer {
 public:
  ByteBuffer() = default;
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;
  ByteBuffer(ByteBuffer&&) noexcept = default;
  ByteBuffer& operator=(ByteBuffer&&) noexcept = default;

  const uint8_t* data() const { return storage_.get() + read_; }
  uint8_t* data() { return storage_.get() + read_; }
  size_t size() const { return write_ - read_; }
  bool empty() const { return write_ == read_; }
  size_t capacity() const { return capacity_; }

  /// Returns a pointer to at least `n` writable bytes after the readable ones. May move the
  /// readable bytes (invalidating earlier pointers).
  uint8_t* prepare(size_t n);
  void commit(size_t n) { write_ += n; }
  void append(const uint8_t* bytes, size_t n);
  void consume(size_t n) { read_ += n; }
  /// Takes back the last `n` readable bytes.
  void unwrite(size_t n) { write_ -= n; }
  /// Forgets the content but keeps the memory.
  void clear() { read_ = write_ = 0; }
  /// Frees the memory if nothing is readable; an idle connection then owns no buffer.
  void release_if_empty();

 private:
  std::unique_ptr<uint8_t[]> storage_;
  size_t capacity_ = 0;
  size_t read_ = 0;
  size_t write_ = 0;
};

}  // namespace wsp
