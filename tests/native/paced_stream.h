// A StreamPeer that passes reads straight through to another stream but releases what is written
// at a pace the test sets: a slow link in one direction, on a real socket. Under StreamPeerTLS it
// paces ciphertext, so TLS records arrive in pieces.
#pragma once

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>

#include "wspeer/core/stream_peer.h"

namespace wsp::test {

class PacedStream : public StreamPeer {
 public:
  explicit PacedStream(std::shared_ptr<StreamPeer> base) : base_(std::move(base)) {}

  /// From now on at most `bytes` leave every `every` (0 bytes: nothing leaves, a stalled link).
  void set_pace(size_t bytes, std::chrono::milliseconds every) {
    bytes_per_step_ = bytes;
    step_ = every;
  }
  /// Hands the socket what the pace allows by now; call it from the test's loop.
  void pump() {
    const auto now = std::chrono::steady_clock::now();
    if (bytes_per_step_ == 0 || now < next_step_ || pending_.empty()) return;
    next_step_ = now + step_;
    const int size = static_cast<int>(std::min(bytes_per_step_, pending_.size()));
    int sent = 0;
    if (base_->put_partial_data(reinterpret_cast<const uint8_t*>(pending_.data()), size, &sent) !=
        OK) {
      broken_ = true;
      return;
    }
    pending_.erase(0, static_cast<size_t>(sent));
    last_release_ = now;
  }
  size_t pending() const { return pending_.size(); }
  /// When the last bytes left for the socket.
  std::chrono::steady_clock::time_point last_release() const { return last_release_; }

  Error put_partial_data(const uint8_t* data, int size, int* sent) override {
    if (broken_) return ERR_CONNECTION_ERROR;
    pending_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(size));
    *sent = size;
    return OK;
  }
  Error get_partial_data(uint8_t* buffer, int size, int* received) override {
    return base_->get_partial_data(buffer, size, received);
  }
  void poll() override { base_->poll(); }
  Status get_status() const override { return broken_ ? STATUS_ERROR : base_->get_status(); }
  void disconnect() override { base_->disconnect(); }
  int get_native_handle() const override { return base_->get_native_handle(); }
  bool has_pending_input() const override { return base_->has_pending_input(); }
  std::string get_connected_host() const override { return base_->get_connected_host(); }
  int get_connected_port() const override { return base_->get_connected_port(); }

 private:
  std::shared_ptr<StreamPeer> base_;
  std::string pending_;
  size_t bytes_per_step_ = SIZE_MAX;  ///< unpaced until set_pace()
  std::chrono::milliseconds step_{0};
  std::chrono::steady_clock::time_point next_step_{};
  std::chrono::steady_clock::time_point last_release_{};
  bool broken_ = false;
};

}  // namespace wsp::test
