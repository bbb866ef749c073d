// Turning --ca / --insecure / --tls-cert / --tls-key into TLSOptions.
#pragma once

#include <memory>
#include <string>

#include "tools/args.h"
#include "wspeer/core/tls_options.h"

namespace wsp::tool {

// Client options from --ca FILE and --insecure; nullptr (system CAs, full verification) when
// neither is given. False with `*error` when the CA file cannot be read.
bool client_tls_from_flags(const Args& args, std::shared_ptr<const TLSOptions>* options,
                           std::string* error);
// Server options from --tls-cert and --tls-key; nullptr when neither is given.
bool server_tls_from_flags(const Args& args, std::shared_ptr<const TLSOptions>* options,
                           std::string* error);

}  // namespace wsp::tool
