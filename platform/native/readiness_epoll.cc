// ReadinessSet over Linux epoll: peers edge-triggered (registered once for both directions, so a
// busy connection costs no system call to change what is watched), the rest level-triggered.
#ifdef __linux__

#include <sys/epoll.h>
#include <unistd.h>

#include <cstdlib>

#include "wspeer/platform/native/net.h"
#include "wspeer/platform/native/readiness_set.h"

namespace wsp::native {
namespace {

class EpollReadinessSet : public ReadinessSet {
 public:
  EpollReadinessSet() : epoll_fd_(epoll_create1(EPOLL_CLOEXEC)) {
    if (epoll_fd_ < 0) std::abort();  // out of file descriptors at construction: nothing works
  }
  ~EpollReadinessSet() override { ::close(epoll_fd_); }

  void watch(void* tag, int fd, short interest, bool edge) override {
    epoll_event event{};
    event.data.ptr = tag;
    if (edge) {
      event.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;  // every change, both ways
    } else {
      event.events = EPOLLRDHUP;
      if (interest & kReadable) event.events |= EPOLLIN;
      if (interest & kWritable) event.events |= EPOLLOUT;
    }
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
      epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event);
    }
  }

  void forget(void* /*tag*/, int fd, bool still_open) override {
    // A closed socket left the set by itself; its number may be another socket's by now.
    if (still_open && fd >= 0) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  }

  int wait(Event* events, int max_events, int timeout_ms) override {
    epoll_event raw[512];
    const int count = epoll_wait(epoll_fd_, raw, max_events < 512 ? max_events : 512, timeout_ms);
    for (int i = 0; i < count; ++i) {
      const uint32_t e = raw[i].events;
      short ready = 0;
      if (e & EPOLLIN) ready |= kReadable;
      if (e & EPOLLOUT) ready |= kWritable;
      if (e & EPOLLHUP) ready |= kHangup;
      if (e & EPOLLERR) ready |= kError;
      if (e & EPOLLRDHUP) ready |= kPeerClosed;
      events[i] = {raw[i].data.ptr, ready};
    }
    return count < 0 ? 0 : count;
  }

  bool edge_triggered() const override { return true; }

 private:
  int epoll_fd_;
};

}  // namespace

std::unique_ptr<ReadinessSet> make_default_readiness_set() {
  return std::make_unique<EpollReadinessSet>();
}

}  // namespace wsp::native

#endif  // __linux__
