// Sec-WebSocket-Extensions values (RFC 6455 §9.1): a comma-separated list of extensions, each a
// name with ";"-separated parameters whose values are tokens or quoted strings.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wsp {

struct ExtensionParam {
  std::string name;
  std::optional<std::string> value;  ///< unquoted; nothing for a parameter without "="
};

struct Extension {
  std::string name;
  std::vector<ExtensionParam> params;
};

/// Parses a whole field value (repeated fields joined with ", "). Nothing when it breaks the
/// grammar: an empty element, a name or parameter that is not a token, a bad quoted string.
std::optional<std::vector<Extension>> parse_extension_list(std::string_view value);

/// "name; param; param=value": the canonical form, as sent in a handshake.
std::string format_extension(const Extension& extension);

}  // namespace wsp
