#include "wspeer/core/random.h"

#include <cstdlib>
#include <cstring>
#include <random>

namespace wsp {
namespace {

constexpr size_t kPoolSize = 256;

struct Pool {
  uint8_t bytes[kPoolSize];
  size_t available = 0;
};

// std::random_device is the operating system's CSPRNG on every target wspeer builds for (the
// kernel's getrandom or the CPU's generator with glibc, rand_s with mingw-w64, getentropy and
// so crypto.getRandomValues with Emscripten), which keeps the core free of platform calls.
void refill(Pool& pool) {
  thread_local std::random_device source;
  for (size_t i = 0; i < kPoolSize; i += sizeof(unsigned int)) {
    const unsigned int value = source();
    std::memcpy(pool.bytes + i, &value, sizeof(value));
  }
  pool.available = kPoolSize;
}

}  // namespace

void fill_random(uint8_t* out, size_t size) {
  thread_local Pool pool;
  while (size > 0) {
    if (pool.available == 0) refill(pool);
    const size_t take = size < pool.available ? size : pool.available;
    const size_t start = kPoolSize - pool.available;
    std::memcpy(out, pool.bytes + start, take);
    std::memset(pool.bytes + start, 0, take);  // never hand out the same bytes twice
    pool.available -= take;
    out += take;
    size -= take;
  }
}

}  // namespace wsp
