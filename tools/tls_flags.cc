#include "tools/tls_flags.h"

#include "wspeer/core/error.h"

namespace wsp::tool {

bool client_tls_from_flags(const Args& args, std::shared_ptr<const TLSOptions>* options,
                           std::string* error) {
  std::shared_ptr<X509Certificate> ca;
  if (auto path = args.value("--ca")) {
    ca = std::make_shared<X509Certificate>();
    if (const Error status = ca->load(*path); status != OK) {
      *error = "cannot load CA certificate '" + *path + "' (" + error_name(status) + ").";
      return false;
    }
  }
  if (args.has("--insecure")) {
    *options = TLSOptions::client_unsafe(ca);
  } else if (ca) {
    *options = TLSOptions::client(ca);
  } else {
    *options = nullptr;
  }
  return true;
}

bool server_tls_from_flags(const Args& args, std::shared_ptr<const TLSOptions>* options,
                           std::string* error) {
  auto cert_path = args.value("--tls-cert");
  auto key_path = args.value("--tls-key");
  if (!cert_path && !key_path) {
    *options = nullptr;
    return true;
  }
  if (!cert_path || !key_path) {
    *error = "--tls-cert and --tls-key go together.";
    return false;
  }
  auto certificate = std::make_shared<X509Certificate>();
  if (const Error status = certificate->load(*cert_path); status != OK) {
    *error = "cannot load certificate '" + *cert_path + "' (" + error_name(status) + ").";
    return false;
  }
  auto key = std::make_shared<CryptoKey>();
  if (const Error status = key->load(*key_path); status != OK) {
    *error = "cannot load private key '" + *key_path + "' (" + error_name(status) + ").";
    return false;
  }
  *options = TLSOptions::server(key, certificate);
  return true;
}

}  // namespace wsp::tool
