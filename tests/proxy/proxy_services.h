// The proxies the client tests go through, from Debian, each started on a free loopback port with
// a throw-away configuration and stopped by PID (../shared/notes/services.md says how each runs
// unprivileged): tinyproxy and squid (HTTP CONNECT), microsocks and dante (SOCKS5).
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "tests/native/child_process.h"
#include "tests/native/local_ports.h"

namespace wsp::proxy_test {

// A directory of its own for a service that drops root (squid runs as "proxy": it cannot reach
// a test's directory under /root); removed with the service.
struct ScratchDir {
  std::string path;
  ScratchDir() = default;
  ScratchDir(ScratchDir&& other) noexcept : path(std::move(other.path)) { other.path.clear(); }
  ScratchDir& operator=(ScratchDir&& other) noexcept {
    std::swap(path, other.path);
    return *this;
  }
  ~ScratchDir() {
    if (!path.empty()) std::filesystem::remove_all(path);
  }
};

struct Service {
  ScratchDir scratch;  // declared first: removed after the process is stopped
  std::unique_ptr<test::ChildProcess> process;
  int port = 0;
  std::string url(const std::string& scheme, const std::string& credentials = "") const {
    return scheme + "://" + (credentials.empty() ? "" : credentials + "@") +
           "127.0.0.1:" + std::to_string(port);
  }
};

inline std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = test::temp_dir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

inline Service started(std::vector<std::string> argv, int port, const char* what,
                       ScratchDir scratch = {}) {
  Service service;
  service.scratch = std::move(scratch);
  service.port = port;
  service.process = std::make_unique<test::ChildProcess>(argv);
  EXPECT_TRUE(test::wait_for_port(port)) << what << " did not start";
  return service;
}

// tinyproxy; `basic_auth` "user pass" asks for credentials (it answers bad ones with 401).
inline Service start_tinyproxy(const std::string& basic_auth = "") {
  const int port = test::free_port();
  std::string config = "Port " + std::to_string(port) +
                       "\nListen 127.0.0.1\nAllow 127.0.0.1\nTimeout 30\nMaxClients 20\n"
                       "LogLevel Warning\n";
  if (!basic_auth.empty()) config += "BasicAuth " + basic_auth + "\n";
  const std::string path = write_file("tinyproxy-" + std::to_string(port) + ".conf", config);
  return started({"tinyproxy", "-d", "-c", path}, port, "tinyproxy");
}

// squid with CONNECT allowed to every port; with `user`/`password`, Basic authentication through
// its basic_ncsa_auth helper.
inline Service start_squid(const std::string& user = "", const std::string& password = "") {
  const int port = test::free_port();
  ScratchDir scratch;
  char pattern[] = "/tmp/wspeer-squid-XXXXXX";
  scratch.path = mkdtemp(pattern);
  chmod(scratch.path.c_str(), 0777);  // its logs are written as "proxy"
  const std::string dir = scratch.path + "/squid";
  std::string config = "http_port 127.0.0.1:" + std::to_string(port) + "\npid_filename " + dir +
                       ".pid\ncache_log " + dir + ".log\naccess_log stdio:" + dir +
                       ".access\ncoredump_dir " + scratch.path +
                       "\nnetdb_filename none\npinger_enable off\ncache deny all\n"
                       "shutdown_lifetime 1 second\n";
  if (!user.empty()) {
    const std::string passwords = dir + ".htpasswd";
    test::ChildProcess hash({"openssl", "passwd", "-1", password});
    std::ofstream(passwords) << user << ":" << hash.read_line(5) << "\n";
    hash.wait(5);
    config += "auth_param basic program /usr/lib/squid/basic_ncsa_auth " + passwords +
              "\nacl users proxy_auth REQUIRED\nhttp_access allow users\n";
  } else {
    config += "http_access allow all\n";
  }
  config += "http_access deny all\n";
  const std::string path = dir + ".conf";
  std::ofstream(path) << config;
  return started({"squid", "-N", "-f", path}, port, "squid", std::move(scratch));
}

// microsocks: SOCKS5, with a user name and password when given.
inline Service start_microsocks(const std::string& user = "", const std::string& password = "") {
  const int port = test::free_port();
  std::vector<std::string> argv = {"microsocks", "-i", "127.0.0.1", "-p", std::to_string(port)};
  if (!user.empty()) argv.insert(argv.end(), {"-u", user, "-P", password});
  return started(argv, port, "microsocks");
}

// dante: SOCKS5 without authentication, to loopback only.
inline Service start_dante() {
  const int port = test::free_port();
  const std::string config =
      "logoutput: stderr\ninternal: 127.0.0.1 port = " + std::to_string(port) +
      "\nexternal: 127.0.0.1\nsocksmethod: none\nclientmethod: none\n"
      "client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }\n"
      "socks pass { from: 127.0.0.0/8 to: 127.0.0.0/8 command: connect }\n";
  const std::string path = write_file("danted-" + std::to_string(port) + ".conf", config);
  return started({"danted", "-f", path, "-p", path + ".pid"}, port, "danted");
}

}  // namespace wsp::proxy_test
