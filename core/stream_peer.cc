#include "wspeer/core/stream_peer.h"

#include <algorithm>
#include <climits>

namespace wsp {

Error StreamPeer::put_partial_data_v(const ConstBuffer* parts, int count, size_t* sent) {
  *sent = 0;
  for (int i = 0; i < count; ++i) {
    size_t offset = 0;
    while (offset < parts[i].size) {
      int taken = 0;
      const int size = static_cast<int>(std::min<size_t>(parts[i].size - offset, INT_MAX));
      if (Error error = put_partial_data(parts[i].data + offset, size, &taken); error != OK) {
        return error;
      }
      if (taken == 0) return OK;
      offset += static_cast<size_t>(taken);
      *sent += static_cast<size_t>(taken);
    }
  }
  return OK;
}

}  // namespace wsp
