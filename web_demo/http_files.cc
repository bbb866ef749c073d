#include "web_demo/http_files.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "wspeer/core/handshake.h"

namespace wsp::demo {
namespace {

struct Route {
  const char* path;
  const char* file;
  const char* type;
};

constexpr Route kRoutes[] = {
    {"/", "page/index.html", "text/html; charset=utf-8"},
    {"/index.html", "page/index.html", "text/html; charset=utf-8"},
    {"/app.js", "page/app.js", "text/javascript; charset=utf-8"},
    {"/style.css", "page/style.css", "text/css; charset=utf-8"},
    {"/room_app.js", "room_app_wasm/room_app.js", "text/javascript; charset=utf-8"},
    {"/room_app.wasm", "room_app_wasm/room_app.wasm", "application/wasm"},
};

bool read_file(const std::string& path, std::string* out) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return false;
  std::ostringstream content;
  content << file.rdbuf();
  *out = content.str();
  return true;
}

bool is_directory_with_page(const std::string& root) {
  return access((root + "/page/index.html").c_str(), R_OK) == 0;
}

}  // namespace

std::string StaticFiles::respond(const std::string& method, const std::string& target) const {
  if (method != "GET") return build_http_error_response(405, "Only GET is served here.\n");
  const std::string path = target.substr(0, target.find('?'));
  for (const Route& route : kRoutes) {
    if (path != route.path) continue;
    std::string body;
    if (!read_file(root_ + "/" + route.file, &body)) break;
    return "HTTP/1.1 200 OK\r\nContent-Type: " + std::string(route.type) +
           "\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n" + body;
  }
  return build_http_error_response(404, "Not found.\n");
}

std::string find_static_root(const char* argv0, const std::string& override_root) {
  if (!override_root.empty()) return override_root;
  std::string candidates[3];
  if (const char* dir = std::getenv("RUNFILES_DIR"))
    candidates[0] = std::string(dir) + "/wspeer/web_demo";
  candidates[1] = std::string(argv0) + ".runfiles/wspeer/web_demo";
  candidates[2] = "web_demo";
  for (const std::string& candidate : candidates) {
    if (!candidate.empty() && is_directory_with_page(candidate)) return candidate;
  }
  return candidates[1];
}

}  // namespace wsp::demo
