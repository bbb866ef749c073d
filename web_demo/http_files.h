// The few static files the demo page needs, served over plain HTTP/1.1 on the WebSocket port.
#pragma once

#include <string>

namespace wsp::demo {

class StaticFiles {
 public:
  // `root` holds page/ and room_app_wasm/ (the Bazel runfiles of //web_demo:server).
  explicit StaticFiles(std::string root) : root_(std::move(root)) {}
  // A complete HTTP response for GET `path` (200 with the file, or 404/405 with a short text).
  std::string respond(const std::string& method, const std::string& path) const;
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

// Where the demo's files are: --root if given, else next to the binary in its runfiles.
std::string find_static_root(const char* argv0, const std::string& override_root);

}  // namespace wsp::demo
