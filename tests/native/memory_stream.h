// An in-memory StreamPeer for fault injection: the test decides exactly which bytes arrive when,
// how much each write may take, and when the transport fails.
#pragma once

#include <algorithm>
#include <cstring>
#include <string>

#include "wspeer/core/stream_peer.h"

namespace wsp::test {

class MemoryStream : public StreamPeer {
 public:
  // Bytes the peer will read, delivered at most `read_chunk` at a time.
  void deliver(const std::string& bytes) { incoming_ += bytes; }
  void set_read_chunk(size_t n) { read_chunk_ = n; }
  // Each write takes at most this many bytes (0: nothing, like a full socket).
  void set_write_chunk(size_t n) { write_chunk_ = n; }
  // The Nth write call (1-based) fails; 0 never.
  void fail_write_at(int n) { fail_write_at_ = n; }
  void fail_read_at(int n) { fail_read_at_ = n; }
  void fail_next_write() { fail_write_at_ = writes_ + 1; }
  void end_of_stream() { eof_ = true; }
  const std::string& written() const { return written_; }

  Error put_partial_data(const uint8_t* data, int size, int* sent) override {
    *sent = 0;
    if (closed_) return ERR_CONNECTION_ERROR;
    if (++writes_ == fail_write_at_) {
      closed_ = true;
      return ERR_CONNECTION_ERROR;
    }
    const size_t n = std::min<size_t>(static_cast<size_t>(size), write_chunk_);
    written_.append(reinterpret_cast<const char*>(data), n);
    *sent = static_cast<int>(n);
    return OK;
  }
  Error get_partial_data(uint8_t* buffer, int size, int* received) override {
    *received = 0;
    if (closed_) return ERR_CONNECTION_ERROR;
    if (++reads_ == fail_read_at_) {
      closed_ = true;
      return ERR_CONNECTION_ERROR;
    }
    if (incoming_.empty()) return eof_ ? ERR_FILE_EOF : OK;
    const size_t n = std::min({static_cast<size_t>(size), read_chunk_, incoming_.size()});
    std::memcpy(buffer, incoming_.data(), n);
    incoming_.erase(0, n);
    *received = static_cast<int>(n);
    return OK;
  }
  Status get_status() const override { return closed_ ? STATUS_NONE : STATUS_CONNECTED; }
  void disconnect() override { closed_ = true; }
  // The simulated peer answers our end of stream with its own.
  void shutdown_write() override { eof_ = true; }

 private:
  std::string incoming_;
  std::string written_;
  size_t read_chunk_ = SIZE_MAX;
  size_t write_chunk_ = SIZE_MAX;
  int writes_ = 0;
  int reads_ = 0;
  int fail_write_at_ = 0;
  int fail_read_at_ = 0;
  bool eof_ = false;
  bool closed_ = false;
};

}  // namespace wsp::test
