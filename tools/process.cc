#include "tools/process.h"

#ifdef _WIN32
#include <fcntl.h>
#include <io.h>

#include <cstdio>
#else
#include <sys/resource.h>

#include <csignal>
#endif

namespace wsp::tool {

#ifdef _WIN32

void ignore_broken_pipes() {}  // Windows reports a reset connection as an error already
void use_binary_stdio() {
  _setmode(_fileno(stdout), _O_BINARY);
  _setmode(_fileno(stdin), _O_BINARY);
}
void raise_open_file_limit() {}  // sockets are not limited by a per-process descriptor count

#else

void ignore_broken_pipes() { std::signal(SIGPIPE, SIG_IGN); }
void use_binary_stdio() {}  // POSIX streams are binary already

void raise_open_file_limit() {
  rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
}

#endif

}  // namespace wsp::tool
