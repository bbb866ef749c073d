#include "wspeer/core/main_loop.h"

#include <chrono>
#include <thread>

namespace wsp {

void run_main_loop(std::function<bool()> frame, int frames_per_second) {
  const auto period =
      std::chrono::microseconds(1000000 / (frames_per_second > 0 ? frames_per_second : 60));
  auto next = std::chrono::steady_clock::now();
  while (frame()) {
    next += period;
    const auto now = std::chrono::steady_clock::now();
    if (next < now) next = now;  // a slow frame is not made up for with a burst
    std::this_thread::sleep_until(next);
  }
}

}  // namespace wsp
