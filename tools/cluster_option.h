// wsp relay-server's --redis: makes the server one node of a cluster whose rooms span
// processes (docs/scaling.md). Linux builds have it (hiredis); others say it is not available.
#pragma once

#include <memory>
#include <string>

#include "wspeer/multiplayer/multiplayer_session.h"
#include "wspeer/platform/native/peer_poller.h"

namespace wsp::tool {

struct ClusterOptions {
  std::string redis_url;  ///< redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]
  std::string node_id;
  double node_timeout = 5;  ///< seconds
};

/// The node while the server runs; destroyed before the session and the poller.
class ClusterHandle {
 public:
  virtual ~ClusterHandle() = default;
  /// One line for the log: where it is and what it counted.
  virtual std::string describe() const = 0;
};

/// Checks Redis and joins the cluster (blocking for up to 2 seconds); nullptr with a sentence in
/// `error` when Redis cannot be reached, refuses us, or this build has no Redis support. From
/// then on the cluster's log lines (reconnections, nodes lost) go to stderr.
std::unique_ptr<ClusterHandle> join_cluster(const ClusterOptions& options,
                                            MultiplayerSession& session, PeerPoller* poller,
                                            std::string* error);

}  // namespace wsp::tool
