#include "web_demo/room_hub.h"

namespace wsp::demo {

void RoomHub::publish(size_t from_room, const std::string& message) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (size_t room = 0; room < inboxes_.size(); ++room) {
    if (room != from_room) inboxes_[room].push_back(message);
  }
}

std::vector<std::string> RoomHub::take(size_t room) {
  std::vector<std::string> messages;
  std::lock_guard<std::mutex> lock(mutex_);
  messages.swap(inboxes_[room]);
  return messages;
}

void RoomHub::set_member(int id, const Entry& entry) {
  std::lock_guard<std::mutex> lock(mutex_);
  roster_[id] = entry;
}

void RoomHub::move_member(int id, float x, float y) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = roster_.find(id);
  if (found == roster_.end()) return;
  found->second.x = x;
  found->second.y = y;
}

void RoomHub::remove_member(int id) {
  std::lock_guard<std::mutex> lock(mutex_);
  roster_.erase(id);
}

std::map<int, RoomHub::Entry> RoomHub::roster(int except) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::map<int, Entry> copy = roster_;
  copy.erase(except);
  return copy;
}

}  // namespace wsp::demo
