// Running a per-frame function the way each platform needs: the one thing a program written for
// poll() must do differently in a browser, where a page whose code never returns control never
// receives its network events.
#pragma once

#include <functional>

namespace wsp {

/// Calls `frame` about `frames_per_second` times a second until it returns false.
/// - Native builds: a loop in the calling thread, sleeping between frames; returns once `frame`
///   returned false.
/// - WebAssembly builds: the browser calls `frame` between its own events
///   (emscripten_set_main_loop). The call does not return, as if it were an endless loop: code
///   after it never runs, so do what follows the loop at the end of `frame`, before it returns
///   false. Objects the frame uses stay valid (the caller's stack is not unwound).
void run_main_loop(std::function<bool()> frame, int frames_per_second = 60);

}  // namespace wsp
