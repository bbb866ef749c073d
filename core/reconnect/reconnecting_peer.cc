#include "wspeer/core/reconnect/reconnecting_peer.h"

#include <cstdio>
#include <ctime>

#include "wspeer/core/random.h"

namespace wsp {
namespace {

double random01() {
  uint64_t bits = 0;
  fill_random(reinterpret_cast<uint8_t*>(&bits), sizeof(bits));
  return static_cast<double>(bits >> 11) / 9007199254740992.0;  // 53 bits in [0, 1)
}

std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f s", seconds);
  return text;
}

}  // namespace

ReconnectingPeer::ReconnectingPeer(ReconnectPolicy policy)
    : peer_(WebSocketPeer::create()), schedule_(std::move(policy), random01) {}

void ReconnectingPeer::set_send_queue(size_t max_messages, size_t max_bytes) {
  max_queued_messages_ = max_messages;
  max_queued_bytes_ = max_bytes;
}

Error ReconnectingPeer::connect_to_url(const std::string& url,
                                       std::shared_ptr<const TLSOptions> tls_client_options) {
  const Error error = peer_->connect_to_url(url, tls_client_options);
  if (error == ERR_INVALID_PARAMETER || error == ERR_ALREADY_IN_USE) {
    last_error_ = peer_->get_last_error();
    return error;  // nothing another attempt could change
  }
  url_ = url;
  tls_ = std::move(tls_client_options);
  active_ = true;
  open_ = false;
  waiting_ = false;
  closing_ = false;
  if (error != OK) connection_ended(Clock::now());  // failed at once: tried again per the policy
  return OK;
}

void ReconnectingPeer::poll() {
  if (!active_) {
    peer_->poll();  // a closing connection finishes
    return;
  }
  const Clock::time_point now = Clock::now();
  if (waiting_) {
    if (now < due_) return;
    waiting_ = false;
    start_attempt();
    if (waiting_ || !active_) return;
  }
  peer_->poll();
  const WebSocketPeer::State state = peer_->get_ready_state();
  if (state == WebSocketPeer::STATE_OPEN && !open_) {
    open_ = true;
    opened_at_ = now;
    Event event;
    event.type = Event::CONNECTED;
    event.attempt = schedule_.attempts();
    push(std::move(event));
  }
  if (open_ && state == WebSocketPeer::STATE_OPEN) flush_queue();
  if (state == WebSocketPeer::STATE_CLOSED) connection_ended(now);
}

void ReconnectingPeer::start_attempt() {
  if (before_attempt_) before_attempt_(&url_, *peer_);
  open_ = false;
  const Error error = peer_->connect_to_url(url_, tls_);
  if (error == ERR_INVALID_PARAMETER) {
    // What before_attempt set cannot be used: no attempt would ever go differently.
    give_up("the next attempt cannot start: " + peer_->get_last_error(), 0, 0);
  } else if (error != OK) {
    connection_ended(Clock::now());
  }
}

void ReconnectingPeer::give_up(std::string reason, int close_code, int http_status) {
  active_ = false;
  Event event;
  event.type = Event::GAVE_UP;
  event.close_code = close_code;
  event.http_status = http_status;
  event.reason = std::move(reason);
  event.dropped = queue_.size();
  last_error_ = "Stopped reconnecting: " + event.reason + ".";
  queue_.clear();
  queue_bytes_ = 0;
  push(std::move(event));
}

void ReconnectingPeer::connection_ended(Clock::time_point now) {
  ConnectionEnd end;
  end.was_open = open_;
  end.open_seconds = open_ ? std::chrono::duration<double>(now - opened_at_).count() : 0;
  end.close_code = peer_->get_close_code();
  end.http_status = open_ ? 0 : peer_->get_handshake_status();
  if (end.http_status == 101) end.http_status = 0;  // upgraded, then failed its checks
  if (end.http_status != 0) {
    end.retry_after =
        find_header(peer_->get_handshake_response_headers(), "Retry-After").value_or("");
  }
  end.reason =
      peer_->get_last_error().empty() ? peer_->get_close_reason() : peer_->get_last_error();
  if (open_) {
    Event event;
    event.type = Event::DISCONNECTED;
    event.close_code = end.close_code;
    event.reason = end.reason;
    push(std::move(event));
    open_ = false;
  }
  if (closing_) {
    active_ = false;
    return;
  }
  const ReconnectSchedule::Decision decision =
      schedule_.ended(end, static_cast<int64_t>(std::time(nullptr)));
  if (!decision.retry) {
    give_up(decision.reason + (end.reason.empty() ? "" : " (" + end.reason + ")"), end.close_code,
            end.http_status);
    return;
  }
  waiting_ = true;
  due_ = now +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(decision.delay));
  Event event;
  event.type = Event::RECONNECT_SCHEDULED;
  event.attempt = decision.attempt;
  event.delay = decision.delay;
  event.close_code = end.close_code;
  event.http_status = end.http_status;
  event.reason = end.reason;
  push(std::move(event));
}

bool ReconnectingPeer::take_event(Event* event) {
  if (events_.empty()) return false;
  *event = std::move(events_.front());
  events_.pop_front();
  return true;
}

Error ReconnectingPeer::send(std::span<const uint8_t> message, WebSocketPeer::WriteMode mode) {
  if (open_ && queue_.empty() && peer_->get_ready_state() == WebSocketPeer::STATE_OPEN) {
    const Error error = peer_->send(message, mode);
    if (error != OK) last_error_ = peer_->get_last_error();
    return error;
  }
  if (!active_) {
    last_error_ = "Cannot send: not connected and not reconnecting.";
    return FAILED;
  }
  if (max_queued_messages_ == 0) {
    last_error_ = "Cannot send: not connected" +
                  (waiting_ ? " (next attempt in " + seconds_text(get_time_until_attempt()) + ")"
                            : std::string(" (connecting)")) +
                  "; set_send_queue() keeps messages until the connection is back.";
    return FAILED;
  }
  if (queue_.size() >= max_queued_messages_ || queue_bytes_ + message.size() > max_queued_bytes_) {
    last_error_ = "Cannot send: the queue for the reconnection is full (" +
                  std::to_string(queue_.size()) + " messages, " + std::to_string(queue_bytes_) +
                  " bytes; set_send_queue()).";
    return ERR_OUT_OF_MEMORY;
  }
  queue_.push_back(Queued{std::vector<uint8_t>(message.begin(), message.end()),
                          mode == WebSocketPeer::WRITE_MODE_TEXT});
  queue_bytes_ += message.size();
  return OK;
}

Error ReconnectingPeer::send_text(std::string_view message) {
  return send(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(message.data()), message.size()),
      WebSocketPeer::WRITE_MODE_TEXT);
}

void ReconnectingPeer::flush_queue() {
  while (!queue_.empty()) {
    const Queued& next = queue_.front();
    const Error error = peer_->send(next.data, next.is_text ? WebSocketPeer::WRITE_MODE_TEXT
                                                            : WebSocketPeer::WRITE_MODE_BINARY);
    if (error == ERR_OUT_OF_MEMORY) return;  // the peer's own queue is full: the rest next poll
    if (error != OK) last_error_ = peer_->get_last_error();  // e.g. invalid UTF-8: not retried
    queue_bytes_ -= next.data.size();
    queue_.pop_front();
  }
}

void ReconnectingPeer::close(int code, std::string_view reason) {
  closing_ = true;
  waiting_ = false;
  if (peer_->get_ready_state() == WebSocketPeer::STATE_CLOSED) {
    active_ = false;
    return;
  }
  peer_->close(code, reason);
}

double ReconnectingPeer::get_time_until_attempt() const {
  if (!waiting_) return 0;
  return std::max(0.0, std::chrono::duration<double>(due_ - Clock::now()).count());
}

}  // namespace wsp
