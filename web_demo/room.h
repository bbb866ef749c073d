// The demo server's room: who is there, where they are, and what they said. It only speaks
// through WebSocketPeer, so the same logic would serve browser and native clients alike.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "web_demo/room_hub.h"
#include "wspeer/core/websocket_peer.h"

namespace wsp::demo {

class Room {
 public:
  /// A room of its own; or, with `hub`, room number `index` of one room shared by several threads
  /// (each thread's members are served by its own Room).
  explicit Room(RoomHub* hub = nullptr, size_t index = 0) : hub_(hub), index_(index) {}

  // Takes a peer that accept_stream() started; it joins once it says hello.
  void admit(std::unique_ptr<WebSocketPeer> peer);
  // Reads and answers the messages of one peer (after its poll()). Returns false once the peer
  // is closed; then remove() it.
  bool service(WebSocketPeer* peer);
  // Forgets a closed peer (destroying it) and tells the others it left.
  void remove(WebSocketPeer* peer);
  // Sends the positions that changed since the last tick to everyone.
  void tick();
  // Passes on what the other threads' rooms published (with a hub; at least once per tick).
  void deliver();
  void close_all(int code, const std::string& reason);
  size_t size() const { return members_.size(); }
  bool contains(WebSocketPeer* peer) const { return members_.count(peer) > 0; }

 private:
  struct Member {
    std::unique_ptr<WebSocketPeer> peer;
    int id = 0;
    std::string name;
    std::string color;
    float x = 0.5f, y = 0.5f;
    bool joined = false;
    bool moved = false;
  };
  void handle(Member& member, std::string_view message);
  void broadcast(const std::string& message, const Member* except = nullptr);
  void send_to_members(const std::string& message, const Member* except, bool state_update);
  void greet(Member& member);
  static void send(Member& member, const std::string& message);

  std::map<WebSocketPeer*, Member> members_;
  int next_id_ = 1;
  RoomHub* hub_;
  size_t index_;
};

}  // namespace wsp::demo
