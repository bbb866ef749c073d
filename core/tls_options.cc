#include "wspeer/core/tls_options.h"

#include <fstream>
#include <sstream>

namespace wsp {
namespace {

Error read_file(const std::string& path, std::string* out) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return ERR_FILE_CANT_OPEN;
  std::ostringstream content;
  content << file.rdbuf();
  *out = content.str();
  return OK;
}

bool has_pem_block(std::string_view pem, std::string_view kind_suffix) {
  // "-----BEGIN <something><kind_suffix>-----" followed somewhere by an END marker.
  const size_t begin = pem.find("-----BEGIN ");
  if (begin == std::string_view::npos) return false;
  const size_t end_of_label = pem.find("-----", begin + 11);
  if (end_of_label == std::string_view::npos) return false;
  std::string_view label = pem.substr(begin + 11, end_of_label - begin - 11);
  if (label.size() < kind_suffix.size() ||
      label.substr(label.size() - kind_suffix.size()) != kind_suffix) {
    return false;
  }
  return pem.find("-----END ", end_of_label) != std::string_view::npos;
}

}  // namespace

Error X509Certificate::load(const std::string& path) {
  std::string pem;
  if (Error error = read_file(path, &pem); error != OK) return error;
  return load_from_string(pem);
}

Error X509Certificate::load_from_string(std::string_view pem) {
  if (!has_pem_block(pem, "CERTIFICATE")) return ERR_INVALID_DATA;
  pem_ = std::string(pem);
  return OK;
}

Error CryptoKey::load(const std::string& path) {
  std::string pem;
  if (Error error = read_file(path, &pem); error != OK) return error;
  return load_from_string(pem);
}

Error CryptoKey::load_from_string(std::string_view pem) {
  if (!has_pem_block(pem, "PRIVATE KEY")) return ERR_INVALID_DATA;
  pem_ = std::string(pem);
  return OK;
}

std::shared_ptr<TLSOptions> TLSOptions::client(std::shared_ptr<X509Certificate> trusted_chain,
                                               std::string common_name_override) {
  auto options = std::make_shared<TLSOptions>();
  options->trusted_chain_ = std::move(trusted_chain);
  options->common_name_override_ = std::move(common_name_override);
  return options;
}

std::shared_ptr<TLSOptions> TLSOptions::client_unsafe(
    std::shared_ptr<X509Certificate> trusted_chain) {
  auto options = std::make_shared<TLSOptions>();
  options->unsafe_ = true;
  options->trusted_chain_ = std::move(trusted_chain);
  return options;
}

std::shared_ptr<TLSOptions> TLSOptions::server(std::shared_ptr<CryptoKey> key,
                                               std::shared_ptr<X509Certificate> certificate) {
  auto options = std::make_shared<TLSOptions>();
  options->server_ = true;
  options->key_ = std::move(key);
  options->certificate_ = std::move(certificate);
  return options;
}

}  // namespace wsp
