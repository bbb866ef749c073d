#include "wspeer/platform/native/resolver.h"

#ifndef _WIN32
#include <netdb.h>
#endif

#include <cstring>
#include <mutex>
#include <thread>

#include "wspeer/platform/native/net.h"

namespace wsp::native {
namespace {

std::mutex g_override_mutex;
std::function<ResolveResult(const std::string&, int)> g_override;

class ThreadResolveJob : public ResolveJob {
 public:
  bool done(ResolveResult* result) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!finished_) return false;
    *result = result_;
    return true;
  }

  void run(const std::string& host, int port) {
    ResolveResult result;
    std::function<ResolveResult(const std::string&, int)> resolve;
    {
      std::lock_guard<std::mutex> lock(g_override_mutex);
      resolve = g_override;
    }
    if (resolve) {
      result = resolve(host, port);
      std::lock_guard<std::mutex> lock(mutex_);
      result_ = std::move(result);
      finished_ = true;
      return;
    }
    addrinfo hints;
    std::memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* list = nullptr;
    const std::string service = std::to_string(port);
    start_sockets();  // Windows resolves through Winsock, which must be started first
    const int status = getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
    if (status != 0) {
      result.error = "Cannot resolve host \"" + host + "\": " + gai_strerror(status) + ".";
    } else {
      for (addrinfo* entry = list; entry; entry = entry->ai_next) {
        if (entry->ai_addrlen > sizeof(sockaddr_storage)) continue;
        sockaddr_storage address{};
        std::memcpy(&address, entry->ai_addr, entry->ai_addrlen);
        const SocketAddress usable = from_native(address);
        if (usable.ip_version() != 0) result.addresses.push_back(usable);
      }
      freeaddrinfo(list);
      if (result.addresses.empty()) {
        result.error = "Cannot resolve host \"" + host + "\": no addresses.";
      }
    }
    std::lock_guard<std::mutex> lock(mutex_);
    result_ = std::move(result);
    finished_ = true;
  }

 private:
  std::mutex mutex_;
  bool finished_ = false;
  ResolveResult result_;
};

}  // namespace

void set_resolver_for_testing(
    std::function<ResolveResult(const std::string& host, int port)> resolve) {
  std::lock_guard<std::mutex> lock(g_override_mutex);
  g_override = std::move(resolve);
}

std::shared_ptr<ResolveJob> ResolveJob::start(const std::string& host, int port) {
  auto job = std::make_shared<ThreadResolveJob>();
  std::thread([job, host, port] { job->run(host, port); }).detach();
  return job;
}

}  // namespace wsp::native
