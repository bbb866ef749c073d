// Turning --deflate and its parameter flags into DeflateOptions (the same flags in every
// command; a client offers by default, a server accepts only with --deflate).
#pragma once

#include <string>
#include <vector>

#include "tools/args.h"
#include "wspeer/core/deflate_options.h"

namespace wsp::tool {

extern const std::vector<std::string> kDeflateValueFlags;
extern const std::vector<std::string> kDeflateSwitchFlags;
/// The help lines of these flags, for each command's usage text.
extern const char* const kDeflateHelp;

/// Options from the flags; false with `*error` for a bad value, or parameters given to a
/// server without --deflate.
bool deflate_from_flags(const Args& args, bool is_server, DeflateOptions* options,
                        std::string* error);

/// Appends `extra` to `base` (flag lists of a command plus the deflate ones).
std::vector<std::string> with_flags(std::vector<std::string> base,
                                    const std::vector<std::string>& extra);

}  // namespace wsp::tool
