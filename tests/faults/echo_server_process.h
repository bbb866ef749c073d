// A real `wsp echo-server` child process for fault tests: its port, memory and open descriptors.
#pragma once

#include <dirent.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "tests/native/child_process.h"
#include "tests/native/raw_peer.h"
#include "tests/native/test_util.h"

namespace wsp::test {

class EchoServerProcess {
 public:
  explicit EchoServerProcess(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        runfile("tools/wsp"), "echo-server", "--host", "127.0.0.1", "--port", "0", "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    // Under ASan, freed memory waits in a quarantine (256 MB by default) before it is reused, so
    // the server's RSS would grow with how fast it churned through buffers, not with what it
    // holds: the tests here measure what it holds.
    std::vector<std::string> env;
    if (const char* asan = std::getenv("ASAN_OPTIONS")) {
      env.push_back(std::string("ASAN_OPTIONS=") + asan + ":quarantine_size_mb=4");
    }
    process_ = std::make_unique<ChildProcess>(args, env);
    const std::string line = process_->read_line(10);
    if (line.rfind("listening on port ", 0) == 0) port_ = std::atoi(line.c_str() + 18);
  }
  int port() const { return port_; }
  int pid() const { return process_->pid(); }
  bool alive() const { return ::kill(process_->pid(), 0) == 0; }

  // Resident memory in KiB, -1 if unknown.
  long rss() const {
    std::ifstream status("/proc/" + std::to_string(pid()) + "/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    }
    return -1;
  }

  // Sockets the server holds open (its listener included), -1 if unknown.
  int open_sockets() const {
    const std::string dir = "/proc/" + std::to_string(pid()) + "/fd/";
    DIR* listing = ::opendir(dir.c_str());
    if (!listing) return -1;
    int count = 0;
    while (dirent* entry = ::readdir(listing)) {
      char target[64] = {};
      if (entry->d_name[0] != '.' &&
          ::readlink((dir + entry->d_name).c_str(), target, sizeof(target) - 1) > 0) {
        count += std::string(target).rfind("socket:", 0) == 0;
      }
    }
    ::closedir(listing);
    return count;
  }

  // What each open descriptor is ("3 socket:[123]"), for failure messages.
  std::string describe_fds() const {
    const std::string dir = "/proc/" + std::to_string(pid()) + "/fd/";
    DIR* listing = ::opendir(dir.c_str());
    if (!listing) return "";
    std::string out;
    while (dirent* entry = ::readdir(listing)) {
      if (entry->d_name[0] == '.') continue;
      char target[256] = {};
      const ssize_t n = ::readlink((dir + entry->d_name).c_str(), target, sizeof(target) - 1);
      out += std::string(entry->d_name) + " " + (n > 0 ? std::string(target, n) : "?") + "\n";
    }
    ::closedir(listing);
    return out;
  }

  // A raw client that has completed the handshake.
  RawSocket open_raw() const {
    RawSocket raw;
    raw.connect("127.0.0.1", port_);
    raw.send_all(upgrade_request());
    raw.read_http_head();
    return raw;
  }

 private:
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
};

}  // namespace wsp::test
