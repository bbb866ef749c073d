// A SOCKS5 proxy's tunnel (RFC 1928) with optional username/password authentication
// (RFC 1929): greeting, method choice, authentication, CONNECT, reply.
#pragma once

#include <array>

#include "wspeer/core/proxy/proxy_handshake.h"

namespace wsp {

class Socks5Handshake : public ProxyHandshake {
 public:
  Socks5Handshake(const ProxyUrl& proxy, const ProxyTarget& target);
  size_t receive(const uint8_t* data, size_t size) override;

 private:
  enum class Step : uint8_t {
    kMethod,
    kAuthentication,
    kReplyHead,
    kReplyNameLength,
    kReplyAddress
  };

  /// Collects `want_` bytes of the current reply into reply_; true once they are all there.
  bool collect(const uint8_t* data, size_t size, size_t* used);
  void on_method();
  void on_authentication();
  void on_reply_head();
  void send_connect();

  std::string proxy_name_;
  std::string target_name_;
  std::string username_;
  std::string password_;
  bool offer_password_ = false;
  ProxyTarget target_;
  bool remote_name_ = false;  ///< the proxy resolves the name (ATYP 3)
  Step step_ = Step::kMethod;
  std::array<uint8_t, 4> reply_{};
  size_t want_ = 2;
  size_t have_ = 0;
  size_t skip_ = 0;  ///< bytes of the reply's bound address still to pass over
};

}  // namespace wsp
