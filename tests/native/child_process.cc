// Child processes for tests that run real peers and servers (Python, Node, wsp): POSIX only.
#include "tests/native/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace wsp::test {

using Clock = std::chrono::steady_clock;

namespace {
Clock::time_point deadline_after(double seconds) {
  return Clock::now() +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}
}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const std::vector<std::string>& extra_env) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return;
  pid_ = fork();
  if (pid_ == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    for (const std::string& entry : extra_env) putenv(strdup(entry.c_str()));
    std::vector<char*> args;
    for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  ::close(pipe_fds[1]);
  out_fd_ = pipe_fds[0];
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) ::close(out_fd_);
}

std::string ChildProcess::read_line(double seconds) {
  const auto deadline = deadline_after(seconds);
  while (Clock::now() < deadline) {
    const size_t newline = buffer_.find('\n');
    if (newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      return line;
    }
    pollfd entry{out_fd_, POLLIN, 0};
    if (::poll(&entry, 1, 20) <= 0) continue;
    char chunk[4096];
    const ssize_t got = ::read(out_fd_, chunk, sizeof(chunk));
    if (got <= 0) break;
    buffer_.append(chunk, static_cast<size_t>(got));
    output_.append(chunk, static_cast<size_t>(got));
  }
  return "";
}

int ChildProcess::wait(double seconds) {
  const auto deadline = deadline_after(seconds);
  while (Clock::now() < deadline) {
    int status = 0;
    const pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return -1;
}

void ChildProcess::kill_now(int signal_number) {
  if (pid_ > 0) ::kill(pid_, signal_number);
}

std::string runfile(const std::string& workspace_relative) {
  const char* dir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (!dir) return workspace_relative;
  return std::string(dir) + "/" + (workspace ? workspace : "wspeer") + "/" + workspace_relative;
}

}  // namespace wsp::test
