// How much heap the test process uses, for tests that bound a peer's memory: exact under
// AddressSanitizer (its allocator's count, with a malloc hook that records the peak), from
// glibc's mallinfo2() otherwise (the peak is then sampled only when asked). Linux only.
#pragma once

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
extern "C" size_t __sanitizer_get_current_allocated_bytes();
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*)(const volatile void*, size_t),
                                                         void (*)(const volatile void*));
#endif

namespace wsp::test {

class HeapUsage {
 public:
  static size_t current() {
#if defined(__SANITIZE_ADDRESS__)
    return __sanitizer_get_current_allocated_bytes();
#else
    const struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
#endif
  }

  /// Starts recording the peak from now on.
  static void reset_peak() {
#if defined(__SANITIZE_ADDRESS__)
    static const bool installed = [] {
      __sanitizer_install_malloc_and_free_hooks(&on_malloc, &on_free);
      return true;
    }();
    (void)installed;
#endif
    peak().store(current());
  }
  /// The most allocated at once since reset_peak().
  static size_t peak_since_reset() {
    size_t now = current();
    size_t seen = peak().load();
    return std::max(seen, now);
  }

 private:
  static std::atomic<size_t>& peak() {
    static std::atomic<size_t> value{0};
    return value;
  }
#if defined(__SANITIZE_ADDRESS__)
  static void on_malloc(const volatile void*, size_t) {
    const size_t now = __sanitizer_get_current_allocated_bytes();
    size_t seen = peak().load(std::memory_order_relaxed);
    while (now > seen && !peak().compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
    }
  }
  static void on_free(const volatile void*) {}
#endif
};

}  // namespace wsp::test
