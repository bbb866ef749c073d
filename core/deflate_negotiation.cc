#include "wspeer/core/deflate_negotiation.h"

#include <algorithm>
#include <vector>

#include "wspeer/core/extension_header.h"

namespace wsp {
namespace {

constexpr const char* kName = "permessage-deflate";
constexpr int kMinWindowBits = 8;
constexpr int kMaxWindowBits = 15;

bool window_bits_valid(int bits) { return bits >= kMinWindowBits && bits <= kMaxWindowBits; }

// RFC 7692 §7.1.2: "1*DIGIT" without leading zeros, 8 to 15.
std::optional<int> parse_window_bits(const std::optional<std::string>& value) {
  if (!value || value->empty() || value->size() > 2 || (*value)[0] == '0') return std::nullopt;
  int bits = 0;
  for (char c : *value) {
    if (c < '0' || c > '9') return std::nullopt;
    bits = bits * 10 + (c - '0');
  }
  if (!window_bits_valid(bits)) return std::nullopt;
  return bits;
}

// The parameters of one permessage-deflate element, each seen at most once.
struct Params {
  bool server_no_context_takeover = false;
  bool client_no_context_takeover = false;
  bool has_server_max_window_bits = false;
  int server_max_window_bits = kMaxWindowBits;
  bool has_client_max_window_bits = false;
  std::optional<int> client_max_window_bits;  ///< an offer may name the parameter alone
};

// Reads the parameters; `error` says why they are unacceptable. `is_offer`: a client's offer
// (client_max_window_bits may come without a value there).
std::optional<Params> read_params(const Extension& extension, bool is_offer, std::string* error) {
  Params params;
  std::vector<std::string> seen;
  for (const ExtensionParam& param : extension.params) {
    if (std::find(seen.begin(), seen.end(), param.name) != seen.end()) {
      *error = "parameter " + param.name + " given twice";
      return std::nullopt;
    }
    seen.push_back(param.name);
    if (param.name == "server_no_context_takeover" || param.name == "client_no_context_takeover") {
      if (param.value) {
        *error = param.name + " takes no value";
        return std::nullopt;
      }
      (param.name[0] == 's' ? params.server_no_context_takeover
                            : params.client_no_context_takeover) = true;
    } else if (param.name == "server_max_window_bits") {
      const std::optional<int> bits = parse_window_bits(param.value);
      if (!bits) {
        *error = "server_max_window_bits must be 8 to 15";
        return std::nullopt;
      }
      params.has_server_max_window_bits = true;
      params.server_max_window_bits = *bits;
    } else if (param.name == "client_max_window_bits") {
      params.has_client_max_window_bits = true;
      if (param.value || !is_offer) {
        params.client_max_window_bits = parse_window_bits(param.value);
        if (!params.client_max_window_bits) {
          *error = "client_max_window_bits must be 8 to 15";
          return std::nullopt;
        }
      }
    } else {
      *error = "unknown parameter " + param.name;
      return std::nullopt;
    }
  }
  return params;
}

}  // namespace

bool deflate_options_valid(const DeflateOptions& options) {
  return window_bits_valid(options.server_max_window_bits) &&
         window_bits_valid(options.client_max_window_bits) && options.compression_level >= 1 &&
         options.compression_level <= 9 && options.memory_level >= 1 && options.memory_level <= 9;
}

bool deflate_enabled(const DeflateOptions& options, bool is_server) {
  switch (options.use) {
    case DeflateOptions::Use::kOn:
      return true;
    case DeflateOptions::Use::kOff:
      return false;
    case DeflateOptions::Use::kRoleDefault:
      return !is_server;
  }
  return false;
}

std::string deflate_offer(const DeflateOptions& options) {
  Extension offer{kName, {}};
  if (options.server_no_context_takeover)
    offer.params.push_back({"server_no_context_takeover", {}});
  if (options.client_no_context_takeover)
    offer.params.push_back({"client_no_context_takeover", {}});
  if (options.server_max_window_bits < kMaxWindowBits) {
    offer.params.push_back(
        {"server_max_window_bits", std::to_string(options.server_max_window_bits)});
  }
  // Named even at 15: it tells the server that it may ask for a smaller client window.
  offer.params.push_back({"client_max_window_bits", options.client_max_window_bits < kMaxWindowBits
                                                        ? std::optional<std::string>(std::to_string(
                                                              options.client_max_window_bits))
                                                        : std::nullopt});
  return format_extension(offer);
}

ClientDeflateResult check_deflate_response(const DeflateOptions& options,
                                           const std::optional<std::string>& response) {
  ClientDeflateResult result;
  if (!response || response->empty()) {
    result.ok = true;
    return result;
  }
  const std::optional<std::vector<Extension>> list = parse_extension_list(*response);
  if (!list) {
    result.error = "malformed Sec-WebSocket-Extensions \"" + *response + "\"";
    return result;
  }
  if (list->empty()) {
    result.ok = true;
    return result;
  }
  if (list->size() > 1 || (*list)[0].name != kName) {
    result.error = "server selected extension \"" + *response + "\" that was not offered";
    return result;
  }
  std::string why;
  const std::optional<Params> params = read_params((*list)[0], /*is_offer=*/false, &why);
  if (!params) {
    result.error = "server's permessage-deflate response is invalid: " + why;
    return result;
  }
  // §7.1.1.1, §7.1.2.1: what the client asked of the server must be granted.
  if (options.server_no_context_takeover && !params->server_no_context_takeover) {
    result.error = "server ignored the offered server_no_context_takeover";
    return result;
  }
  if (options.server_max_window_bits < kMaxWindowBits &&
      (!params->has_server_max_window_bits ||
       params->server_max_window_bits > options.server_max_window_bits)) {
    result.error = "server did not limit server_max_window_bits to the offered " +
                   std::to_string(options.server_max_window_bits);
    return result;
  }
  DeflateAgreement agreement;
  agreement.server_no_context_takeover = params->server_no_context_takeover;
  agreement.client_no_context_takeover =
      params->client_no_context_takeover || options.client_no_context_takeover;
  agreement.server_max_window_bits = params->server_max_window_bits;
  agreement.client_max_window_bits = std::min(
      options.client_max_window_bits, params->client_max_window_bits.value_or(kMaxWindowBits));
  result.ok = true;
  result.agreement = agreement;
  return result;
}

std::optional<ServerDeflateChoice> choose_deflate_offer(const DeflateOptions& options,
                                                        const std::optional<std::string>& request) {
  if (!request) return std::nullopt;
  const std::optional<std::vector<Extension>> list = parse_extension_list(*request);
  if (!list) return std::nullopt;
  for (const Extension& offer : *list) {
    if (offer.name != kName) continue;
    std::string why;
    const std::optional<Params> params = read_params(offer, /*is_offer=*/true, &why);
    if (!params) continue;  // an invalid offer is declined; a later one may do
    DeflateAgreement agreement;
    agreement.server_no_context_takeover =
        params->server_no_context_takeover || options.server_no_context_takeover;
    // The client's own promise is kept binding by echoing it: its messages then never refer
    // to earlier ones, and our decompressor can be released between them.
    agreement.client_no_context_takeover =
        params->client_no_context_takeover || options.client_no_context_takeover;
    agreement.server_max_window_bits =
        std::min(params->server_max_window_bits, options.server_max_window_bits);
    if (params->has_client_max_window_bits) {
      agreement.client_max_window_bits = std::min(
          params->client_max_window_bits.value_or(kMaxWindowBits), options.client_max_window_bits);
    } else if (options.client_max_window_bits < kMaxWindowBits) {
      continue;  // §7.1.2.2: we may not limit a client that did not say it can be limited
    }
    ServerDeflateChoice choice{agreement, deflate_agreement_text(agreement)};
    // §7.1.2.1: an offered server_max_window_bits is answered even when it stays 15.
    if (params->has_server_max_window_bits && agreement.server_max_window_bits == kMaxWindowBits) {
      choice.response += "; server_max_window_bits=15";
    }
    return choice;
  }
  return std::nullopt;
}

std::string deflate_agreement_text(const DeflateAgreement& agreement) {
  Extension response{kName, {}};
  if (agreement.server_no_context_takeover) {
    response.params.push_back({"server_no_context_takeover", {}});
  }
  if (agreement.client_no_context_takeover) {
    response.params.push_back({"client_no_context_takeover", {}});
  }
  if (agreement.server_max_window_bits < kMaxWindowBits) {
    response.params.push_back(
        {"server_max_window_bits", std::to_string(agreement.server_max_window_bits)});
  }
  if (agreement.client_max_window_bits < kMaxWindowBits) {
    response.params.push_back(
        {"client_max_window_bits", std::to_string(agreement.client_max_window_bits)});
  }
  return format_extension(response);
}

}  // namespace wsp
