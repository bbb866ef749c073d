// Per-CPU time from /proc/stat, so a benchmark can say which side of a loopback measurement ran
// out of CPU: the load generator and the server are pinned to one CPU each, and whichever is
// near 100% busy is the one that limits the figure.
#pragma once

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace wsp::bench {

// Clock ticks one CPU has spent in each kind of work since boot.
struct CpuTicks {
  uint64_t user = 0;    // user + nice: the programs' own code
  uint64_t kernel = 0;  // system + irq + softirq: syscalls and, on loopback, the TCP stack
  uint64_t idle = 0;    // idle + iowait
  uint64_t steal = 0;   // time the hypervisor ran someone else
};

// Shares of one interval; they add up to 1 when any tick was counted.
struct CpuShare {
  double user = 0;
  double kernel = 0;
  double idle = 0;
  double steal = 0;
  double busy() const { return user + kernel; }
};

// Parses the "cpuN ..." lines of /proc/stat (not the "cpu" total), in order of N.
inline std::vector<CpuTicks> parse_cpu_ticks(const std::string& proc_stat) {
  std::vector<CpuTicks> cpus;
  std::istringstream lines(proc_stat);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() < 4 || line.compare(0, 3, "cpu") != 0 || line[3] < '0' || line[3] > '9') {
      continue;
    }
    std::istringstream fields(line);
    std::string name;
    uint64_t value[8] = {};  // user nice system idle iowait irq softirq steal
    fields >> name;
    for (uint64_t& v : value) fields >> v;  // older kernels stop early; the rest stay 0
    const size_t index = std::stoul(name.substr(3));
    if (cpus.size() <= index) cpus.resize(index + 1);
    cpus[index] = {value[0] + value[1], value[2] + value[5] + value[6], value[3] + value[4],
                   value[7]};
  }
  return cpus;
}

inline std::vector<CpuTicks> read_cpu_ticks() {
  std::ifstream file("/proc/stat");
  std::ostringstream text;
  text << file.rdbuf();
  return parse_cpu_ticks(text.str());
}

// What each CPU did between two readings. Shares are of the ticks counted, not of wall time:
// under load a virtual machine's tick accounting can fall short of the wall clock.
inline std::vector<CpuShare> cpu_shares(const std::vector<CpuTicks>& before,
                                        const std::vector<CpuTicks>& after) {
  // iowait is known to step backwards now and then; a negative difference counts as none.
  auto since = [](uint64_t then, uint64_t now) { return now > then ? double(now - then) : 0.0; };
  std::vector<CpuShare> shares;
  for (size_t i = 0; i < before.size() && i < after.size(); ++i) {
    const double user = since(before[i].user, after[i].user);
    const double kernel = since(before[i].kernel, after[i].kernel);
    const double idle = since(before[i].idle, after[i].idle);
    const double steal = since(before[i].steal, after[i].steal);
    const double total = user + kernel + idle + steal;
    shares.push_back(total > 0 ? CpuShare{user / total, kernel / total, idle / total, steal / total}
                               : CpuShare{});
  }
  return shares;
}

}  // namespace wsp::bench
