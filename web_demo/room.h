// The demo's game on the server: the names, colours and positions of the participants of every
// room, and their chat. Who is connected, in which room, and telling the others when someone
// joins or leaves is the multiplayer layer's (a MultiplayerSession over a
// WebSocketMultiplayerPeer): this keeps only what the game adds, and speaks only through the
// session, so it is tested in memory (web_demo/room_test.cc).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "wspeer/multiplayer/multiplayer_session.h"

namespace wsp::demo {

class Rooms {
 public:
  explicit Rooms(MultiplayerSession* session) : session_(session) {}

  /// Takes one of the session's events (after its poll()).
  void handle(const MultiplayerSession::Event& event);
  /// Sends each room the positions that changed since the last tick.
  void tick();
  /// Participants that said hello, in all rooms.
  size_t size() const { return participants_.size(); }

 private:
  struct Participant {
    std::string room;
    std::string name;
    std::string color;
    float x = 0.5f, y = 0.5f;
    bool moved = false;
  };
  void on_message(int id, std::string_view message);
  void greet(int id, Participant& newcomer);
  void introduce_to(int id);
  void send(int id, const std::string& message);
  void send_to_room(const std::string& room, const std::string& message, int except = 0);

  MultiplayerSession* session_;
  std::map<int, Participant> participants_;
  std::map<std::string, int> arrivals_;  ///< per room: where and in which colour the next appears
};

}  // namespace wsp::demo
