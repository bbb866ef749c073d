#include "tests/native/test_certs.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdlib>

namespace wsp::test {
namespace {

std::string to_pem(EVP_PKEY* key, X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (key) PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  if (cert) PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  return pem;
}

EVP_PKEY* read_key(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return key;
}

X509* read_cert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return cert;
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!extension) std::abort();
  X509_add_ext(cert, extension, -1);
  X509_EXTENSION_free(extension);
}

X509* new_cert(EVP_PKEY* key, const std::string& common_name, int from_days, int to_days) {
  static long serial = 1000;
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), ++serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), static_cast<long>(from_days) * 86400);
  X509_gmtime_adj(X509_getm_notAfter(cert), static_cast<long>(to_days) * 86400);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  return cert;
}

}  // namespace

KeyAndCert make_ca(const std::string& common_name) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = new_cert(key, common_name, -1, 30);
  X509_set_issuer_name(cert, X509_get_subject_name(cert));
  add_extension(cert, cert, NID_basic_constraints, "critical,CA:TRUE");
  add_extension(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(cert, cert, NID_subject_key_identifier, "hash");
  X509_sign(cert, key, EVP_sha256());
  KeyAndCert result{to_pem(key, nullptr), to_pem(nullptr, cert)};
  X509_free(cert);
  EVP_PKEY_free(key);
  return result;
}

KeyAndCert make_leaf(const KeyAndCert& ca, const std::string& common_name,
                     const std::vector<std::string>& sans, int valid_from_days, int valid_to_days) {
  EVP_PKEY* ca_key = read_key(ca.key_pem);
  X509* ca_cert = read_cert(ca.cert_pem);
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = new_cert(key, common_name, valid_from_days, valid_to_days);
  X509_set_issuer_name(cert, X509_get_subject_name(ca_cert));
  std::string san_list;
  for (const std::string& san : sans) san_list += (san_list.empty() ? "" : ",") + san;
  if (!san_list.empty()) add_extension(cert, ca_cert, NID_subject_alt_name, san_list);
  add_extension(cert, ca_cert, NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert, ca_cert, NID_ext_key_usage, "serverAuth");
  X509_sign(cert, ca_key, EVP_sha256());
  KeyAndCert result{to_pem(key, nullptr), to_pem(nullptr, cert)};
  X509_free(cert);
  EVP_PKEY_free(key);
  X509_free(ca_cert);
  EVP_PKEY_free(ca_key);
  return result;
}

std::shared_ptr<X509Certificate> certificate(const std::string& pem) {
  auto cert = std::make_shared<X509Certificate>();
  if (cert->load_from_string(pem) != OK) std::abort();
  return cert;
}

std::shared_ptr<const TLSOptions> server_options(const KeyAndCert& leaf) {
  auto key = std::make_shared<CryptoKey>();
  if (key->load_from_string(leaf.key_pem) != OK) std::abort();
  return TLSOptions::server(key, certificate(leaf.cert_pem));
}

}  // namespace wsp::test
