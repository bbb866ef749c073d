// The small part of HTTP/1.1 (RFC 9110/9112) a WebSocket opening handshake needs: reading a
// header block within a size limit and parsing a request or response head leniently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wsp {

struct HttpHeader {
  std::string name;   ///< as received (case preserved)
  std::string value;  ///< leading/trailing whitespace removed; may be empty
};
using HttpHeaders = std::vector<HttpHeader>;

/// Case-insensitive lookup. Repeated fields are joined with ", " (RFC 9110 §5.3).
std::optional<std::string> find_header(const HttpHeaders& headers, std::string_view name);
/// True when the comma-separated field `name` lists `token` (case-insensitive), e.g.
/// "Connection: keep-alive, Upgrade" has the token "upgrade".
bool header_has_token(const HttpHeaders& headers, std::string_view name, std::string_view token);
/// Splits a comma-separated list into trimmed, non-empty items.
std::vector<std::string> split_header_list(std::string_view value);
bool equals_ignore_case(std::string_view a, std::string_view b);
bool is_http_token(std::string_view text);
/// A Host field value as RFC 9112 §3.2 allows: uri-host [":" port], an IP literal in brackets
/// included; no spaces, paths or user information.
bool is_valid_host_value(std::string_view value);

struct HttpRequestHead {
  std::string method;
  std::string target;   ///< request-target as sent, e.g. "/chat?room=1"
  std::string version;  ///< "HTTP/1.1"
  HttpHeaders headers;
};

struct HttpResponseHead {
  std::string version;
  int status = 0;
  std::string reason;  ///< any reason phrase, possibly empty
  HttpHeaders headers;
};

/// Parse a complete head (start line + header lines, with or without the final empty line).
/// On failure `*error` says what was wrong.
bool parse_request_head(std::string_view head, HttpRequestHead* request, std::string* error);
bool parse_response_head(std::string_view head, HttpResponseHead* response, std::string* error);

/// Accumulates bytes until the empty line that ends an HTTP head, never consuming past it (so
/// frames that follow in the same read are left to the caller) and never storing more than the
/// limit. Accepts CRLF and bare LF line endings.
class HttpHeadReader {
 public:
  explicit HttpHeadReader(size_t limit) : limit_(limit) {}
  /// Consumes up to `size` bytes and returns how many it took; stops right after the head.
  size_t feed(const uint8_t* data, size_t size);
  bool complete() const { return complete_; }
  /// The head grew past the limit without ending: the caller should refuse it (431).
  bool too_large() const { return too_large_; }
  std::string_view head() const { return buffer_; }

 private:
  size_t limit_;
  std::string buffer_;
  int newlines_ = 0;  ///< consecutive line ends seen (a CR between them is ignored)
  bool complete_ = false;
  bool too_large_ = false;
};

}  // namespace wsp
