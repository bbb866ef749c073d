// What the rooms of several server threads share (server --threads): member ids, the roster a
// newcomer is shown, and the messages each room passes on to its own members. A room without a
// hub (one thread) needs none of it.
#pragma once

#include <atomic>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace wsp::demo {

class RoomHub {
 public:
  struct Entry {
    std::string color;
    std::string name;
    float x = 0, y = 0;
  };

  explicit RoomHub(size_t rooms) : inboxes_(rooms) {}

  int next_id() { return next_id_.fetch_add(1); }

  /// A message every member of the other rooms should get.
  void publish(size_t from_room, const std::string& message);
  /// The messages published for `room` since the last call, in order.
  std::vector<std::string> take(size_t room);

  void set_member(int id, const Entry& entry);
  void move_member(int id, float x, float y);
  void remove_member(int id);
  /// Everyone in the roster but `except`.
  std::map<int, Entry> roster(int except) const;

 private:
  std::atomic<int> next_id_{1};
  mutable std::mutex mutex_;
  std::vector<std::vector<std::string>> inboxes_;
  std::map<int, Entry> roster_;
};

}  // namespace wsp::demo
