#include "wspeer/core/proxy/socks5.h"

#include <algorithm>

namespace wsp {
namespace {

constexpr uint8_t kVersion = 5;
constexpr uint8_t kNoAuthentication = 0x00;
constexpr uint8_t kUsernamePassword = 0x02;
constexpr uint8_t kNoAcceptableMethod = 0xFF;
constexpr uint8_t kConnect = 0x01;
constexpr uint8_t kIpv4 = 0x01;
constexpr uint8_t kDomainName = 0x03;
constexpr uint8_t kIpv6 = 0x04;

const char* reply_meaning(uint8_t code) {
  switch (code) {
    case 0x01:
      return "general SOCKS server failure";
    case 0x02:
      return "connection not allowed by ruleset";
    case 0x03:
      return "network unreachable";
    case 0x04:
      return "host unreachable";
    case 0x05:
      return "connection refused";
    case 0x06:
      return "TTL expired";
    case 0x07:
      return "command not supported";
    case 0x08:
      return "address type not supported";
    default:
      return "unknown reply code";
  }
}

std::string hex_byte(uint8_t value) {
  const char* digits = "0123456789abcdef";
  return std::string("0x") + digits[value >> 4] + digits[value & 15];
}

}  // namespace

Socks5Handshake::Socks5Handshake(const ProxyUrl& proxy, const ProxyTarget& target)
    : proxy_name_(proxy.to_string()),
      target_name_((target.host_is_ipv6 ? "[" + target.host + "]" : target.host) + ":" +
                   std::to_string(target.port)),
      username_(proxy.username),
      password_(proxy.password),
      offer_password_(proxy.has_credentials),
      target_(target) {
  if (!target_.resolved) target_.resolved = parse_ip_literal(target.host);
  remote_name_ = !target_.resolved;
  if (remote_name_ && target_.host.size() > 255) {
    fail("The server's name is longer than SOCKS5 allows (255 bytes).");
    return;
  }
  output_ = offer_password_ ? std::string{kVersion, 2, kNoAuthentication, kUsernamePassword}
                            : std::string{kVersion, 1, kNoAuthentication};
}

bool Socks5Handshake::collect(const uint8_t* data, size_t size, size_t* used) {
  const size_t take = std::min(want_ - have_, size - *used);
  std::copy_n(data + *used, take, reply_.begin() + static_cast<std::ptrdiff_t>(have_));
  have_ += take;
  *used += take;
  return have_ == want_;
}

size_t Socks5Handshake::receive(const uint8_t* data, size_t size) {
  size_t used = 0;
  while (used < size && status() == Status::kWorking) {
    if (step_ == Step::kReplyAddress) {
      const size_t take = std::min(skip_, size - used);
      skip_ -= take;
      used += take;
      if (skip_ == 0) open();
      continue;
    }
    if (!collect(data, size, &used)) break;
    have_ = 0;
    switch (step_) {
      case Step::kMethod:
        on_method();
        break;
      case Step::kAuthentication:
        on_authentication();
        break;
      case Step::kReplyHead:
        on_reply_head();
        break;
      case Step::kReplyNameLength:
        skip_ = reply_[0] + 2;
        step_ = Step::kReplyAddress;
        break;
      case Step::kReplyAddress:
        break;
    }
  }
  return used;
}

void Socks5Handshake::on_method() {
  if (reply_[0] != kVersion) {
    fail("The proxy " + proxy_name_ + " does not speak SOCKS5 (its answer began with " +
         hex_byte(reply_[0]) +
         (reply_[0] == 'H' ? ", as HTTP does: try an http:// proxy URL)." : ")."));
    return;
  }
  const uint8_t method = reply_[1];
  if (method == kNoAcceptableMethod) {
    fail("The SOCKS5 proxy " + proxy_name_ + " accepts none of the methods offered (" +
         (offer_password_ ? "none, username/password)."
                          : "none): it may need a user name and password "
                            "(socks5://user:password@host:port)."));
    return;
  }
  if (method == kUsernamePassword && offer_password_) {
    output_.push_back(1);  // the subnegotiation's version (RFC 1929)
    output_.push_back(static_cast<char>(username_.size()));
    output_ += username_;
    output_.push_back(static_cast<char>(password_.size()));
    output_ += password_;
    step_ = Step::kAuthentication;
    want_ = 2;
    return;
  }
  if (method != kNoAuthentication) {
    fail("The SOCKS5 proxy " + proxy_name_ + " chose a method that was not offered (" +
         hex_byte(method) + ").");
    return;
  }
  send_connect();
}

void Socks5Handshake::on_authentication() {
  if (reply_[1] != 0) {
    fail("The SOCKS5 proxy " + proxy_name_ + " rejected the user name and password (status " +
         hex_byte(reply_[1]) + ").");
    return;
  }
  send_connect();
}

void Socks5Handshake::send_connect() {
  output_ += std::string{kVersion, kConnect, 0};
  if (remote_name_) {
    output_.push_back(static_cast<char>(kDomainName));
    output_.push_back(static_cast<char>(target_.host.size()));
    output_ += target_.host;
  } else {
    output_.push_back(static_cast<char>(target_.resolved->is_ipv6 ? kIpv6 : kIpv4));
    output_.append(reinterpret_cast<const char*>(target_.resolved->bytes.data()),
                   target_.resolved->size());
  }
  output_.push_back(static_cast<char>(target_.port >> 8));
  output_.push_back(static_cast<char>(target_.port & 0xFF));
  step_ = Step::kReplyHead;
  want_ = 4;
}

void Socks5Handshake::on_reply_head() {
  if (reply_[0] != kVersion) {
    fail("The SOCKS5 proxy " + proxy_name_ + " answered CONNECT with version " +
         hex_byte(reply_[0]) + ".");
    return;
  }
  if (reply_[1] != 0) {
    fail("The SOCKS5 proxy " + proxy_name_ + " could not connect to " + target_name_ + ": " +
         reply_meaning(reply_[1]) + " (" + hex_byte(reply_[1]) + ").");
    return;
  }
  // The address the proxy bound, then its port: read past them, without storing them.
  switch (reply_[3]) {
    case kIpv4:
      skip_ = 4 + 2;
      break;
    case kIpv6:
      skip_ = 16 + 2;
      break;
    case kDomainName:
      step_ = Step::kReplyNameLength;  // its length byte comes first
      want_ = 1;
      return;
    default:
      fail("The SOCKS5 proxy " + proxy_name_ + " answered with an unknown address type (" +
           hex_byte(reply_[3]) + ").");
      return;
  }
  step_ = Step::kReplyAddress;
}

}  // namespace wsp
