// The operating system's trusted root certificates, for clients that verify by default.
// On Windows, windows.h and wincrypt.h come first and in this order, before
// OpenSSL's headers (which undo the names wincrypt.h defines that clash with theirs).
// clang-format off
#ifdef _WIN32
#include <windows.h>
#include <wincrypt.h>
#endif
#include "wspeer/platform/native/tls_context.h"
// clang-format on

namespace wsp::native {

#ifdef _WIN32

// OpenSSL on Windows does not read the system's roots by itself: copy the "ROOT" store's
// certificates into the context's store (what Windows programs and browsers trust).
bool load_system_roots(SSL_CTX* ctx, std::string* error) {
  HCERTSTORE system = CertOpenSystemStoreW(0, L"ROOT");
  if (!system) {
    *error = "Cannot open the Windows certificate store (ROOT).";
    return false;
  }
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int added = 0;
  for (PCCERT_CONTEXT cert = CertEnumCertificatesInStore(system, nullptr); cert;
       cert = CertEnumCertificatesInStore(system, cert)) {
    const unsigned char* der = cert->pbCertEncoded;
    X509* x509 = d2i_X509(nullptr, &der, static_cast<long>(cert->cbCertEncoded));
    if (!x509) continue;
    if (X509_STORE_add_cert(store, x509) == 1) ++added;
    X509_free(x509);
  }
  CertCloseStore(system, 0);
  if (added == 0) {
    // A store without roots (Wine's is often empty) verifies nothing: say so, and let
    // TLSOptions::client(ca) bring its own.
    *error =
        "The Windows certificate store has no usable root certificate; pass a CA with "
        "TLSOptions::client(trusted_chain).";
    return false;
  }
  return true;
}

#else

bool load_system_roots(SSL_CTX* ctx, std::string* error) {
  if (SSL_CTX_set_default_verify_paths(ctx) == 1) return true;
  *error = "Cannot load the system CA store: " + openssl_error_text();
  return false;
}

#endif

}  // namespace wsp::native
