#include "wspeer/core/main_loop.h"

#include <emscripten/emscripten.h>

namespace wsp {
namespace {

std::function<bool()>& current_frame() {
  static std::function<bool()> frame;
  return frame;
}

void run_frame() {
  if (!current_frame()()) emscripten_cancel_main_loop();
}

}  // namespace

void run_main_loop(std::function<bool()> frame, int frames_per_second) {
  current_frame() = std::move(frame);
  // simulate_infinite_loop = 1: the caller's code after this call never runs, and its stack
  // stays as it is, so objects the frame refers to remain valid.
  emscripten_set_main_loop(run_frame, frames_per_second > 0 ? frames_per_second : 60, 1);
}

}  // namespace wsp
