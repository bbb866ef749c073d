// A tiny coroutine test runner for code that must return to the event loop between steps (the
// browser delivers WebSocket events only then). No threads, no Asyncify: each test is a C++20
// coroutine that awaits conditions; the runner resumes it from a timer. The same tests also
// build natively, where the runner simply sleeps between ticks.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

// Emscripten 3.1.6 ships libc++ 13, which has coroutines only under std::experimental.
#if __has_include(<coroutine>)
#include <coroutine>
namespace wsp::async_test::coro {
using std::coroutine_handle;
using std::suspend_always;
}  // namespace wsp::async_test::coro
#else
#include <experimental/coroutine>
#pragma clang diagnostic ignored "-Wdeprecated-experimental-coroutine"
namespace wsp::async_test::coro {
using std::experimental::coroutine_handle;
using std::experimental::suspend_always;
}  // namespace wsp::async_test::coro
#endif

namespace wsp::async_test {

class Runner;

struct Task {
  struct promise_type {
    Task get_return_object() {
      return Task{coro::coroutine_handle<promise_type>::from_promise(*this)};
    }
    coro::suspend_always initial_suspend() noexcept { return {}; }
    coro::suspend_always final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() { failed_by_exception = true; }
    bool failed_by_exception = false;
  };
  coro::coroutine_handle<promise_type> handle;
};

// co_await until(condition, "what", seconds): resumes once condition() is true; on timeout the
// test fails with "timed out waiting for what".
class Context;
struct Until {
  std::function<bool()> condition;
  std::string what;
  double seconds;
  Context* context = nullptr;
  bool await_ready();
  void await_suspend(coro::coroutine_handle<>) {}
  void await_resume() {}
};

class Context {
 public:
  Until until(std::function<bool()> condition, std::string what, double seconds = 10.0) {
    pending_ = Until{condition, what, seconds, this};
    waiting_ = true;
    deadline_ = std::chrono::steady_clock::now() +
                std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                    std::chrono::duration<double>(seconds));
    return pending_;
  }
  // Waits `seconds` (lets events arrive).
  Until sleep(double seconds) {
    const auto end = std::chrono::steady_clock::now() +
                     std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                         std::chrono::duration<double>(seconds));
    return until([end] { return std::chrono::steady_clock::now() >= end; }, "sleep", seconds + 5);
  }
  void fail(const std::string& message) {
    if (failure_.empty()) failure_ = message;
  }
  bool failed() const { return !failure_.empty(); }
  const std::string& failure() const { return failure_; }

 private:
  friend class Runner;
  friend struct Until;
  Until pending_;
  bool waiting_ = false;
  std::chrono::steady_clock::time_point deadline_;
  std::string failure_;
};

#define ASYNC_CHECK(ctx, condition)                                     \
  do {                                                                  \
    if (!(condition))                                                   \
      (ctx).fail(std::string(__FILE__ ":") + std::to_string(__LINE__) + \
                 ": check failed: " #condition);                        \
  } while (0)

#define ASYNC_CHECK_EQ(ctx, a, b)                                                              \
  do {                                                                                         \
    const auto& va_ = (a);                                                                     \
    const auto& vb_ = (b);                                                                     \
    if (!(va_ == vb_))                                                                         \
      (ctx).fail(std::string(__FILE__ ":") + std::to_string(__LINE__) +                        \
                 ": expected " #a " == " #b ", got " + ::wsp::async_test::show(va_) + " vs " + \
                 ::wsp::async_test::show(vb_));                                                \
  } while (0)

#define ASYNC_REQUIRE(ctx, condition) \
  do {                                \
    ASYNC_CHECK(ctx, condition);      \
    if ((ctx).failed()) co_return;    \
  } while (0)

template <typename T>
std::string show(const T& value) {
  if constexpr (std::is_convertible_v<T, std::string>) {
    return "\"" + std::string(value) + "\"";
  } else {
    return std::to_string(value);
  }
}

inline bool Until::await_ready() {
  if (!condition()) return false;
  context->waiting_ = false;  // already true: no need to go back to the event loop
  return true;
}

class Runner {
 public:
  using TestFunction = std::function<Task(Context&)>;
  void add(std::string name, TestFunction function) {
    tests_.push_back({std::move(name), std::move(function), false, {}});
  }
  // Advances the current test; returns false when every test has finished.
  bool tick();
  int passed() const { return passed_; }
  int failed() const { return failed_; }
  // "WSPEER_RESULTS {json}" for the harness.
  std::string results_line() const;

 private:
  struct Entry {
    std::string name;
    TestFunction function;
    bool ok = false;
    std::string message;
  };
  void finish_current();

  std::vector<Entry> tests_;
  size_t current_ = 0;
  bool started_ = false;
  Context context_;
  Task task_{};
  int passed_ = 0;
  int failed_ = 0;
};

}  // namespace wsp::async_test
