// What the wsp tool asks of the operating system besides sockets, for POSIX and Windows alike.
#pragma once

namespace wsp::tool {

// Writing to a connection the peer reset must be an error, not a SIGPIPE that kills us.
void ignore_broken_pipes();
// Messages are printed and read byte for byte: no CR added before LF on Windows.
void use_binary_stdio();
// Many clients need many descriptors: raise the soft limit to the hard one where there is one.
void raise_open_file_limit();

}  // namespace wsp::tool
