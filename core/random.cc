#include "wspeer/core/random.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace wsp {
namespace {

constexpr size_t kPoolSize = 256;  // getentropy's per-call maximum

struct Pool {
  uint8_t bytes[kPoolSize];
  size_t available = 0;
};

void refill(Pool& pool) {
  if (getentropy(pool.bytes, kPoolSize) != 0) {
    // Without a CSPRNG neither handshake keys nor masks would be safe; there is no honest
    // fallback, and every supported platform provides one.
    std::abort();
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
