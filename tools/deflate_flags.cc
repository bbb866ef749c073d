#include "tools/deflate_flags.h"

namespace wsp::tool {

const std::vector<std::string> kDeflateValueFlags = {"--deflate-server-max-window-bits",
                                                     "--deflate-client-max-window-bits",
                                                     "--deflate-threshold", "--deflate-level"};
const std::vector<std::string> kDeflateSwitchFlags = {"--deflate", "--no-deflate",
                                                      "--deflate-server-no-context-takeover",
                                                      "--deflate-client-no-context-takeover"};

const char* const kDeflateHelp =
    "  --deflate           permessage-deflate: a server accepts it (off by default), a client\n"
    "                      offers it (the default; --no-deflate does not)\n"
    "  --deflate-server-no-context-takeover, --deflate-client-no-context-takeover\n"
    "                      that side compresses every message on its own (less memory)\n"
    "  --deflate-server-max-window-bits N, --deflate-client-max-window-bits N\n"
    "                      that side's LZ77 window, 8-15 (default 15: 32 KiB)\n"
    "  --deflate-threshold N   send messages shorter than N bytes uncompressed (default 64)\n"
    "  --deflate-level N   zlib compression level, 1 (fastest, default) to 9 (smallest)\n";

bool deflate_from_flags(const Args& args, bool is_server, DeflateOptions* options,
                        std::string* error) {
  DeflateOptions result;
  if (args.has("--deflate") && args.has("--no-deflate")) {
    *error = "--deflate and --no-deflate contradict each other.";
    return false;
  }
  if (args.has("--deflate")) result.use = DeflateOptions::Use::kOn;
  if (args.has("--no-deflate")) result.use = DeflateOptions::Use::kOff;
  bool parameters = false;
  for (const std::string& flag : kDeflateValueFlags) parameters = parameters || args.has(flag);
  for (const std::string& flag : kDeflateSwitchFlags) {
    parameters = parameters || (flag.rfind("--deflate-", 0) == 0 && args.has(flag));
  }
  if (parameters && (result.use == DeflateOptions::Use::kOff ||
                     (is_server && result.use != DeflateOptions::Use::kOn))) {
    *error = "the --deflate-... parameters need --deflate.";
    return false;
  }
  long long server_bits = 15, client_bits = 15, threshold = 64, level = 1;
  if (!args.integer("--deflate-server-max-window-bits", 8, 15, &server_bits, error) ||
      !args.integer("--deflate-client-max-window-bits", 8, 15, &client_bits, error) ||
      !args.integer("--deflate-threshold", 0, 0x7FFFFFFF, &threshold, error) ||
      !args.integer("--deflate-level", 1, 9, &level, error)) {
    return false;
  }
  result.server_max_window_bits = static_cast<int>(server_bits);
  result.client_max_window_bits = static_cast<int>(client_bits);
  result.compression_threshold = static_cast<size_t>(threshold);
  result.compression_level = static_cast<int>(level);
  result.server_no_context_takeover = args.has("--deflate-server-no-context-takeover");
  result.client_no_context_takeover = args.has("--deflate-client-no-context-takeover");
  *options = result;
  return true;
}

std::vector<std::string> with_flags(std::vector<std::string> base,
                                    const std::vector<std::string>& extra) {
  base.insert(base.end(), extra.begin(), extra.end());
  return base;
}

}  // namespace wsp::tool
