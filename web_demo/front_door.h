// The demo server's front door: connections whose first request has not been read yet. A page
// request is answered with a file; an upgrade is handed over, with the bytes already read, to
// become a WebSocket peer. Silent or trickling connections cannot lock visitors out: one that
// sends nothing is dropped after a short first-byte timeout, every request must be complete
// within a few seconds, and when the waiting room is full the oldest waiting connection makes
// room for the newcomer (a visitor's request arrives within milliseconds, so the oldest
// connection is the one that is stalling).
#pragma once

#include <chrono>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "web_demo/http_files.h"
#include "wspeer/core/handshake.h"
#include "wspeer/core/http.h"
#include "wspeer/core/stream_peer.h"
#include "wspeer/core/tls_options.h"
#include "wspeer/platform/native/peer_poller.h"
#include "wspeer/platform/native/tcp_server.h"

namespace wsp::demo {

class FrontDoor {
 public:
  struct Limits {
    // Connections whose request is not complete yet. Well above what visitors need, so that a
    // thousand stalling sockets are dropped by the timeouts below without evicting anyone;
    // beyond it, eviction keeps newcomers getting in whatever the number of attackers.
    size_t max_waiting = 2048;
    std::chrono::milliseconds first_byte{2000};
    std::chrono::milliseconds whole_request{5000};
    std::chrono::milliseconds response{10000};  // to write a page to a slow reader
  };
  struct Upgrade {
    std::shared_ptr<StreamPeer> stream;
    std::string request_bytes;  // for accept_stream(stream, request_bytes)
  };

  FrontDoor(PeerPoller* poller, const StaticFiles* files, std::shared_ptr<const TLSOptions> tls,
            Limits limits);
  ~FrontDoor();
  FrontDoor(const FrontDoor&) = delete;
  FrontDoor& operator=(const FrontDoor&) = delete;

  // Takes every connection `server` has waiting and reads what already arrived; upgrade requests
  // are appended to `upgrades`.
  void accept_from(TCPServer& server, std::vector<Upgrade>* upgrades);
  // Steps the connections the poller reported; upgrade requests are appended to `upgrades`.
  void service(const std::vector<StreamPeer*>& ready, std::vector<Upgrade>* upgrades);
  // Drops connections past their deadlines; returns when to call again at the latest.
  Clock::time_point expire(Clock::time_point now);
  size_t size() const { return connections_.size(); }

 private:
  struct Connection {
    Connection(std::shared_ptr<StreamPeer> accepted_stream, Clock::time_point now)
        : stream(std::move(accepted_stream)), accepted(now) {}
    std::shared_ptr<StreamPeer> stream;
    HttpHeadReader reader{kMaxHandshakeHeadSize};
    std::string raw;       // every byte read so far
    std::string response;  // a page or an error, being written
    size_t written = 0;
    Clock::time_point accepted;
    bool want_write = false;
  };
  using Iterator = std::list<Connection>::iterator;

  void admit(std::shared_ptr<StreamPeer> stream, Clock::time_point now,
             std::vector<Upgrade>* upgrades);
  // Reads or writes what it can; false when the connection is finished (dropped or handed on).
  bool step(Connection& connection, std::vector<Upgrade>* upgrades);
  bool read_request(Connection& connection, std::vector<Upgrade>* upgrades);
  void respond(Connection& connection, std::string response);
  bool write_response(Connection& connection);
  void watch_writes(Connection& connection, bool want_write);
  // Forgets a connection, closing its stream unless a peer took it.
  void drop(Iterator it);
  void make_room(std::vector<Upgrade>* upgrades);

  PeerPoller* poller_;
  const StaticFiles* files_;
  std::shared_ptr<const TLSOptions> tls_;
  Limits limits_;
  std::list<Connection> connections_;  // in arrival order: the front is the oldest
  std::unordered_map<StreamPeer*, Iterator> by_stream_;
  size_t responding_ = 0;  // connections whose request is complete, being answered
};

}  // namespace wsp::demo
