#include "wspeer/platform/native/peer_poller.h"

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "wspeer/platform/native/net.h"

namespace wsp {
namespace {

// Servers and raw streams are told apart from peers in the set's tags by the low bits of the
// pointer.
constexpr uintptr_t kServerTag = 1;
constexpr uintptr_t kStreamTag = 2;
constexpr uintptr_t kWatcherTag = 3;
constexpr uintptr_t kTagMask = 3;

void* tag(void* object, uintptr_t kind) {
  return reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(object) | kind);
}

short stream_interest(bool want_write) {
  return static_cast<short>(native::kReadable | (want_write ? native::kWritable : 0));
}

}  // namespace

PeerPoller::PeerPoller(Backend backend)
    : set_(backend == Backend::kPoll ? native::make_poll_readiness_set()
                                     : native::make_default_readiness_set()) {
  share_.admit_request = [this](NativeWebSocketPeer& peer) { return admit_request(peer); };
}

PeerPoller::~PeerPoller() {
  for (uint32_t slot = 0; slot < slots_used_; ++slot) {
    Entry& entry = entry_at(slot);
    if (!entry.peer) continue;
    entry.peer->set_server_share(nullptr);
    entry.peer->set_poller_slot(NativeWebSocketPeer::kNotPolled);
    if (entry.owned) delete entry.peer;
  }
}

PeerPoller::Entry* PeerPoller::find(WebSocketPeer* peer) {
  auto* native = dynamic_cast<NativeWebSocketPeer*>(peer);
  if (!native) return nullptr;
  const uint32_t slot = native->poller_slot();
  if (slot >= slots_used_) return nullptr;
  Entry& entry = entry_at(slot);
  return entry.peer == native ? &entry : nullptr;  // not another poller's
}

void PeerPoller::add(WebSocketPeer* peer) { insert(peer); }

WebSocketPeer* PeerPoller::add(std::unique_ptr<WebSocketPeer> peer) {
  Entry* entry = insert(peer.get());
  if (!entry) return nullptr;
  entry->owned = true;
  return peer.release();
}

PeerPoller::Entry* PeerPoller::insert(WebSocketPeer* peer) {
  auto* native = dynamic_cast<NativeWebSocketPeer*>(peer);
  if (!native || native->poller_slot() != NativeWebSocketPeer::kNotPolled) return nullptr;
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    if (slots_used_ % kBlockSize == 0) blocks_.push_back(std::make_unique<Entry[]>(kBlockSize));
    slot = slots_used_++;
  }
  Entry* entry = &entry_at(slot);
  *entry = Entry();
  entry->peer = native;
  native->set_poller_slot(slot);
  ++count_;
  enter(entry);
  refresh(entry);
  recheck_.push_back(slot);  // examined again at the next wait()
  return entry;
}

std::vector<WebSocketPeer*> PeerPoller::peers() const {
  std::vector<WebSocketPeer*> all;
  all.reserve(count_);
  for (uint32_t slot = 0; slot < slots_used_; ++slot) {
    if (NativeWebSocketPeer* peer = entry_at(slot).peer) all.push_back(peer);
  }
  return all;
}

void PeerPoller::enter(Entry* entry) {
  NativeWebSocketPeer* peer = entry->peer;
  peer->set_server_share(&share_);
  // A peer whose request already arrived (read elsewhere first) asks for its place at once.
  if (!peer->awaiting_request()) return;
  if (limits_.max_waiting > 0 && waiting_ >= limits_.max_waiting) make_room();
  entry->waiting = true;
  entry->older = newest_waiting_;
  entry->newer = kNoSlot;
  const uint32_t slot = peer->poller_slot();
  if (newest_waiting_ != kNoSlot) entry_at(newest_waiting_).newer = slot;
  newest_waiting_ = slot;
  if (oldest_waiting_ == kNoSlot) oldest_waiting_ = slot;
  ++waiting_;
  ++counts_of(entry).waiting;
  if (limits_.first_byte_timeout.count() > 0) {
    peer->set_first_byte_deadline(Clock::now() + limits_.first_byte_timeout);
  }
}

std::string PeerPoller::address_key(const Entry* entry) const {
  const std::string host = entry->peer->get_connected_host();
  const std::optional<SocketAddress> address = SocketAddress::from_ip(host, 0);
  return address ? address->network(limits_.ipv6_prefix_length) : host;
}

PeerPoller::AddressCounts& PeerPoller::counts_of(Entry* entry) {
  if (!entry->address) entry->address = &*per_address_.try_emplace(address_key(entry)).first;
  return entry->address->second;
}

void PeerPoller::drop_address(Entry* entry) {
  auto* address = entry->address;
  if (!address) return;
  entry->address = nullptr;
  if (address->second.served == 0 && address->second.waiting == 0) {
    per_address_.erase(address->first);
  }
}

void PeerPoller::leave_waiting_room(Entry* entry) {
  if (!entry->waiting) return;
  entry->waiting = false;
  --entry->address->second.waiting;
  (entry->older != kNoSlot ? entry_at(entry->older).newer : oldest_waiting_) = entry->newer;
  (entry->newer != kNoSlot ? entry_at(entry->newer).older : newest_waiting_) = entry->older;
  entry->older = entry->newer = kNoSlot;
  --waiting_;
}

void PeerPoller::make_room() {
  // Among the oldest few: a connection that has sent nothing (not even bytes still unread in its
  // socket) before one that is sending, then the one whose address holds the most of the room
  // (an attacker's many sockets before a visitor's one), then the oldest. Whether bytes wait
  // unread costs a system call: asked only of a candidate that would be chosen.
  constexpr int kCandidates = 16;
  uint32_t victim = kNoSlot;
  bool victim_silent = false;
  size_t victim_crowd = 0;
  int looked = 0;
  for (uint32_t slot = oldest_waiting_; slot != kNoSlot && looked < kCandidates;
       slot = entry_at(slot).newer, ++looked) {
    const Entry& candidate = entry_at(slot);
    bool silent = !candidate.peer->heard_from_client();
    const size_t crowd = candidate.address->second.waiting;
    const auto better = [&] {
      return victim == kNoSlot || (silent && !victim_silent) ||
             (silent == victim_silent && crowd > victim_crowd);
    };
    if (!better()) continue;
    if (silent && candidate.fd >= 0 &&
        (native::wait_for(candidate.fd, native::kReadable, 0) & native::kReadable)) {
      silent = false;  // its request arrived and was not read yet: a visitor
      if (!better()) continue;
    }
    victim = slot;
    victim_silent = silent;
    victim_crowd = crowd;
  }
  Entry* evicted = &entry_at(victim);
  leave_waiting_room(evicted);
  drop_address(evicted);
  evicted->peer->drop_handshake(
      "Dropped from the server's full waiting room: no request had arrived, and a newer "
      "connection needed the place.");
  recheck_.push_back(victim);  // reported CLOSED by the next wait(), for the application
}

bool PeerPoller::admit_request(NativeWebSocketPeer& peer) {
  Entry* entry = find(&peer);
  if (!entry || entry->served || entry->refusing) return true;
  leave_waiting_room(entry);
  // Behind a balancer the client is known only now (its PROXY header came before the request):
  // it is counted under its own address, not the balancer's.
  if (entry->address && address_key(entry) != entry->address->first) drop_address(entry);
  AddressCounts& counts = counts_of(entry);
  const bool full = limits_.max_peers > 0 && served_ >= limits_.max_peers;
  const bool crowded =
      limits_.max_peers_per_address > 0 && counts.served >= limits_.max_peers_per_address;
  if (!full && !crowded) {
    entry->served = true;
    ++served_;
    ++counts.served;
    return true;
  }
  drop_address(entry);
  // Refusals are answered quickly and are bounded too: past that, a newcomer is cut off at once.
  const size_t max_refusing = std::max<size_t>(64, limits_.max_peers / 4);
  if (refusing_ >= max_refusing) return false;
  ++refusing_;
  entry->refusing = true;
  const std::string seconds = std::to_string(limits_.retry_after_seconds);
  peer.refuse_request(
      503, {"Retry-After: " + seconds},
      full ? "The server is full; try again in " + seconds + " s.\n"
           : "Too many connections from your address; try again in " + seconds + " s.\n",
      2.0);
  return true;
}

void PeerPoller::release(Entry* entry) {
  leave_waiting_room(entry);
  entry->peer->set_server_share(nullptr);
  if (share_.finisher == entry->peer) share_.finisher = nullptr;
  if (largest_partial_ == entry) largest_partial_ = nullptr;
  buffered_ -= entry->charged;
  entry->charged = 0;
  if (entry->served) {
    --served_;
    --entry->address->second.served;
    entry->served = false;
  } else if (entry->refusing) {
    --refusing_;
    entry->refusing = false;
  }
  drop_address(entry);
}

void PeerPoller::remove(WebSocketPeer* peer) {
  Entry* entry = find(peer);
  if (!entry) return;
  // A socket the peer already closed may have its number reused by a new connection by now.
  const PollInterest interest = entry->peer->get_poll_interest();
  if (entry->fd >= 0) {
    set_->forget(entry, entry->fd, interest.fd == entry->fd && interest.stream == entry->stream);
  }
  entry->fd = -1;
  unregister(entry);
  release(entry);
  NativeWebSocketPeer* native = entry->peer;
  const bool owned = entry->owned;
  free_slots_.push_back(native->poller_slot());
  native->set_poller_slot(NativeWebSocketPeer::kNotPolled);
  *entry = Entry();  // a free slot: lists that still name it skip it
  --count_;
  if (owned) delete native;
}

void PeerPoller::update(WebSocketPeer* peer) {
  Entry* entry = find(peer);
  if (!entry) return;
  refresh(entry);
  if (!entry->watched) recheck_.push_back(entry->peer->poller_slot());
}

void PeerPoller::set_limits(const Limits& limits) {
  limits_ = limits;
  for (TCPServer* server : servers_) defer_silent_connections(server);
}

void PeerPoller::defer_silent_connections(TCPServer* server) {
  // Only the client speaks first in WebSocket: one that sends nothing need never be accepted.
  const double seconds = std::chrono::duration<double>(limits_.first_byte_timeout).count();
  if (seconds > 0) server->set_defer_accept(seconds);
}

void PeerPoller::add_server(TCPServer* server) {
  if (!server->is_listening()) return;
  defer_silent_connections(server);
  set_->watch(tag(server, kServerTag), server->get_native_handle(), native::kReadable, false);
  servers_.push_back(server);
}

void PeerPoller::remove_server(TCPServer* server) {
  set_->forget(tag(server, kServerTag), server->get_native_handle(), server->is_listening());
  servers_.erase(std::remove(servers_.begin(), servers_.end(), server), servers_.end());
}

void PeerPoller::add_stream(StreamPeer* stream, bool want_write) {
  set_->watch(tag(stream, kStreamTag), stream->get_native_handle(), stream_interest(want_write),
              false);
}

void PeerPoller::update_stream(StreamPeer* stream, bool want_write) {
  add_stream(stream, want_write);
}

void PeerPoller::remove_stream(StreamPeer* stream) {
  set_->forget(tag(stream, kStreamTag), stream->get_native_handle(),
               stream->get_native_handle() >= 0);
}

void PeerPoller::watch_fd(int fd, FdWatcher* watcher, bool want_read, bool want_write) {
  if (!want_read && !want_write) {
    unwatch_fd(fd, watcher);
    return;
  }
  const short interest = static_cast<short>((want_read ? native::kReadable : 0) |
                                            (want_write ? native::kWritable : 0));
  set_->watch(tag(watcher, kWatcherTag), fd, interest, false);
}

void PeerPoller::unwatch_fd(int fd, FdWatcher* watcher) {
  set_->forget(tag(watcher, kWatcherTag), fd, true);
  std::erase_if(ready_watchers_, [watcher](const auto& ready) { return ready.first == watcher; });
}

void PeerPoller::set_busy_poll(std::chrono::microseconds window) {
  busy_poll_ = std::clamp(window, std::chrono::microseconds{0},
                          std::chrono::microseconds{std::chrono::milliseconds{100}});
}

int PeerPoller::wait_for_events(native::ReadinessSet::Event* events, int max_events,
                                int timeout_ms) {
  if (timeout_ms == 0 || busy_poll_.count() == 0) return set_->wait(events, max_events, timeout_ms);
  const Clock::time_point start = Clock::now();
  Clock::time_point spin_until = start + busy_poll_;
  if (timeout_ms > 0)
    spin_until = std::min(spin_until, start + std::chrono::milliseconds(timeout_ms));
  for (;;) {
    const int count = set_->wait(events, max_events, 0);
    if (count != 0) return count;
    if (Clock::now() >= spin_until) break;
  }
  // Nothing came while spinning: sleep for what is left of the timeout.
  if (timeout_ms > 0) {
    const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    timeout_ms = static_cast<int>(std::max<long long>(0, timeout_ms - spent.count()));
  }
  return set_->wait(events, max_events, timeout_ms);
}

void PeerPoller::unregister(Entry* entry) { clear_timer(entry); }

void PeerPoller::make_ready(Entry* entry) {
  if (entry->queued) return;
  entry->queued = true;
  ready_.push_back(entry->peer);
  ready_slots_.push_back(entry->peer->poller_slot());
}

void PeerPoller::place_timer(size_t slot, Entry* entry) {
  timers_[slot] = entry;
  entry->timer_slot = static_cast<uint32_t>(slot);
}

void PeerPoller::sift_timer_up(size_t slot) {
  Entry* entry = timers_[slot];
  while (slot > 0) {
    const size_t parent = (slot - 1) / 2;
    if (timers_[parent]->deadline <= entry->deadline) break;
    place_timer(slot, timers_[parent]);
    slot = parent;
  }
  place_timer(slot, entry);
}

void PeerPoller::sift_timer_down(size_t slot) {
  Entry* entry = timers_[slot];
  for (;;) {
    size_t child = 2 * slot + 1;
    if (child >= timers_.size()) break;
    if (child + 1 < timers_.size() && timers_[child + 1]->deadline < timers_[child]->deadline) {
      ++child;
    }
    if (entry->deadline <= timers_[child]->deadline) break;
    place_timer(slot, timers_[child]);
    slot = child;
  }
  place_timer(slot, entry);
}

void PeerPoller::set_timer(Entry* entry, Clock::time_point deadline) {
  if (entry->timer_slot == Entry::kNoTimer) {
    entry->deadline = deadline;
    timers_.push_back(entry);
    sift_timer_up(timers_.size() - 1);
    return;
  }
  const bool earlier = deadline < entry->deadline;
  entry->deadline = deadline;
  if (earlier) {
    sift_timer_up(entry->timer_slot);
  } else {
    sift_timer_down(entry->timer_slot);
  }
}

void PeerPoller::clear_timer(Entry* entry) {
  const size_t slot = entry->timer_slot;
  if (slot == Entry::kNoTimer) return;
  entry->timer_slot = Entry::kNoTimer;
  Entry* last = timers_.back();
  timers_.pop_back();
  if (slot == timers_.size()) return;  // it was the last one
  // The last entry fills the hole, then moves up or down to where its deadline belongs.
  place_timer(slot, last);
  sift_timer_up(slot);
  if (last->timer_slot == slot) sift_timer_down(slot);
}

void PeerPoller::refresh(Entry* entry) {
  if (limits_.max_buffered_bytes > 0) {
    const size_t held = entry->peer->buffered_bytes();
    buffered_ = buffered_ - entry->charged + held;
    entry->charged = held;
    const size_t partial = entry->peer->partial_message_bytes();
    if (partial > largest_partial_bytes_) {
      largest_partial_ = entry;
      largest_partial_bytes_ = partial;
    }
  }
  if (entry->waiting && !entry->peer->awaiting_request()) {  // gone before its request came
    leave_waiting_room(entry);
    drop_address(entry);
  }
  const PollInterest interest = entry->peer->get_poll_interest();
  if (interest.fd != entry->fd || interest.stream != entry->stream) {
    // A new transport (next address; TLS over TCP keeps the fd): register the socket afresh.
    // The socket the peer replaced was closed (its number may be reused already).
    if (entry->fd >= 0) set_->forget(entry, entry->fd, false);
    entry->fd = interest.fd;
    entry->stream = interest.stream;
    entry->watched_interest = -1;
    // Edge-triggered where the set allows: a peer is woken when its socket changes, its
    // interest decides what poll() does, and nothing is registered again per message.
    if (entry->fd >= 0 && set_->edge_triggered()) set_->watch(entry, entry->fd, 0, true);
  }
  if (entry->fd >= 0 && !set_->edge_triggered()) {
    // Level-triggered: watch only what the peer wants now, or a ready socket it is not going to
    // read (its input paused) would wake every round.
    const short wanted = interest.wait_interest();
    if (wanted != entry->watched_interest) {
      set_->watch(entry, entry->fd, wanted, false);
      entry->watched_interest = wanted;
    }
  }
  // A deadline that moved later keeps the earlier timer: it fires early, the peer is polled and
  // the timer is set afresh. Cheaper than moving it in the tree at every message (a busy peer's
  // idle deadline moves with each one).
  if (interest.deadline == Clock::time_point::max()) {
    clear_timer(entry);
  } else if (entry->timer_slot == Entry::kNoTimer || interest.deadline < entry->deadline) {
    set_timer(entry, interest.deadline);
  }

  // Reading resumes after the application drained messages: data may already be waiting in the
  // socket, and an edge-triggered socket will not report it again.
  const bool read_resumed = interest.want_read && !entry->want_read && entry->fd >= 0;
  entry->want_read = interest.want_read;
  entry->watched = interest.poll_now || (!interest.want_read && entry->fd >= 0);
  if (interest.poll_now || read_resumed) make_ready(entry);
  if (entry->peer->get_ready_state() != WebSocketPeer::STATE_CLOSED) {
    entry->closed_reported = false;
  } else if (!entry->closed_reported) {
    make_ready(entry);  // wait() marks it reported when it returns it
  }
}

const std::vector<WebSocketPeer*>& PeerPoller::wait(int timeout_ms) {
  for (uint32_t slot : ready_slots_) entry_at(slot).queued = false;  // free or not
  ready_.clear();
  ready_slots_.clear();
  ready_servers_.clear();
  ready_streams_.clear();

  // Peers polled since the last round, and peers waiting for the application, may want
  // something new now. Only these are examined: the cost follows activity, not peer count.
  // Swapped with a member, not a local, so both vectors keep their capacity: a steady-state
  // round allocates nothing.
  std::vector<uint32_t>& recheck = recheck_scratch_;
  recheck.clear();
  recheck.swap(recheck_);
  recheck.insert(recheck.end(), watch_list_.begin(), watch_list_.end());
  watch_list_.clear();
  std::sort(recheck.begin(), recheck.end());
  recheck.erase(std::unique(recheck.begin(), recheck.end()), recheck.end());
  for (uint32_t slot : recheck) {
    Entry* entry = &entry_at(slot);
    if (!entry->peer) continue;  // removed since
    entry->in_watch_list = false;
    refresh(entry);
    if (entry->watched) {
      entry->in_watch_list = true;
      watch_list_.push_back(slot);
    }
  }

  // What the peers may read is set once per round, from their counts just taken again; each read
  // until the next round is taken off it by the peer itself.
  if (limits_.max_buffered_bytes > 0) {
    share_.available =
        buffered_ < limits_.max_buffered_bytes ? limits_.max_buffered_bytes - buffered_ : 0;
  }
  const bool closed = share_.available == 0;
  if (share_.finisher) {
    // A message only grows until it completes: a smaller (or no) partial means it is done.
    const size_t partial = share_.finisher->partial_message_bytes();
    if (!closed || partial == 0 || partial < finisher_partial_bytes_) share_.finisher = nullptr;
    finisher_partial_bytes_ = partial;
  }
  if (closed && !share_.finisher && largest_partial_) {
    share_.finisher = largest_partial_->peer;
    finisher_partial_bytes_ = largest_partial_bytes_;
    make_ready(largest_partial_);  // it may read again now
  }
  largest_partial_ = nullptr;
  largest_partial_bytes_ = 0;

  int timeout = timeout_ms;
  if (!ready_.empty()) {
    timeout = 0;
  } else if (!timers_.empty()) {
    const auto until = timers_.front()->deadline - Clock::now();
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(until).count();
    const int due = static_cast<int>(std::clamp<long long>(ms, 0, 1 << 30));
    timeout = timeout < 0 ? due : std::min(timeout, due);
  }

  native::ReadinessSet::Event events[512];
  const int count = wait_for_events(events, 512, timeout);
  for (int i = 0; i < count; ++i) {
    const auto tagged = reinterpret_cast<uintptr_t>(events[i].tag);
    if ((tagged & kTagMask) == kServerTag) {
      ready_servers_.push_back(reinterpret_cast<TCPServer*>(tagged & ~kTagMask));
    } else if ((tagged & kTagMask) == kStreamTag) {
      ready_streams_.push_back(reinterpret_cast<StreamPeer*>(tagged & ~kTagMask));
    } else if ((tagged & kTagMask) == kWatcherTag) {
      ready_watchers_.emplace_back(reinterpret_cast<FdWatcher*>(tagged & ~kTagMask),
                                   events[i].ready);
    } else {
      Entry* entry = static_cast<Entry*>(events[i].tag);
      // Edge-triggered: the end of stream or reset that came with the last data is reported
      // once, here, and a short read would otherwise be taken to mean "drained".
      if (events[i].ready & (native::kHangup | native::kError | native::kPeerClosed)) {
        entry->peer->notify_hangup();
      }
      make_ready(entry);
    }
  }
  const Clock::time_point now = Clock::now();
  // A timer that fired is gone; the peer, examined again at the next wait(), sets a new one.
  while (!timers_.empty() && timers_.front()->deadline <= now) {
    Entry* entry = timers_.front();
    clear_timer(entry);
    make_ready(entry);
  }

  // A watcher may unwatch others (removed from the list then) or itself while it is called.
  while (!ready_watchers_.empty()) {
    const auto [watcher, ready] = ready_watchers_.front();
    ready_watchers_.erase(ready_watchers_.begin());
    const bool broken = (ready & (native::kHangup | native::kError | native::kPeerClosed)) != 0;
    watcher->on_fd_ready((ready & native::kReadable) != 0 || broken,
                         (ready & native::kWritable) != 0);
  }

  recheck_.assign(ready_slots_.begin(), ready_slots_.end());
  for (uint32_t slot : ready_slots_) {
    Entry& entry = entry_at(slot);
    if (entry.peer->get_ready_state() == WebSocketPeer::STATE_CLOSED) entry.closed_reported = true;
  }
  return ready_;
}

}  // namespace wsp
