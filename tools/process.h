// What the wsp tool asks of the operating system besides sockets, for POSIX and Windows alike.
#pragma once

namespace wsp::tool {

// Writing to a connection the peer reset must be an error, not a SIGPIPE that kills us.
void ignore_broken_pipes();
// Many clients need many descriptors: raise the soft limit to the hard one where there is one.
void raise_open_file_limit();

}  // namespace wsp::tool
