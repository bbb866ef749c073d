// PeerPoller: waits on many native peers at once, so a server's cost per round grows with the
// peers that have work (epoll on Linux), and works on every platform (poll, WSAPoll).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "wspeer/core/heartbeat.h"
#include "wspeer/core/websocket_peer.h"
#include "wspeer/platform/native/native_websocket_peer.h"
#include "wspeer/platform/native/readiness_set.h"
#include "wspeer/platform/native/tcp_server.h"

namespace wsp {

/// Typical loop:
///   for (;;) {
///     for (WebSocketPeer* peer : poller.wait(1000)) { peer->poll(); /* read, reply */ }
///     for (TCPServer* server : poller.ready_servers()) { /* take_connection(), add() */ }
///   }
/// Peers returned by wait() are re-examined by the next wait(). After acting on a peer that was
/// not returned (sending to it from elsewhere, answering its request later), call update(peer).
/// A peer that became CLOSED is returned once more, so the loop that removes closed peers sees it
/// even when it closed outside wait() (reject_request(), close(-1)).
class PeerPoller {
 public:
  // How to wait: the platform's best (epoll on Linux, poll elsewhere), or poll(2)/WSAPoll()
  // explicitly (on Linux too, where it serves to test what other platforms run).
  enum class Backend { kDefault, kPoll };
  explicit PeerPoller(Backend backend = Backend::kDefault);
  ~PeerPoller();
  PeerPoller(const PeerPoller&) = delete;
  PeerPoller& operator=(const PeerPoller&) = delete;

  /// Starts watching a peer made by WebSocketPeer::create() in a native build. A peer is
  /// watched by one poller at a time: adding it to a second one does nothing.
  void add(WebSocketPeer* peer);
  /// The same, and the poller owns the peer from now on: remove() destroys it, and so does the
  /// poller's destructor. A server then needs no container of its own (and each connection
  /// costs the application nothing more). Returns the peer, or nullptr when it was not a native
  /// peer or was already added (it is then destroyed).
  WebSocketPeer* add(std::unique_ptr<WebSocketPeer> peer);
  /// Stops watching a peer; call it before the peer is destroyed. A peer the poller owns is
  /// destroyed here.
  void remove(WebSocketPeer* peer);
  /// Every peer added, in no particular order: to close them all when a server stops.
  std::vector<WebSocketPeer*> peers() const;
  void update(WebSocketPeer* peer);
  void add_server(TCPServer* server);
  void remove_server(TCPServer* server);
  /// Raw streams the application drives itself before (or instead of) a WebSocketPeer, such as a
  /// connection whose first request decides between serving a page and an upgrade. wait() also
  /// returns when one can be read (or written, with `want_write`); ready_streams() lists them.
  /// Level-triggered: a stream stays ready while it has unread input. Remove a stream before it
  /// is closed or handed to accept_stream(); ready_streams() may still list it until the next
  /// wait(), so look each one up among your own.
  void add_stream(StreamPeer* stream, bool want_write = false);
  void update_stream(StreamPeer* stream, bool want_write);
  void remove_stream(StreamPeer* stream);

  /// Another descriptor the loop serves, such as a broker's connection (cluster::RedisBroker):
  /// wait() calls on_fd_ready() when it can be read (or written, while wanted), before wait()
  /// returns. Level-triggered. A watcher must outlive the round in which it is unwatched.
  class FdWatcher {
   public:
    virtual void on_fd_ready(bool readable, bool writable) = 0;

   protected:
    ~FdWatcher() = default;
  };
  /// Watches `fd` for `watcher`; calling it again changes what is wanted (neither: unwatched).
  void watch_fd(int fd, FdWatcher* watcher, bool want_read, bool want_write);
  void unwatch_fd(int fd, FdWatcher* watcher);

  /// Blocks until some peers need poll(), a watched server has connections, or `timeout_ms`
  /// passes (-1: no limit). The returned list is valid until the next wait().
  const std::vector<WebSocketPeer*>& wait(int timeout_ms);

  /// Limits a public server needs, applied to the server peers added (0: no limit).
  ///
  /// A connection whose request has not arrived yet waits in a waiting room and holds no place:
  /// silent or trickling sockets cannot lock established users or newcomers out. It takes a
  /// place when its request arrives, or is refused then.
  struct Limits {
    /// Peers being served (their request arrived and was accepted, or they are open). Beyond it
    /// a new client is answered 503 with Retry-After as soon as its request arrives, then closed.
    size_t max_peers = 0;
    /// Peers from one remote address (IPv6: one network, see ipv6_prefix_length); beyond it,
    /// the same 503.
    size_t max_peers_per_address = 0;
    int retry_after_seconds = 5;
    /// Connections whose request has not arrived yet. When the room is full a newcomer still
    /// gets in: the oldest connection that has sent nothing goes (after a check that nothing
    /// waits unread in its socket), or, when every one has sent something, the oldest of all.
    /// A visitor's request follows its connection within a round trip, so the ones that go are
    /// the stalling ones.
    /// A waiting connection costs about 1 KB (and a descriptor); a room smaller than the silent
    /// sockets an attacker keeps open turns each of their reconnections into an eviction.
    size_t max_waiting = 16384;
    /// A connection that sends nothing at all for this long goes (0: only the peer's
    /// handshake_timeout bounds it). A client's request or TLS hello follows its connection
    /// within a round trip; keep it shorter than the handshake timeout. On Linux the watched
    /// servers also keep such connections in the kernel, unaccepted, for as long
    /// (TCPServer::set_defer_accept()): most silent sockets never cost the server anything.
    std::chrono::milliseconds first_byte_timeout{3000};
    /// max_peers_per_address counts IPv6 clients by their first this many bits (one host or
    /// network usually holds a whole /64, and could use a new address for every connection);
    /// 128 counts each address alone. IPv4 addresses always count alone.
    int ipv6_prefix_length = 64;
    /// Bytes held by all peers together (buffered_bytes(): messages not taken, input parked by
    /// back-pressure, output not written). While above it no peer reads, except one: the one
    /// receiving the largest message may complete it, so that it can be taken and free memory.
    /// The total then stays below the budget plus one message and one read per peer.
    size_t max_buffered_bytes = 0;
  };
  /// Also makes the watched servers keep silent connections in the kernel for the first-byte
  /// timeout (TCPServer::set_defer_accept(), Linux).
  void set_limits(const Limits& limits);
  const Limits& get_limits() const { return limits_; }
  /// What the limits count: served peers, connections in the waiting room, and bytes held by
  /// peers (as of their last poll()).
  size_t served_peers() const { return served_; }
  size_t waiting_peers() const { return waiting_; }
  size_t buffered_bytes() const { return buffered_; }

  /// Busy polling (off by default): before wait() sleeps, it keeps checking without sleeping for
  /// up to `window`. Traffic that arrives meanwhile is handled without the cost of putting the
  /// thread to sleep and waking it, which dominates a request-reply round trip on many machines
  /// (virtual ones above all). The price is CPU: up to `window` of spinning each time the poller
  /// runs out of work, so it suits a server with a core to itself. Clamped to [0, 100 ms].
  void set_busy_poll(std::chrono::microseconds window);
  std::chrono::microseconds get_busy_poll() const { return busy_poll_; }
  const std::vector<TCPServer*>& ready_servers() const { return ready_servers_; }
  const std::vector<StreamPeer*>& ready_streams() const { return ready_streams_; }
  size_t size() const { return count_; }

 private:
  static constexpr uint32_t kNoSlot = UINT32_MAX;
  /// Per remote address (IPv6: per network): its served peers, and its connections in the
  /// waiting room (the address with the most is the first to give one up).
  struct AddressCounts {
    size_t served = 0;
    size_t waiting = 0;
  };
  struct Entry {
    static constexpr uint32_t kNoTimer = UINT32_MAX;
    // Ordered and packed into 64 bytes, kept in blocks: no allocation or table node per peer.
    NativeWebSocketPeer* peer = nullptr;  ///< null: a free slot
    const void* stream = nullptr;
    /// Its remote address's counts in per_address_ while it waits or is served, else null
    /// (elements never move).
    std::pair<const std::string, AddressCounts>* address = nullptr;
    size_t charged = 0;            ///< its buffered bytes, as counted in buffered_
    Clock::time_point deadline{};  ///< when its timer fires, while it has one
    int fd = -1;
    uint32_t timer_slot = kNoTimer;  ///< its place in timers_
    /// Its neighbours in the waiting room (arrival order), while `waiting`.
    uint32_t older = kNoSlot;
    uint32_t newer = kNoSlot;
    short watched_interest = -1;  ///< what a level-triggered set watches for it now
    bool want_read : 1 = false;
    bool queued : 1 = false;   ///< already in ready_ this round
    bool watched : 1 = false;  ///< re-examined at every wait() while it waits for the application
    bool in_watch_list : 1 = false;
    bool closed_reported : 1 = false;  ///< returned once after it became CLOSED
    bool served : 1 = false;           ///< counted in served_ (and per address)
    bool refusing : 1 = false;         ///< added over the limits: answers 503, counted in refusing_
    bool owned : 1 = false;            ///< destroyed by remove() and by the poller's destructor
    bool waiting : 1 = false;          ///< in the waiting room (its request has not arrived)
  };

  /// Adds a native peer not added yet; its entry, or nullptr.
  Entry* insert(WebSocketPeer* peer);
  /// The entry at a slot, and the entry of a peer this poller watches (else nullptr).
  Entry& entry_at(uint32_t slot) { return blocks_[slot / kBlockSize][slot % kBlockSize]; }
  const Entry& entry_at(uint32_t slot) const {
    return blocks_[slot / kBlockSize][slot % kBlockSize];
  }
  Entry* find(WebSocketPeer* peer);
  void refresh(Entry* entry);
  /// A new server peer waits for its request in the waiting room.
  void enter(Entry* entry);
  /// Its request arrived: it takes a place, or refuses its client; false to drop it.
  bool admit_request(NativeWebSocketPeer& peer);
  /// The waiting room is full: the oldest silent connection goes (else the oldest).
  void make_room();
  void defer_silent_connections(TCPServer* server);
  void leave_waiting_room(Entry* entry);
  /// The counts of the entry's remote address (network), which it points at while it is
  /// counted there (waiting or served).
  AddressCounts& counts_of(Entry* entry);
  /// The entry is counted under its address no more; an address with nothing counted goes.
  void drop_address(Entry* entry);
  /// The key an entry's remote address (IPv6: network) is counted under.
  std::string address_key(const Entry* entry) const;
  void release(Entry* entry);
  /// Sets or moves an entry's timer, or clears it; timers_ is a binary min-heap on deadline.
  void set_timer(Entry* entry, Clock::time_point deadline);
  void clear_timer(Entry* entry);
  void place_timer(size_t slot, Entry* entry);
  void sift_timer_up(size_t slot);
  void sift_timer_down(size_t slot);
  void make_ready(Entry* entry);
  void unregister(Entry* entry);
  int wait_for_events(native::ReadinessSet::Event* events, int max_events, int timeout_ms);

  std::unique_ptr<native::ReadinessSet> set_;
  std::chrono::microseconds busy_poll_{0};
  // Entries live in blocks that never move (the readiness set and the timer heap point at them);
  // a peer knows its slot. Freed slots are taken again first.
  static constexpr uint32_t kBlockSize = 256;
  std::vector<std::unique_ptr<Entry[]>> blocks_;
  std::vector<uint32_t> free_slots_;
  uint32_t slots_used_ = 0;  ///< slots ever handed out (all blocks up to here)
  size_t count_ = 0;         ///< peers watched
  /// Entries with a timer, earliest first at the front: a binary heap in one vector, so that
  /// setting a timer allocates nothing per entry (an idle peer keeps no timer node).
  std::vector<Entry*> timers_;
  // Lists of slots, not peers: a peer removed (and maybe destroyed) since it was listed is
  // recognised by its freed slot and never touched.
  std::vector<uint32_t> recheck_;          ///< returned last round, added or updated
  std::vector<uint32_t> recheck_scratch_;  ///< recheck_'s list while a round examines it
  std::vector<uint32_t> watch_list_;       ///< entries with `watched` set
  std::vector<uint32_t> ready_slots_;      ///< the slots of ready_
  std::vector<WebSocketPeer*> ready_;
  std::vector<TCPServer*> servers_;
  std::vector<TCPServer*> ready_servers_;
  std::vector<StreamPeer*> ready_streams_;
  std::vector<std::pair<FdWatcher*, short>> ready_watchers_;
  Limits limits_;
  size_t served_ = 0;
  size_t refusing_ = 0;  ///< peers added over the limits, answering 503
  std::unordered_map<std::string, AddressCounts> per_address_;
  size_t waiting_ = 0;  ///< entries in the waiting room
  uint32_t oldest_waiting_ = kNoSlot;
  uint32_t newest_waiting_ = kNoSlot;
  size_t buffered_ = 0;
  /// The read budget (closed while buffered_ is above it) and the admission of requests.
  NativeWebSocketPeer::ServerShare share_;
  Entry* largest_partial_ = nullptr;  ///< this round's peer with the largest partial message
  size_t largest_partial_bytes_ = 0;
  size_t finisher_partial_bytes_ = 0;  ///< how far the finisher's message had come
};

}  // namespace wsp
