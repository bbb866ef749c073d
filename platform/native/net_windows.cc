// The platform seam on Windows: Winsock 2 (WSAPoll for readiness, WSASend for scattered writes).
#ifdef _WIN32

#include <mutex>
#include <vector>

#include "wspeer/platform/native/net.h"

namespace wsp::native {
namespace {

SOCKET as_socket(int fd) { return static_cast<SOCKET>(static_cast<unsigned>(fd)); }

short to_poll_events(short interest) {
  short events = 0;
  if (interest & kReadable) events |= POLLRDNORM;
  if (interest & kWritable) events |= POLLWRNORM;
  return events;  // WSAPoll has no half-close event: a remote's FIN comes as POLLHUP
}

short from_poll_events(short revents) {
  short ready = 0;
  if (revents & POLLRDNORM) ready |= kReadable;
  if (revents & POLLWRNORM) ready |= kWritable;
  if (revents & POLLHUP) ready |= kHangup | kReadable;  // the end of stream can be read
  if (revents & (POLLERR | POLLNVAL)) ready |= kError;
  return ready;
}

}  // namespace

// Winsock must be started once per process before any socket call (including getaddrinfo).
void start_sockets() {
  static std::once_flag once;
  std::call_once(once, [] {
    WSADATA data;
    WSAStartup(MAKEWORD(2, 2), &data);
  });
}

int last_error() { return WSAGetLastError(); }

std::string error_text(int error) {
  char* text = nullptr;
  const DWORD length = FormatMessageA(
      FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
      nullptr, static_cast<DWORD>(error), MAKELANGID(LANG_ENGLISH, SUBLANG_DEFAULT),
      reinterpret_cast<char*>(&text), 0, nullptr);
  std::string message = length > 0 ? std::string(text, length) : "error " + std::to_string(error);
  if (text) LocalFree(text);
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r' ||
                              message.back() == '.' || message.back() == ' ')) {
    message.pop_back();
  }
  return message;
}

bool is_transient(int error) { return error == WSAEWOULDBLOCK || error == WSAEINTR; }

int open_tcp_socket(int ip_version) {
  start_sockets();
  const int family = ip_version == 6 ? AF_INET6 : AF_INET;
  // WSA_FLAG_NO_HANDLE_INHERIT: not inherited by child processes (Windows 7 SP1 and later).
  const SOCKET s = WSASocketW(family, SOCK_STREAM, IPPROTO_TCP, nullptr, 0,
                              WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (s == INVALID_SOCKET) return kNoSocket;
  const int fd = static_cast<int>(s);
  set_nonblocking(fd);
  return fd;
}

void close_socket(int fd) {
  if (fd >= 0) closesocket(as_socket(fd));
}

bool set_nonblocking(int fd, bool enabled) {
  u_long value = enabled ? 1 : 0;
  return ioctlsocket(as_socket(fd), FIONBIO, &value) == 0;
}

bool set_tcp_nodelay(int fd, bool enabled) {
  const BOOL value = enabled ? TRUE : FALSE;
  return setsockopt(as_socket(fd), IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&value),
                    sizeof(value)) == 0;
}

bool set_defer_accept(int /*listener*/, int /*seconds*/) { return false; }

bool start_connect(int fd, const SocketAddress& address, int* error) {
  const NativeAddress target = to_native(address);
  if (::connect(as_socket(fd), reinterpret_cast<const sockaddr*>(&target.storage), target.length) ==
      0) {
    *error = 0;
    return true;
  }
  *error = WSAGetLastError();
  return *error == WSAEWOULDBLOCK || *error == WSAEINPROGRESS;
}

int connect_result(int fd) {
  int error = 0;
  int length = sizeof(error);
  if (getsockopt(as_socket(fd), SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&error), &length) !=
      0) {
    error = WSAGetLastError();
  }
  return error;
}

int open_listener(const SocketAddress& address, bool dual_stack, bool share_port, int* error) {
  if (share_port) {  // Windows has no load-balancing SO_REUSEPORT
    *error = kPortSharingUnsupported;
    return kNoSocket;
  }
  const int fd = open_tcp_socket(address.ip_version());
  if (fd == kNoSocket) {
    *error = WSAGetLastError();
    return kNoSocket;
  }
  // Windows' SO_REUSEADDR would let another program take over the port: refuse that instead.
  const BOOL yes = TRUE;
  const DWORD no = 0;
  setsockopt(as_socket(fd), SOL_SOCKET, SO_EXCLUSIVEADDRUSE, reinterpret_cast<const char*>(&yes),
             sizeof(yes));
  if (dual_stack) {
    setsockopt(as_socket(fd), IPPROTO_IPV6, IPV6_V6ONLY, reinterpret_cast<const char*>(&no),
               sizeof(no));
  }
  const NativeAddress local = to_native(address);
  if (bind(as_socket(fd), reinterpret_cast<const sockaddr*>(&local.storage), local.length) != 0 ||
      ::listen(as_socket(fd), SOMAXCONN) != 0) {
    *error = WSAGetLastError();
    closesocket(as_socket(fd));
    return kNoSocket;
  }
  *error = 0;
  return fd;
}

int accept_connection(int listener, SocketAddress* remote, int* error) {
  sockaddr_storage from{};
  int length = sizeof(from);
  const SOCKET s = ::accept(as_socket(listener), reinterpret_cast<sockaddr*>(&from), &length);
  if (s == INVALID_SOCKET) {
    const int code = WSAGetLastError();
    *error = is_transient(code) ? 0 : code;
    return kNoSocket;
  }
  const int fd = static_cast<int>(s);
  set_nonblocking(fd);
  *remote = from_native(from);
  *error = 0;
  return fd;
}

bool is_address_in_use(int error) { return error == WSAEADDRINUSE || error == WSAEACCES; }

bool is_family_unsupported(int error) {
  return error == WSAEAFNOSUPPORT || error == WSAEPFNOSUPPORT;
}

int local_port(int fd) {
  sockaddr_storage bound;
  int length = sizeof(bound);
  if (getsockname(as_socket(fd), reinterpret_cast<sockaddr*>(&bound), &length) != 0) return 0;
  return from_native(bound).port();
}

long send_some(int fd, const ConstBuffer* parts, int count, int* error) {
  WSABUF buffers[8];
  const int used = count < 8 ? count : 8;
  for (int i = 0; i < used; ++i) {
    buffers[i].buf = reinterpret_cast<char*>(const_cast<uint8_t*>(parts[i].data));
    buffers[i].len = static_cast<ULONG>(parts[i].size);
  }
  DWORD sent = 0;
  if (WSASend(as_socket(fd), buffers, static_cast<DWORD>(used), &sent, 0, nullptr, nullptr) == 0) {
    return static_cast<long>(sent);
  }
  const int code = WSAGetLastError();
  *error = is_transient(code) ? 0 : code;
  return -1;
}

long receive_some(int fd, void* buffer, size_t size, int* error) {
  const int n = ::recv(as_socket(fd), static_cast<char*>(buffer),
                       static_cast<int>(size > 0x7FFFFFFF ? 0x7FFFFFFF : size), 0);
  if (n >= 0) return n;
  const int code = WSAGetLastError();
  *error = is_transient(code) ? 0 : code;
  return -1;
}

void shutdown_write(int fd) { ::shutdown(as_socket(fd), SD_SEND); }

void abort_socket(int fd) {
  if (fd < 0) return;
  const linger option{1, 0};
  setsockopt(as_socket(fd), SOL_SOCKET, SO_LINGER, reinterpret_cast<const char*>(&option),
             sizeof(option));
  closesocket(as_socket(fd));
}

short wait_for(int fd, short interest, int timeout_ms) {
  WSAPOLLFD entry{as_socket(fd), to_poll_events(interest), 0};
  if (WSAPoll(&entry, 1, timeout_ms) <= 0) return 0;
  return from_poll_events(entry.revents);
}

int wait_many(WaitEntry* entries, size_t count, int timeout_ms) {
  if (count == 0) {  // WSAPoll refuses an empty set
    if (timeout_ms > 0) Sleep(static_cast<DWORD>(timeout_ms));
    return 0;
  }
  thread_local std::vector<WSAPOLLFD> fds;
  fds.resize(count);
  for (size_t i = 0; i < count; ++i) {
    fds[i] = {as_socket(entries[i].fd), to_poll_events(entries[i].interest), 0};
  }
  const int ready = WSAPoll(fds.data(), static_cast<ULONG>(count), timeout_ms);
  for (size_t i = 0; i < count; ++i) {
    entries[i].ready = ready > 0 ? from_poll_events(fds[i].revents) : 0;
  }
  return ready < 0 ? -1 : ready;
}

}  // namespace wsp::native

#endif  // _WIN32
