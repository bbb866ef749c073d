#include "wspeer/platform/native/stream_peer_tcp.h"

#include <algorithm>
#include <cstring>

#include "wspeer/core/proxy_protocol.h"
#include "wspeer/platform/native/net.h"

namespace wsp {

using native::error_text;

StreamPeerTCP::~StreamPeerTCP() { StreamPeerTCP::disconnect(); }

std::shared_ptr<StreamPeerTCP> StreamPeerTCP::from_accepted(int fd, const SocketAddress& remote) {
  auto stream = std::make_shared<StreamPeerTCP>();
  native::set_nonblocking(fd);
  stream->fd_ = fd;
  stream->remote_ = remote;
  stream->status_ = STATUS_CONNECTED;
  return stream;
}

Error StreamPeerTCP::connect_to_host(const std::string& ip, int port) {
  const std::optional<SocketAddress> address = SocketAddress::from_ip(ip, port);
  if (port < 1 || !address) {
    set_last_error("connect_to_host needs an IP address and a port from 1 to 65535.");
    return ERR_INVALID_PARAMETER;
  }
  return connect_to_address(*address);
}

Error StreamPeerTCP::connect_to_address(const SocketAddress& address) {
  disconnect();
  if (rare_) rare_->last_error.clear();
  remote_ = address;
  fd_ = native::open_tcp_socket(address.ip_version());
  if (fd_ == native::kNoSocket) {
    fail("Cannot create a socket: " + error_text(native::last_error()) + ".");
    return ERR_CANT_CREATE;
  }
  int error = 0;
  if (!native::start_connect(fd_, address, &error)) {
    fail("Cannot connect to " + address.text() + ": " + error_text(error) + ".");
    return ERR_CANT_CONNECT;
  }
  status_ = error == 0 ? STATUS_CONNECTED : STATUS_CONNECTING;
  return OK;
}

void StreamPeerTCP::poll() {
  if (status_ != STATUS_CONNECTING) return;
  if (native::wait_for(fd_, native::kWritable, 0) == 0) return;
  const int error = native::connect_result(fd_);
  if (error == 0) {
    status_ = STATUS_CONNECTED;
  } else {
    fail("Cannot connect to " + remote_.text() + ": " + error_text(error) + ".");
  }
}

Error StreamPeerTCP::put_partial_data(const uint8_t* data, int size, int* sent) {
  const ConstBuffer part{data, size > 0 ? static_cast<size_t>(size) : 0};
  size_t taken = 0;
  const Error error = put_partial_data_v(&part, 1, &taken);
  *sent = static_cast<int>(taken);
  return error;
}

Error StreamPeerTCP::put_partial_data_v(const ConstBuffer* parts, int count, size_t* sent) {
  *sent = 0;
  if (status_ != STATUS_CONNECTED) return status_ == STATUS_CONNECTING ? OK : ERR_CONNECTION_ERROR;
  int error = 0;
  const long n = native::send_some(fd_, parts, count, &error);
  if (n >= 0) {
    *sent = static_cast<size_t>(n);
    return OK;
  }
  if (error == 0) return OK;  // the socket is full: back-pressure
  fail("Connection to " + remote_.text() + " failed while sending: " + error_text(error) + ".");
  return ERR_CONNECTION_ERROR;
}

StreamPeerTCP::Rare& StreamPeerTCP::rare() {
  if (!rare_) rare_ = std::make_unique<Rare>();
  return *rare_;
}

void StreamPeerTCP::expect_proxy_header() { rare().proxy_pending = true; }

bool StreamPeerTCP::has_pending_input() const { return rare_ && !rare_->proxy_bytes.empty(); }

Error StreamPeerTCP::read_proxy_header(uint8_t* buffer, int size, int* received) {
  std::vector<uint8_t>& bytes = rare_->proxy_bytes;
  if (rare_->proxy_pending) {
    // Never more than the longest header: the limit holds before anything is kept.
    uint8_t chunk[proxy_protocol::kMaxHeaderSize];
    int error = 0;
    const long n = native::receive_some(fd_, chunk, sizeof chunk - bytes.size(), &error);
    if (n == 0) {
      set_last_error("Connection closed by " + remote_.text() + " before its PROXY header.");
      return ERR_FILE_EOF;
    }
    if (n < 0) {
      if (error == 0) return OK;
      fail("Connection to " + remote_.text() + " failed while receiving: " + error_text(error) +
           ".");
      return ERR_CONNECTION_ERROR;
    }
    bytes.insert(bytes.end(), chunk, chunk + n);
    proxy_protocol::Header header;
    std::string why;
    switch (proxy_protocol::parse(bytes, &header, &why)) {
      case proxy_protocol::Result::kNeedMore:
        return OK;
      case proxy_protocol::Result::kInvalid:
        fail("Refused " + remote_.text() + ": " + why);
        return ERR_CONNECTION_ERROR;
      case proxy_protocol::Result::kComplete:
        break;
    }
    if (header.has_address) {
      if (auto client = SocketAddress::from_ip(header.source_host, header.source_port)) {
        remote_ = *client;
      }
    }
    bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(header.size));
    rare_->proxy_pending = false;
  }
  // What arrived after the header belongs to whoever reads the stream.
  const size_t given = std::min(bytes.size(), static_cast<size_t>(size));
  if (given > 0) std::memcpy(buffer, bytes.data(), given);
  bytes.erase(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(given));
  if (bytes.empty()) bytes.shrink_to_fit();
  *received = static_cast<int>(given);
  return OK;
}

Error StreamPeerTCP::get_partial_data(uint8_t* buffer, int size, int* received) {
  *received = 0;
  if (status_ != STATUS_CONNECTED) return status_ == STATUS_CONNECTING ? OK : ERR_CONNECTION_ERROR;
  if (size <= 0) return OK;
  if (rare_ && (rare_->proxy_pending || !rare_->proxy_bytes.empty())) {
    return read_proxy_header(buffer, size, received);
  }
  int error = 0;
  const long n = native::receive_some(fd_, buffer, static_cast<size_t>(size), &error);
  if (n > 0) {
    *received = static_cast<int>(n);
    return OK;
  }
  if (n == 0) {
    set_last_error("Connection closed by " + remote_.text() + ".");
    return ERR_FILE_EOF;
  }
  if (error == 0) return OK;  // nothing to read yet
  fail("Connection to " + remote_.text() + " failed while receiving: " + error_text(error) + ".");
  return ERR_CONNECTION_ERROR;
}

void StreamPeerTCP::disconnect() {
  if (fd_ >= 0) {
    // Closing a socket with unread input makes the kernel send RST, which can destroy data
    // (our close frame) still on its way to the peer. Discard what already arrived first, so
    // the peer gets an orderly FIN after everything we sent.
    if (status_ == STATUS_CONNECTED) {
      uint8_t sink[4096];
      int error = 0;
      for (int i = 0; i < 256 && native::receive_some(fd_, sink, sizeof(sink), &error) > 0; ++i) {
      }
    }
    native::close_socket(fd_);
  }
  fd_ = -1;
  if (status_ != STATUS_ERROR) status_ = STATUS_NONE;
}

void StreamPeerTCP::shutdown_write() {
  if (fd_ >= 0 && status_ == STATUS_CONNECTED) native::shutdown_write(fd_);
}

StreamPeer::Hangup StreamPeerTCP::check_hangup() const {
  if (status_ == STATUS_ERROR) return HANGUP_BROKEN;
  if (fd_ < 0 || status_ != STATUS_CONNECTED) return HANGUP_NONE;
  const short ready = native::wait_for(fd_, native::kPeerClosed, 0);
  if (ready & (native::kHangup | native::kError)) return HANGUP_BROKEN;
  return (ready & native::kPeerClosed) ? HANGUP_REMOTE_FINISHED : HANGUP_NONE;
}

std::string StreamPeerTCP::get_connected_host() const {
  return fd_ >= 0 ? remote_.host() : std::string();
}

int StreamPeerTCP::get_connected_port() const { return fd_ >= 0 ? remote_.port() : 0; }

void StreamPeerTCP::set_no_delay(bool enabled) {
  if (fd_ >= 0) native::set_tcp_nodelay(fd_, enabled);
}

void StreamPeerTCP::fail(std::string message) {
  set_last_error(std::move(message));
  native::close_socket(fd_);
  fd_ = -1;
  status_ = STATUS_ERROR;
}

}  // namespace wsp
