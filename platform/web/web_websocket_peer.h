// The WebAssembly WebSocketPeer: the browser's WebSocket, driven through websocket_library.js.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "wspeer/core/websocket_peer.h"

namespace wsp {

class WebWebSocketPeer : public WebSocketPeer {
 public:
  WebWebSocketPeer() = default;
  ~WebWebSocketPeer() override;

  Error connect_to_url(const std::string& url,
                       std::shared_ptr<const TLSOptions> tls_client_options = nullptr) override;
  /// Browsers cannot act as servers: ERR_UNAVAILABLE.
  Error accept_stream(std::shared_ptr<StreamPeer> stream, std::string_view pre_read = {}) override;
  /// Events arrive from the browser between calls; poll() only keeps idle buffers small.
  void poll() override;
  std::string get_connected_host() const override;
  int get_connected_port() const override;
  /// WebSocket.bufferedAmount.
  int64_t get_current_outbound_buffered_amount() const override;
  void set_no_delay(bool enabled) override;

  /// Web only: called from the browser event that delivered a message, right after it was
  /// queued. Event-driven code can read it at once instead of waiting for its next poll().
  void set_message_handler(std::function<void()> handler) { message_handler_ = std::move(handler); }

  /// Called from JavaScript.
  char* scratch(size_t size);
  void on_open(const char* protocol_and_extensions);  ///< "protocol\nextensions"
  uint8_t* reserve_message(size_t size, bool is_text);
  void commit_message(bool is_text);
  void on_error();
  void on_timeout(bool closing);  ///< handshake_timeout or close_timeout ran out
  void on_close(int code, const char* reason, bool was_clean);

 protected:
  Error send_message(const uint8_t* data, size_t size, bool is_text) override;
  void begin_close(int code, std::string_view reason) override;
  void abort_connection() override;
  size_t queued_outbound_messages() const override { return 0; }
  /// Never called: a browser cannot accept connections, so no request is ever pending.
  void answer_request(std::string, int) override {}
  /// Browsers accept only 1000 and 3000-4999 from applications.
  bool close_code_allowed(int code) const override;

 private:
  void release_socket();
  void fail_with_1009(std::string reason);

  int socket_ = 0;
  std::function<void()> message_handler_;
  std::string scratch_;         ///< strings passed from JavaScript (close reason, protocol)
  bool limit_failure_ = false;  ///< we are closing because a message broke a limit
  std::string limit_reason_;
};

}  // namespace wsp
