// Lines typed or piped into stdin, read by a thread of their own: a socket wait cannot include
// stdin on every platform (Windows waits only on sockets), so the main loop checks this queue
// between short waits instead.
#pragma once

#include <cstdio>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace wsp::tool {

class StdinLines {
 public:
  // Starts reading; the thread ends at the end of stdin (or with the process).
  void start() {
    std::thread([this] {
      std::string line;
      int c;
      while ((c = std::getchar()) != EOF) {
        if (c != '\n') {
          line.push_back(static_cast<char>(c));
          continue;
        }
        if (!line.empty() && line.back() == '\r') line.pop_back();
        push(std::move(line));
        line.clear();
      }
      std::lock_guard<std::mutex> lock(mutex_);
      if (!line.empty()) lines_.push_back(std::move(line));  // a last line without newline
      ended_ = true;
    }).detach();
  }
  // Moves every line read so far to the back of `out`; false once stdin ended and all is taken.
  bool take(std::deque<std::string>* out) {
    std::lock_guard<std::mutex> lock(mutex_);
    while (!lines_.empty()) {
      out->push_back(std::move(lines_.front()));
      lines_.pop_front();
    }
    return !ended_;
  }

 private:
  void push(std::string line) {
    std::lock_guard<std::mutex> lock(mutex_);
    lines_.push_back(std::move(line));
  }

  std::mutex mutex_;
  std::deque<std::string> lines_;
  bool ended_ = false;
};

}  // namespace wsp::tool
