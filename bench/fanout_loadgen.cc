// The fan-out benchmark's load generator: MEMBERS WebSocket connections join a room and read,
// one more connection sends broadcasts into it (each a relay to everyone, as Godot 4's
// SceneMultiplayer sends them), and it measures deliveries per second: packets times the
// members that received them. The sender keeps at most WINDOW packets ahead of the slowest
// member, so the figure is what the server sustains, not how much it can queue. With
// --server-pid it also reports the server's CPU time per delivery (from /proc/PID/stat), and the
// latency from send to arrival (p50, p99).
//
// Across nodes (--ports P1,P2,...: servers sharing the room through Redis), members are spread
// over the servers in turn and the sender joins the first; latencies are given apart for members
// on the sender's server and on the others (the broker's hop), and --redis-pid adds Redis's CPU
// time per packet. --server-pid may then list every server (comma-separated).
//   fanout_loadgen --port P | --ports P1,P2,... [--members 1000] [--payload 16]
//                  [--path /rooms/bench] [--window 8] [--duration 3] [--warmup 0.5]
//                  [--server-pid PID[,PID...]] [--redis-pid PID] [--json]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::vector<int> ports;
  int members = 1000;
  size_t payload = 16;
  std::string path = "/rooms/bench";
  int window = 8;
  double duration = 3, warmup = 0.5;
  std::vector<int> server_pids;
  int redis_pid = 0;
  bool json = false;
};

std::vector<int> number_list(const std::string& text) {
  std::vector<int> numbers;
  std::istringstream parts(text);
  for (std::string part; std::getline(parts, part, ',');)
    numbers.push_back(std::atoi(part.c_str()));
  return numbers;
}

struct Member {
  int fd = -1;
  bool open = false;  // the 101 arrived
  std::string in;
  uint64_t received = 0;  // broadcasts received
  bool local = true;      // on the sender's server
};

int connect_to(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

std::string upgrade_request(const std::string& path) {
  return "GET " + path +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

// A masked binary frame (the mask is all zeros: the bytes stay as they are).
std::string client_frame(const std::string& payload) {
  std::string frame(1, '\x82');
  if (payload.size() < 126) {
    frame += static_cast<char>(0x80 | payload.size());
  } else {
    frame += static_cast<char>(0x80 | 126);
    frame += static_cast<char>(payload.size() >> 8);
    frame += static_cast<char>(payload.size() & 0xff);
  }
  frame.append(4, '\0');
  return frame + payload;
}

// Counts the complete server frames at the front of `in` whose payload is `size` bytes, and
// removes every complete frame.
uint64_t take_frames(std::string* in, size_t size) {
  uint64_t counted = 0;
  size_t at = 0;
  for (;;) {
    if (in->size() - at < 2) break;
    const auto* p = reinterpret_cast<const uint8_t*>(in->data() + at);
    uint64_t length = p[1] & 0x7f;
    size_t header = 2;
    if (length == 126) {
      if (in->size() - at < 4) break;
      length = (uint64_t{p[2]} << 8) | p[3];
      header = 4;
    } else if (length == 127) {
      if (in->size() - at < 10) break;
      length = 0;
      for (int i = 0; i < 8; ++i) length = (length << 8) | p[2 + i];
      header = 10;
    }
    if (in->size() - at < header + length) break;
    if ((p[0] & 0x0f) == 2 && length == size) ++counted;
    at += header + length;
  }
  in->erase(0, at);
  return counted;
}

// The process's CPU time so far: user and kernel (system) seconds.
struct ProcessCpu {
  double user = 0, kernel = 0;
};

ProcessCpu process_cpu(int pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const size_t end = text.rfind(')');  // the command may hold spaces
  if (end == std::string::npos) return {};
  std::istringstream fields(text.substr(end + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::atof(field.c_str());
    if (i == 15) stime = std::atof(field.c_str());
  }
  const auto ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return {utime / ticks, stime / ticks};
}

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--port" || arg == "--ports")
      options.ports = number_list(next());
    else if (arg == "--members")
      options.members = std::atoi(next().c_str());
    else if (arg == "--payload")
      options.payload = std::strtoul(next().c_str(), nullptr, 10);
    else if (arg == "--path")
      options.path = next();
    else if (arg == "--window")
      options.window = std::atoi(next().c_str());
    else if (arg == "--duration")
      options.duration = std::atof(next().c_str());
    else if (arg == "--warmup")
      options.warmup = std::atof(next().c_str());
    else if (arg == "--server-pid")
      options.server_pids = number_list(next());
    else if (arg == "--redis-pid")
      options.redis_pid = std::atoi(next().c_str());
    else if (arg == "--json")
      options.json = true;
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  if (options.ports.empty() || options.ports[0] <= 0 || options.members < 1 ||
      options.payload < 1 || options.payload > 60000 || options.window < 1) {
    std::fprintf(stderr, "usage: fanout_loadgen --port P [--members N] [--payload BYTES] ...\n");
    return 2;
  }
  rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  // Members join first, then the sender; every connection's handshake completes before timing.
  std::vector<Member> members(static_cast<size_t>(options.members) + 1);
  const std::string request = upgrade_request(options.path);
  const int epoll = epoll_create1(0);
  for (size_t i = 0; i < members.size(); ++i) {
    // Members in turn over the servers; the sender (the last) on the first.
    const size_t server = i + 1 == members.size() ? 0 : i % options.ports.size();
    members[i].local = server == 0;
    members[i].fd = connect_to(options.ports[server]);
    if (members[i].fd < 0 || send(members[i].fd, request.data(), request.size(), MSG_NOSIGNAL) !=
                                 static_cast<ssize_t>(request.size())) {
      std::perror("fanout_loadgen: connect");
      return 1;
    }
  }
  for (Member& member : members) {
    while (member.in.find("\r\n\r\n") == std::string::npos) {
      char buffer[4096];
      const ssize_t got = recv(member.fd, buffer, sizeof buffer, 0);
      if (got <= 0) {
        std::fprintf(stderr, "fanout_loadgen: a handshake failed\n");
        return 1;
      }
      member.in.append(buffer, static_cast<size_t>(got));
    }
    if (member.in.compare(0, 12, "HTTP/1.1 101") != 0) {
      std::fprintf(stderr, "fanout_loadgen: refused: %.60s\n", member.in.c_str());
      return 1;
    }
    member.in.erase(0, member.in.find("\r\n\r\n") + 4);
    member.open = true;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = &member;
    epoll_ctl(epoll, EPOLL_CTL_ADD, member.fd, &event);
  }
  // Each join is announced to every member already there (ADD_PEER): a thousand joins are half
  // a million notices. Timing starts once they stopped arriving (across nodes, the notices of
  // members elsewhere come through Redis, later).
  {
    std::vector<epoll_event> ready(1024);
    auto quiet_since = Clock::now();
    const auto give_up = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() - quiet_since < std::chrono::milliseconds(300) && Clock::now() < give_up) {
      const int count = epoll_wait(epoll, ready.data(), static_cast<int>(ready.size()), 50);
      for (int i = 0; i < count; ++i) {
        auto* member = static_cast<Member*>(ready[i].data.ptr);
        char buffer[65536];
        if (recv(member->fd, buffer, sizeof buffer, MSG_DONTWAIT) > 0) quiet_since = Clock::now();
      }
    }
    for (Member& member : members) member.in.clear();  // whole notices only: nothing is sent yet
  }
  Member& sender = members.back();
  const size_t listeners = members.size() - 1;

  // SYS RELAY to everyone (target 0) carrying a RAW packet; it arrives as [7][3][source][3][...].
  std::string relay = {'\x07', '\x03', '\0', '\0', '\0', '\0', '\x03'};
  relay.append(options.payload, 'p');
  const std::string frame = client_frame(relay);
  const size_t arriving_size = relay.size();

  uint64_t sent = 0, delivered = 0, delivered_at_start = 0, sent_at_start = 0;
  const auto cpu_of = [](const std::vector<int>& pids) {
    ProcessCpu total;
    for (int pid : pids) {
      const ProcessCpu one = process_cpu(pid);
      total.user += one.user;
      total.kernel += one.kernel;
    }
    return total;
  };
  ProcessCpu cpu_at_start, redis_at_start;
  // When each packet left, for the latency of its arrivals (microseconds, while measuring).
  std::vector<Clock::time_point> sent_at(4096);
  std::vector<float> local_latency, remote_latency;
  local_latency.reserve(1 << 20);
  remote_latency.reserve(1 << 20);
  // deliveries of packet n go to slot n % kRing; packets complete in order per member.
  constexpr size_t kRing = 4096;
  std::vector<uint32_t> arrivals(kRing, 0);
  uint64_t completed = 0;
  const auto begin = Clock::now();
  const auto measure_from = begin + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(options.warmup));
  const auto measure_to = measure_from + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(options.duration));
  bool measuring = false;
  Clock::time_point started{};
  std::vector<epoll_event> events(1024);
  while (true) {
    const auto now = Clock::now();
    if (!measuring && now >= measure_from) {
      measuring = true;
      started = now;
      delivered_at_start = delivered;
      sent_at_start = sent;
      cpu_at_start = cpu_of(options.server_pids);
      if (options.redis_pid) redis_at_start = process_cpu(options.redis_pid);
    }
    if (now >= measure_to) break;
    while (sent < completed + static_cast<uint64_t>(options.window)) {
      sent_at[sent % sent_at.size()] = Clock::now();
      if (send(sender.fd, frame.data(), frame.size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(frame.size())) {
        std::fprintf(stderr, "fanout_loadgen: the sender could not send\n");
        return 1;
      }
      ++sent;
    }
    const int count = epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 100);
    for (int i = 0; i < count; ++i) {
      auto* member = static_cast<Member*>(events[i].data.ptr);
      char buffer[65536];
      const ssize_t got = recv(member->fd, buffer, sizeof buffer, MSG_DONTWAIT);
      if (got == 0) {
        std::fprintf(stderr, "fanout_loadgen: the server closed a member's connection\n");
        return 1;
      }
      if (got < 0) continue;
      member->in.append(buffer, static_cast<size_t>(got));
      if (member == &sender) {  // the sender hears only notices, never its own broadcasts
        take_frames(&member->in, arriving_size);
        continue;
      }
      const uint64_t got_frames = take_frames(&member->in, arriving_size);
      const auto arrived = Clock::now();
      for (uint64_t k = 0; k < got_frames; ++k) {
        const uint64_t packet = member->received++;
        if (measuring && packet >= sent_at_start) {
          const float micros =
              std::chrono::duration<float, std::micro>(arrived - sent_at[packet % sent_at.size()])
                  .count();
          (member->local ? local_latency : remote_latency).push_back(micros);
        }
        if (++arrivals[packet % kRing] == listeners) {
          arrivals[packet % kRing] = 0;
          ++completed;
        }
      }
      delivered += got_frames;
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  const double measured = static_cast<double>(delivered - delivered_at_start);
  const ProcessCpu cpu_at_end = cpu_of(options.server_pids);
  const double kernel = cpu_at_end.kernel - cpu_at_start.kernel;
  const double cpu = cpu_at_end.user - cpu_at_start.user + kernel;
  const double rate = measured / seconds;
  const double cpu_us = measured > 0 && !options.server_pids.empty() ? cpu * 1e6 / measured : 0;
  const double packets = static_cast<double>(sent - sent_at_start);
  double redis_us_per_packet = 0;
  if (options.redis_pid && packets > 0) {
    const ProcessCpu redis_at_end = process_cpu(options.redis_pid);
    redis_us_per_packet =
        (redis_at_end.user + redis_at_end.kernel - redis_at_start.user - redis_at_start.kernel) *
        1e6 / packets;
  }
  const auto percentile = [](std::vector<float>& values, double fraction) -> double {
    if (values.empty()) return -1;
    const size_t at = std::min(values.size() - 1, static_cast<size_t>(fraction * values.size()));
    std::nth_element(values.begin(), values.begin() + static_cast<long>(at), values.end());
    return values[at];
  };
  const double local_p50 = percentile(local_latency, 0.5);
  const double local_p99 = percentile(local_latency, 0.99);
  const double remote_p50 = percentile(remote_latency, 0.5);
  const double remote_p99 = percentile(remote_latency, 0.99);
  if (options.json) {
    std::printf(
        "{\"members\": %zu, \"servers\": %zu, \"payload\": %zu, "
        "\"deliveries_per_second\": %.0f, \"packets_per_second\": %.1f, "
        "\"server_cpu_us_per_delivery\": %.4f, \"server_cpu_share\": %.3f, "
        "\"server_kernel_fraction\": %.3f, \"local_p50_us\": %.0f, \"local_p99_us\": %.0f, "
        "\"remote_p50_us\": %.0f, \"remote_p99_us\": %.0f, \"redis_cpu_us_per_packet\": %.2f}\n",
        listeners, options.ports.size(), options.payload, rate,
        rate / static_cast<double>(listeners), cpu_us, cpu / seconds, cpu > 0 ? kernel / cpu : 0,
        local_p50, local_p99, remote_p50, remote_p99, redis_us_per_packet);
  } else {
    std::printf(
        "%zu members on %zu server(s), %zu B: %.0f deliveries/s (%.1f packets/s), servers %.3f "
        "us CPU per delivery; latency on the sender's server p50 %.0f us p99 %.0f us, elsewhere "
        "p50 %.0f us p99 %.0f us; Redis %.2f us CPU per packet\n",
        listeners, options.ports.size(), options.payload, rate,
        rate / static_cast<double>(listeners), cpu_us, local_p50, local_p99, remote_p50, remote_p99,
        redis_us_per_packet);
  }
  for (Member& member : members) close(member.fd);
  return 0;
}
