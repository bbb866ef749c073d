// The native backend's platform seam: every call it makes to the operating system's sockets goes
// through these few functions, implemented by net_posix.cc (Linux, macOS, BSD) and
// net_windows.cc (Winsock 2). Nothing else in the backend includes a socket header, and no public
// header includes this one: it is internal (not installed), for the backend, its tests and tools.
#pragma once

#ifdef _WIN32
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <netinet/in.h>
#include <sys/socket.h>
#endif

#include <cstddef>
#include <string>

#include "wspeer/core/stream_peer.h"
#include "wspeer/platform/native/socket_address.h"

namespace wsp::native {

/// Sockets are ints on every platform (a Windows SOCKET value fits); kNoSocket is none.
constexpr int kNoSocket = -1;

/// Readiness flags for wait_for() and the readiness loops, the same on every platform.
enum Readiness : short {
  kReadable = 1,    ///< data, or the end of stream, can be read
  kWritable = 2,    ///< data can be written
  kHangup = 4,      ///< the connection is closed in both directions or was reset
  kError = 8,       ///< an error is pending on the socket
  kPeerClosed = 16  ///< the remote ended its side (a FIN; not reported on every platform)
};

/// Prepares the socket library once per process (Winsock's WSAStartup; nothing on POSIX). The
/// functions below that create sockets call it themselves.
void start_sockets();
/// The last socket error of this thread (errno, WSAGetLastError()).
int last_error();
/// Human-readable text of a socket error.
std::string error_text(int error);
/// The call could not complete at once (would block, interrupted): try again later.
bool is_transient(int error);

/// A non-blocking TCP socket for `ip_version` (4 or 6, as SocketAddress::ip_version()), not
/// inherited by child processes; kNoSocket on failure (see last_error()).
int open_tcp_socket(int ip_version);
void close_socket(int fd);
/// Non-blocking by default; `false` makes calls wait again (for tests and tools that want it).
bool set_nonblocking(int fd, bool enabled = true);
bool set_tcp_nodelay(int fd, bool enabled);
/// On a listener: connections that have sent nothing stay in the kernel, not accept()ed, for up
/// to `seconds` (0: off). Linux's TCP_DEFER_ACCEPT; false where the platform has no such thing.
bool set_defer_accept(int listener, int seconds);

/// Starts connecting; true when the connection completed or is in progress.
bool start_connect(int fd, const SocketAddress& address, int* error);
/// The outcome of a connection in progress: 0 when connected, else the error.
int connect_result(int fd);

/// A listening socket bound to `address` (with IPv4 too when `dual_stack`), address reuse as
/// each platform does it safely; kNoSocket with `*error` on failure. `share_port`: several
/// listeners of this process share the port and the kernel spreads connections over them
/// (SO_REUSEPORT; only where it balances, i.e. Linux: elsewhere `*error` is
/// kPortSharingUnsupported).
int open_listener(const SocketAddress& address, bool dual_stack, bool share_port, int* error);
/// The `*error` of open_listener() when this platform cannot share a port between listeners.
constexpr int kPortSharingUnsupported = -2;
/// Accepts one waiting connection as a non-blocking socket; kNoSocket when none (`*error` 0)
/// or on failure.
int accept_connection(int listener, SocketAddress* remote, int* error);
/// Error codes worth telling apart.
bool is_address_in_use(int error);
bool is_family_unsupported(int error);  ///< e.g. IPv6 on a machine without it
/// The port a socket is bound to.
int local_port(int fd);

/// Sends the pieces in order, as one call where the platform allows; never raises SIGPIPE.
/// Returns the bytes taken (possibly 0), or -1 with `*error` set (0: would block).
long send_some(int fd, const ConstBuffer* parts, int count, int* error);
/// Receives up to `size` bytes: > 0 bytes read, 0 the end of stream, -1 with `*error` set
/// (0: nothing to read yet).
long receive_some(int fd, void* buffer, size_t size, int* error);
/// Ends the write side (a FIN after everything sent).
void shutdown_write(int fd);
/// Closes with a reset (RST) instead of an orderly end of stream.
void abort_socket(int fd);

/// Waits up to `timeout_ms` (0: not at all) for `interest` (kReadable | kWritable) on one
/// socket; returns what it is ready for, hang-ups and errors included (0 on timeout).
short wait_for(int fd, short interest, int timeout_ms);

/// One socket of a wait_many() call.
struct WaitEntry {
  int fd;
  short interest;  ///< kReadable | kWritable (hang-ups and errors are always reported)
  short ready;     ///< set by wait_many()
};
/// Waits for any of `count` sockets (poll(2), WSAPoll()); returns how many are ready, 0 on
/// timeout, -1 on failure.
int wait_many(WaitEntry* entries, size_t count, int timeout_ms);

/// The operating system's form of an address, for the calls that take one.
struct NativeAddress {
  sockaddr_storage storage;
  socklen_t length;
};
NativeAddress to_native(const SocketAddress& address);
SocketAddress from_native(const sockaddr_storage& address);

}  // namespace wsp::native
