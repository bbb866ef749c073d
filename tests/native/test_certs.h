// Throw-away certificates generated at test time (nothing secret is committed).
#pragma once

#include <memory>
#include <string>
#include <vector>

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

}  // namespace wsp::test
