// OpenSSL contexts built from TLSOptions, cached so that a server accepting many connections (or
// a client reconnecting) does not reload certificates and the system CA store every time.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "wspeer/core/tls_options.h"

namespace wsp::native {

using SslContextPtr = std::shared_ptr<SSL_CTX>;

/// Returns a context for `options` (nullptr means TLSOptions::client() defaults), or nullptr with
/// `*error` set when a certificate or key cannot be used.
SslContextPtr tls_context_for(const std::shared_ptr<const TLSOptions>& options, std::string* error);

/// The most recent OpenSSL error queue entry as text (and clears the queue).
std::string openssl_error_text();

/// Trusts the operating system's root certificates in `ctx` (OpenSSL's default paths on
/// POSIX, the Windows certificate store on Windows); false with `*error` when none load.
bool load_system_roots(SSL_CTX* ctx, std::string* error);

}  // namespace wsp::native
