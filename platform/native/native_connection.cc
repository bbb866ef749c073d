// The native WebSocketPeer's open connection: reading frames (within the limits and the server
// budget), writing them, noticing that the transport is gone, and the close exchange.
#include <algorithm>
#include <climits>
#include <cstring>
#include <vector>

#include "wspeer/core/close_code.h"
#include "wspeer/core/frame.h"
#include "wspeer/core/handshake.h"
#include "wspeer/platform/native/native_peer_parts.h"
#include "wspeer/platform/native/native_websocket_peer.h"
#include "wspeer/platform/native/net.h"
#include "wspeer/platform/native/stream_peer_tls.h"

namespace wsp {

using namespace native_peer;  // NOLINT: the constants and helpers the three parts share

// ---------------------------------------------------------------------------------------------
// OPEN and CLOSING

void NativeWebSocketPeer::service_open(Clock::time_point now) {
  const bool packet_taken = packet_taken_;
  packet_taken_ = false;
  if (sent_since_poll_) {
    sent_since_poll_ = false;
    last_activity_ = now;
  }
  protocol_.resume();
  if (!transport_closed_) read_frames(now);
  if (!transport_closed_ && reading_paused()) watch_paused_transport(now);

  const ProtocolEvents events = protocol_.take_events();
  if (events.pongs > 0) {
    if (const auto elapsed = heartbeat_.answered_after(heartbeat_interval_ms_, now)) {
      set_round_trip(*elapsed);
    }
    heartbeat_.pong_received();
  }
  // The heartbeat runs after reading, so a pong that already arrived is counted.
  if (state_ == STATE_OPEN) {
    // An interval set while open starts the heartbeat here (tick() stops it at 0).
    if (!heartbeat_.enabled()) heartbeat_.start(heartbeat_interval_ms_, now);
    switch (heartbeat_.tick(heartbeat_interval_ms_, now, reading_paused())) {
      case Heartbeat::Action::kSendPing:
        protocol_.send_ping(nullptr, 0);
        break;
      case Heartbeat::Action::kPeerDead:
        set_last_error("No pong and nothing else from the peer for a whole heartbeat interval (" +
                       describe_seconds(get_heartbeat_interval()) +
                       ") after a ping: the peer is unresponsive.");
        transport_closed_ = true;
        finish();
        return;
      case Heartbeat::Action::kNone:
        break;
    }
  }

  if (events.failed) {
    const std::string& detail = protocol_.failure_detail();
    set_last_error("Protocol error: " + protocol_.failure_reason() + " (closing with code " +
                   std::to_string(protocol_.failure_code()) + ")" +
                   (detail.empty() ? "." : ": " + detail + "."));
  }
  if (protocol_.close_reply_pending()) {
    // Messages that arrived before the peer's close (or before a violation) can still be
    // answered, as RFC 6455 §5.5.1 allows: the close reply waits one poll, and longer while the
    // application keeps taking them or its replies are still being written (one that takes
    // messages only while few replies wait needs several polls), for close_timeout at most. A
    // peer that sent nothing first is answered at once.
    const bool replies_leaving = !protocol_.outbound().empty() || stream_->has_pending_output();
    if (inbound_.count() > 0 && !close_deferred_) {
      close_deferred_ = true;
      close_deadline_ = after_ms(now, close_timeout_ms_);
    } else if (!(inbound_.count() > 0 && (packet_taken || replies_leaving) &&
                 now < close_deadline_)) {
      close_deferred_ = false;
      protocol_.send_close_reply();
    }
  }
  if (state_ == STATE_OPEN && protocol_.close_queued()) {
    state_ = STATE_CLOSING;
    close_deadline_ = after_ms(now, close_timeout_ms_);
  }

  if (!transport_closed_) flush_output();

  const bool exchange_done =
      protocol_.close_sent() && (protocol_.close_received() || protocol_.failed());
  if (transport_closed_) {
    finish();
  } else if (exchange_done) {
    // A graceful TCP close: end our side after the close frame, then wait (bounded by
    // close_timeout) for the peer to end its side, so late bytes from it cause no reset that
    // could destroy our close frame in flight.
    if (!lingering_) {
      lingering_ = true;
      close_deadline_ = after_ms(now, close_timeout_ms_);
      stream_->shutdown_write();
    }
    drain_input();
    if (transport_closed_ || now >= close_deadline_) finish();
  } else if (state_ == STATE_CLOSING && now >= close_deadline_) {
    set_last_error(close_timeout_text());
    transport_closed_ = true;
    finish();
  } else if (holds_idle_buffers() && now - last_activity_ >= kIdleRelease) {
    inbound_.release_if_idle();
    protocol_.outbound().release_if_idle();
    protocol_.release_if_idle();
  }
}

bool NativeWebSocketPeer::holds_idle_buffers() const {
  return state_ == STATE_OPEN && inbound_.count() == 0 && inbound_.partial_size() == 0 &&
         protocol_.outbound().empty() && !protocol_.has_parked_input() &&
         (inbound_.holds_memory() || protocol_.outbound().holds_memory() ||
          protocol_.holds_releasable_memory());
}

bool NativeWebSocketPeer::gated() const {
  return share_ && share_->available == 0 &&
         (share_->finisher != this || inbound_.partial_size() == 0);
}

size_t NativeWebSocketPeer::buffered_bytes() const {
  // Messages left after the connection ended count until the application takes them.
  if (!protocol_.active()) return inbound_.queued_bytes();
  return inbound_.queued_bytes() + inbound_.partial_size() + protocol_.parked_size() +
         protocol_.outbound().size();
}

void NativeWebSocketPeer::read_frames(Clock::time_point now) {
  uint8_t* buffer = read_buffer();
  input_maybe_pending_ = false;
  stopped_by_gate_ = false;
  for (int reads = 0; reads < kMaxReadsPerPoll && protocol_.wants_input(); ++reads) {
    if (gated()) {
      // The socket may hold data no new edge will announce: read as soon as the gate opens.
      stopped_by_gate_ = true;
      return;
    }
    // Read no more than the inbound budget allows, so parked input stays bounded by the limits.
    const size_t budget = inbound_.max_message_size() -
                          std::min(inbound_.max_message_size(), inbound_.queued_bytes());
    size_t want = std::clamp(budget + kMaxFrameHeaderSize, kMinRead, kMaxRead);
    // A server-wide budget (PeerPoller::Limits) bounds what all its peers read together.
    if (share_) {
      // At the budget only the finisher reads, and only the rest of its frame.
      want = std::min(want,
                      share_->available > 0 ? share_->available : protocol_.bytes_to_frame_end());
    }
    // Every read goes to the shared buffer and is unmasked from there into its message (one
    // copy, by vector loads and stores). Reading large payloads straight into the message was
    // slower: the kernel copies with `rep movsb`, which on AMD CPUs runs about 15x slower when
    // the destination is 1-15 bytes ahead of the source modulo 4096, and a 16-byte-aligned
    // message behind a 2-14 byte frame header kept that distance for the whole payload (1 MiB
    // echo: 1.5k msg/s straight, 2.2k through this buffer). Here every read starts at the same
    // address while the source moves on, so that distance changes from one read to the next.
    int received = 0;
    const Error error = stream_->get_partial_data(buffer, static_cast<int>(want), &received);
    if (error != OK) {
      transport_lost(error == ERR_FILE_EOF ? "The peer closed the connection."
                                           : stream_->get_last_error());
      return;
    }
    if (received > 0) {
      if (share_) share_->available -= std::min<size_t>(share_->available, received);
      protocol_.receive(buffer, static_cast<size_t>(received));
      // The poll's clock: one reading per poll is precise enough for idleness.
      last_activity_ = now;
      heartbeat_.input_arrived();
    } else if (stream_->take_undelivered_arrival()) {
      heartbeat_.input_arrived();  // part of a TLS record: the peer is sending
    }
    // A short read means the socket is drained, unless the OS reported a hang-up: the end of
    // stream (or a reset) that came with the last bytes is only seen by reading once more, and
    // an edge-triggered loop will not report it again.
    if (static_cast<size_t>(received) < want && !stream_->has_pending_input() && !hangup_reported_)
      return;
    input_maybe_pending_ = true;
  }
}

bool NativeWebSocketPeer::reading_paused() const {
  return (!protocol_.wants_input() || gated()) && !protocol_.input_finished() && !lingering_;
}

void NativeWebSocketPeer::watch_paused_transport(Clock::time_point now) {
  // A paused peer reads nothing, so it would not see its remote leave; asking the OS costs one
  // call, made only while paused.
  switch (stream_->check_hangup()) {
    case StreamPeer::HANGUP_BROKEN:
      transport_lost(
          "The connection broke while reading was paused (input not yet read was lost).");
      break;
    case StreamPeer::HANGUP_REMOTE_FINISHED:
      if (paused_hangup_deadline_ == Clock::time_point::max()) {
        paused_hangup_deadline_ = after_ms(now, close_timeout_ms_);
      } else if (now >= paused_hangup_deadline_) {
        transport_lost(
            "The peer closed the connection while reading was paused, and its last "
            "messages were not taken within the close timeout (" +
            describe_seconds(get_close_timeout()) + ").");
      }
      break;
    case StreamPeer::HANGUP_NONE:
      break;
  }
}

void NativeWebSocketPeer::drain_input() {
  uint8_t* buffer = read_buffer();
  input_maybe_pending_ = false;
  for (int reads = 0; reads < kMaxReadsPerPoll; ++reads) {
    int received = 0;
    const Error error = stream_->get_partial_data(buffer, static_cast<int>(kMaxRead), &received);
    if (error != OK) {
      transport_closed_ = true;  // the peer's end of stream completes the close
      return;
    }
    if (received == 0) return;
  }
  input_maybe_pending_ = true;  // more may wait, and an edge-triggered loop will not say so
}

bool NativeWebSocketPeer::flush_output() {
  flush_pending_ = false;
  OutboundQueue& out = protocol_.outbound();
  while (!out.empty()) {
    // Usually one piece; frames shared with other peers (broadcasts) add one each.
    ConstBuffer parts[kMaxWritePieces];
    const int count = out.gather(parts, kMaxWritePieces);
    size_t sent = 0;
    if (stream_->put_partial_data_v(parts, count, &sent) != OK) {
      transport_lost(stream_->get_last_error());
      return false;
    }
    if (sent == 0) break;
    out.consume(sent);
  }
  if (stream_->has_pending_output()) stream_->poll();
  return true;
}

void NativeWebSocketPeer::transport_lost(const std::string& why) {
  if (transport_closed_) return;
  transport_closed_ = true;
  // After a completed close exchange (or our own failure close) an EOF is the normal ending.
  if (!protocol_.close_received() && !protocol_.failed()) {
    set_last_error("Connection lost: " + (why.empty() ? std::string("transport error.") : why));
  }
}

void NativeWebSocketPeer::queue_parked_input() {
  // The input the connection holds now (parked bytes and the message being received) was within
  // its budgets: the messages decoded from it may take as much (one message may cross it), so
  // the peer's and the server's budgets hold after a drop too.
  const size_t dropped = protocol_.drain_parked(protocol_.parked_size() + inbound_.partial_size());
  if (dropped == 0) return;
  const std::string& before = get_last_error();
  set_last_error(before + (before.empty() ? "" : " ") + std::to_string(dropped) +
                 " received bytes were dropped unread: the application had not taken the "
                 "messages before them (the inbound queue was full).");
}

void NativeWebSocketPeer::finish() {
  queue_parked_input();
  protocol_.take_events();
  int code = kCloseUnclean;
  std::string reason;
  if (protocol_.failed()) {
    code = protocol_.failure_code();  // the code we sent (or tried to send)
    reason = protocol_.failure_reason();
  } else if (protocol_.close_received()) {
    code = protocol_.received_close_code();
    reason = protocol_.received_close_reason();
  }
  release_transport();
  protocol_ = Protocol();
  phase_ = Phase::kIdle;
  set_closed(code, std::move(reason));
}

}  // namespace wsp
