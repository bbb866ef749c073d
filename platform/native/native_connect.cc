// The native WebSocketPeer from a URL to a connected socket: resolving the names the connection
// needs (the server's, or the proxy's and for socks5:// the server's too), then Happy Eyeballs
// over the addresses (the schedule is core/happy_eyeballs.h).
#include "wspeer/core/proxy/ip_literal.h"
#include "wspeer/platform/native/native_peer_parts.h"
#include "wspeer/platform/native/native_websocket_peer.h"

namespace wsp {

using namespace native_peer;  // NOLINT: the constants and helpers the parts share

namespace {

// Attempts in flight other than the one the poll loop watches are looked at this often.
constexpr auto kOtherAttemptsCheck = std::chrono::milliseconds(10);

}  // namespace

void NativeWebSocketPeer::resolve_or_connect() {
  HandshakeState& handshake = *handshake_;
  const ProxyTarget target{handshake.url.host, handshake.url.host_is_ipv6, handshake.url.port,
                           handshake.route->target_ip};
  if (handshake.route->proxy && needs_local_resolution(*handshake.route->proxy, target)) {
    // socks5:// names the server by address: its name is resolved first, then the proxy's.
    handshake.route->resolving_target = true;
    handshake.resolve_job = native::ResolveJob::start(handshake.url.host, handshake.url.port);
    phase_ = Phase::kResolving;
    return;
  }
  const std::string& host =
      handshake.route->proxy ? handshake.route->proxy->host : handshake.url.host;
  const int port = handshake.route->proxy ? handshake.route->proxy->port : handshake.url.port;
  if (const auto literal = SocketAddress::from_ip(host, port)) {
    handshake.addresses = {*literal};
    start_race(Clock::now());
  } else {
    handshake.resolve_job = native::ResolveJob::start(host, port);
    phase_ = Phase::kResolving;
  }
}

void NativeWebSocketPeer::on_resolved(native::ResolveResult result, Clock::time_point now) {
  HandshakeState& handshake = *handshake_;
  if (!result.error.empty()) {
    fail_handshake(handshake.route->proxy && !handshake.route->resolving_target
                       ? "Cannot reach the proxy " + handshake.route->proxy->to_string() +
                             " (from " + handshake.route->proxy_source + "): " + result.error
                       : result.error);
    return;
  }
  if (handshake.route->resolving_target) {
    handshake.route->resolving_target = false;
    handshake.route->target_ip = parse_ip_literal(result.addresses.front().host());
    resolve_or_connect();
    return;
  }
  std::vector<int> families;
  families.reserve(result.addresses.size());
  for (const SocketAddress& address : result.addresses) families.push_back(address.ip_version());
  handshake.addresses.clear();
  for (size_t index : HappyEyeballs::interleave(families)) {
    handshake.addresses.push_back(result.addresses[index]);
  }
  start_race(now);
}

void NativeWebSocketPeer::start_race(Clock::time_point now) {
  handshake_->route->race.emplace(handshake_->addresses.size(), now);
  handshake_->route->attempts.assign(handshake_->addresses.size(), nullptr);
  phase_ = Phase::kConnecting;
  // Only started here: the outcome is seen by poll(), as for every connection (connect_to_url()
  // reports OK for a connection that will be refused, as Godot does).
  launch_due_attempts(now);
}

void NativeWebSocketPeer::step_race(Clock::time_point now) {
  HandshakeState& handshake = *handshake_;
  for (std::shared_ptr<StreamPeerTCP>& attempt : handshake.route->attempts) {
    if (!attempt) continue;
    attempt->poll();
    const StreamPeer::Status status = attempt->get_status();
    if (status == StreamPeer::STATUS_CONNECTING) continue;
    if (status == StreamPeer::STATUS_CONNECTED) {
      handshake.tcp = attempt;
      connected();
      return;
    }
    handshake.last_connect_error = attempt->get_last_error();
    attempt.reset();
    handshake.route->race->failed(now);
  }
  launch_due_attempts(now);
}

void NativeWebSocketPeer::launch_due_attempts(Clock::time_point now) {
  HandshakeState& handshake = *handshake_;
  HappyEyeballs& race = *handshake.route->race;
  while (const std::optional<size_t> next = race.start_due(now)) {
    auto attempt = std::make_shared<StreamPeerTCP>();
    if (attempt->connect_to_address(handshake.addresses[*next]) == OK) {
      handshake.route->attempts[*next] = std::move(attempt);
      break;  // the next one waits for the attempt delay (or this one's failure)
    }
    handshake.last_connect_error = attempt->get_last_error();
    race.failed(now);
  }
  if (race.exhausted()) {
    fail_connect();
    return;
  }
  // The poll loop watches one socket: the newest attempt in flight.
  for (auto it = handshake.route->attempts.rbegin(); it != handshake.route->attempts.rend(); ++it) {
    if (*it) {
      if (stream_ != *it) hangup_reported_ = false;  // a report about another socket
      stream_ = *it;
      break;
    }
  }
}

void NativeWebSocketPeer::fail_connect() {
  const HandshakeState& handshake = *handshake_;
  std::string message =
      handshake.last_connect_error.empty() ? "Cannot connect." : handshake.last_connect_error;
  if (handshake.addresses.size() > 1) {
    message += " (tried " + std::to_string(handshake.addresses.size()) + " addresses)";
  }
  if (handshake.route->proxy) {
    message = "Cannot connect to the proxy " + handshake.route->proxy->to_string() + " (from " +
              handshake.route->proxy_source + "): " + message;
  }
  fail_handshake(message);
}

void NativeWebSocketPeer::connected() {
  HandshakeState& handshake = *handshake_;
  for (std::shared_ptr<StreamPeerTCP>& attempt : handshake.route->attempts) {
    if (attempt && attempt != handshake.tcp) attempt->disconnect();  // the race is over
  }
  handshake.route->attempts.clear();
  handshake.route->race.reset();
  if (stream_ != handshake.tcp) hangup_reported_ = false;
  stream_ = handshake.tcp;
  handshake.tcp->set_no_delay(no_delay_);
  if (handshake.route->proxy) {
    start_tunnel();
  } else {
    start_tls_or_request();
  }
}

Clock::time_point NativeWebSocketPeer::race_deadline() const {
  const HappyEyeballs& race = *handshake_->route->race;
  Clock::time_point deadline = race.next_start();
  if (race.in_flight() > 1) deadline = std::min(deadline, Clock::now() + kOtherAttemptsCheck);
  return deadline;
}

}  // namespace wsp
