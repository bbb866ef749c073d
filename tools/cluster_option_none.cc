#include "tools/cluster_option.h"

namespace wsp::tool {

// Builds without hiredis (Windows): the option exists, so that scripts get a clear answer.
std::unique_ptr<ClusterHandle> join_cluster(const ClusterOptions&, MultiplayerSession&, PeerPoller*,
                                            std::string* error) {
  *error = "--redis is not available in this build (the Redis broker is built on Linux)";
  return nullptr;
}

}  // namespace wsp::tool
