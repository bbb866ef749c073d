#include "web_demo/front_door.h"

#include "wspeer/core/handshake.h"
#include "wspeer/platform/native/stream_peer_tls.h"

namespace wsp::demo {

FrontDoor::FrontDoor(PeerPoller* poller, const StaticFiles* files,
                     std::shared_ptr<const TLSOptions> tls, Limits limits)
    : poller_(poller), files_(files), tls_(std::move(tls)), limits_(limits) {}

FrontDoor::~FrontDoor() {
  while (!connections_.empty()) drop(connections_.begin());
}

void FrontDoor::accept_from(TCPServer& server, std::vector<Upgrade>* upgrades) {
  const Clock::time_point now = Clock::now();
  while (auto tcp = server.take_connection()) {
    std::shared_ptr<StreamPeer> stream = tcp;
    if (tls_) {
      auto secure = std::make_shared<StreamPeerTLS>();
      if (secure->accept_stream(tcp, tls_) != OK) continue;
      stream = secure;
    }
    admit(std::move(stream), now, upgrades);
  }
}

void FrontDoor::admit(std::shared_ptr<StreamPeer> stream, Clock::time_point now,
                      std::vector<Upgrade>* upgrades) {
  make_room(upgrades);
  Connection& connection = connections_.emplace_back(std::move(stream), now);
  by_stream_[connection.stream.get()] = std::prev(connections_.end());
  poller_->add_stream(connection.stream.get());
  // A visitor's request usually arrived with the connection: answer it before anything else.
  if (!step(connection, upgrades)) drop(std::prev(connections_.end()));
}

void FrontDoor::make_room(std::vector<Upgrade>* upgrades) {
  if (connections_.size() - responding_ < limits_.max_waiting) return;
  // Evict the oldest connection still sending its request, but read it first: a visitor whose
  // request arrived and was not read yet is served instead (a few candidates at most).
  int candidates = 4;
  for (auto it = connections_.begin(); it != connections_.end();) {
    const auto next = std::next(it);
    if (!it->response.empty()) {  // being answered: not waiting
      it = next;
      continue;
    }
    const size_t had = it->raw.size();
    if (!step(*it, upgrades)) {  // handed on or failed: a place is free
      drop(it);
      return;
    }
    if (!it->response.empty()) return;                 // its request is complete: a place is free
    if (it->raw.size() == had || --candidates == 0) {  // stalling: evicted
      drop(it);
      return;
    }
    it = next;  // still sending: look at the next one
  }
}

void FrontDoor::service(const std::vector<StreamPeer*>& ready, std::vector<Upgrade>* upgrades) {
  for (StreamPeer* stream : ready) {
    auto found = by_stream_.find(stream);
    if (found == by_stream_.end()) continue;
    const Iterator it = found->second;  // step() may erase the map entry
    if (!step(*it, upgrades)) drop(it);
  }
}

bool FrontDoor::step(Connection& connection, std::vector<Upgrade>* upgrades) {
  StreamPeer& stream = *connection.stream;
  stream.poll();  // TLS handshake progress
  if (stream.get_status() == StreamPeer::STATUS_ERROR) return false;
  bool keep = connection.response.empty() ? read_request(connection, upgrades) : true;
  if (keep && !connection.response.empty()) keep = write_response(connection);
  if (keep) watch_writes(connection, stream.has_pending_output() || !connection.response.empty());
  return keep;
}

bool FrontDoor::read_request(Connection& connection, std::vector<Upgrade>* upgrades) {
  StreamPeer& stream = *connection.stream;
  uint8_t buffer[4096];
  while (!connection.reader.complete() && !connection.reader.too_large()) {
    int received = 0;
    if (stream.get_partial_data(buffer, sizeof(buffer), &received) != OK) return false;
    if (received == 0) return true;  // the rest has not arrived yet
    connection.raw.append(reinterpret_cast<char*>(buffer), static_cast<size_t>(received));
    connection.reader.feed(buffer, static_cast<size_t>(received));
  }
  if (connection.reader.too_large()) {
    respond(connection, build_http_error_response(431, "Request headers too large.\n"));
    return true;
  }
  HttpRequestHead request;
  std::string error;
  if (!parse_request_head(connection.reader.head(), &request, &error)) {
    respond(connection, build_http_error_response(400, error + "\n"));
  } else if (header_has_token(request.headers, "Upgrade", "websocket")) {
    // The same port takes WebSocket upgrades: the peer re-reads the request consumed here.
    upgrades->push_back({connection.stream, std::move(connection.raw)});
    poller_->remove_stream(connection.stream.get());
    by_stream_.erase(connection.stream.get());
    connection.stream.reset();
    return false;
  } else {
    respond(connection, files_->respond(request.method, request.target));
  }
  return true;
}

void FrontDoor::respond(Connection& connection, std::string response) {
  connection.response = std::move(response);
  ++responding_;
}

bool FrontDoor::write_response(Connection& connection) {
  StreamPeer& stream = *connection.stream;
  while (connection.written < connection.response.size()) {
    int sent = 0;
    const auto* data = reinterpret_cast<const uint8_t*>(connection.response.data());
    if (stream.put_partial_data(data + connection.written,
                                static_cast<int>(connection.response.size() - connection.written),
                                &sent) != OK) {
      return false;
    }
    if (sent == 0) return true;  // the socket is full: wait until it can be written
    connection.written += static_cast<size_t>(sent);
  }
  stream.poll();
  return stream.has_pending_output();  // done once the last byte has left
}

void FrontDoor::watch_writes(Connection& connection, bool want_write) {
  if (want_write == connection.want_write) return;
  connection.want_write = want_write;
  poller_->update_stream(connection.stream.get(), want_write);
}

Clock::time_point FrontDoor::expire(Clock::time_point now) {
  Clock::time_point next = now + std::chrono::seconds(1);
  for (auto it = connections_.begin(); it != connections_.end();) {
    const Connection& connection = *it;
    const auto limit = !connection.response.empty() ? limits_.response
                       : connection.raw.empty()     ? limits_.first_byte
                                                    : limits_.whole_request;
    const Clock::time_point deadline = connection.accepted + limit;
    auto next_it = std::next(it);
    if (now >= deadline) {
      drop(it);
    } else {
      next = std::min(next, deadline);
    }
    it = next_it;
  }
  return next;
}

void FrontDoor::drop(Iterator it) {
  if (!it->response.empty()) --responding_;
  if (it->stream) {  // not handed on to a peer
    poller_->remove_stream(it->stream.get());
    by_stream_.erase(it->stream.get());
    it->stream->disconnect();
  }
  connections_.erase(it);
}

}  // namespace wsp::demo
