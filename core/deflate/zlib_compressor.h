// permessage-deflate's compression through zlib, for backends that compress themselves (the
// native one; a browser compresses on its own, so the wasm build needs no zlib).
#pragma once

#include <memory>

#include "wspeer/core/deflate_options.h"
#include "wspeer/core/message_compressor.h"

namespace wsp {

/// A compressor for one connection with the agreed parameters, seen from `is_server`'s side.
/// zlib's state is allocated when the first message needs it.
std::unique_ptr<MessageCompressor> make_zlib_compressor(const DeflateAgreement& agreement,
                                                        const DeflateOptions& options,
                                                        bool is_server);

}  // namespace wsp
