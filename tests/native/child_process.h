// Child processes for tests that run real peers and servers (Python, Node, wsp): POSIX only.
#pragma once

#include <string>
#include <vector>

namespace wsp::test {

// A child process whose stdout lines can be read; killed on destruction.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv,
               const std::vector<std::string>& extra_env = {});
  ~ChildProcess();
  bool started() const { return pid_ > 0; }
  // Next stdout line, or "" on EOF/timeout.
  std::string read_line(double seconds = 10.0);
  // Waits for exit; returns the exit status or -1 on timeout/signal.
  int wait(double seconds = 10.0);
  void kill_now(int signal_number = 9);
  int pid() const { return pid_; }
  const std::string& stdout_so_far() const { return output_; }

 private:
  int pid_ = -1;
  int out_fd_ = -1;
  std::string buffer_;
  std::string output_;
};

// Path of a data dependency inside the test's runfiles ("_main/tools/wsp" style).
std::string runfile(const std::string& workspace_relative);

}  // namespace wsp::test
