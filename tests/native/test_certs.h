// Throw-away certificates generated at test time (nothing secret is committed).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "wspeer/core/tls_options.h"

namespace wsp::test {

struct KeyAndCert {
  std::string key_pem;
  std::string cert_pem;
};

// A self-signed CA.
KeyAndCert make_ca(const std::string& common_name);
// A leaf certificate signed by `ca`, valid for `sans` ("DNS:localhost", "IP:127.0.0.1").
// `valid_from_days`/`valid_to_days` are relative to now (negative: in the past).
KeyAndCert make_leaf(const KeyAndCert& ca, const std::string& common_name,
                     const std::vector<std::string>& sans, int valid_from_days = -1,
                     int valid_to_days = 30);

// `pem` loaded for TLSOptions (aborts the test program when it does not load).
std::shared_ptr<X509Certificate> certificate(const std::string& pem);
// TLS server options presenting `leaf` with its key.
std::shared_ptr<const TLSOptions> server_options(const KeyAndCert& leaf);

}  // namespace wsp::test
