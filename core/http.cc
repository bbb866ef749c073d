#include "wspeer/core/http.h"

#include <cstring>

namespace wsp {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits a head into lines, accepting "\r\n" or "\n", dropping trailing empty lines.
std::vector<std::string_view> split_lines(std::string_view head) {
  std::vector<std::string_view> lines;
  while (!head.empty()) {
    const size_t nl = head.find('\n');
    std::string_view line = head.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    head.remove_prefix(nl + 1);
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

bool parse_header_lines(const std::vector<std::string_view>& lines, HttpHeaders* headers,
                        std::string* error) {
  headers->clear();
  for (size_t i = 1; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (line.empty()) {
      *error = "Empty line inside the header block.";
      return false;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      *error = "Obsolete folded header line.";
      return false;
    }
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      *error = "Header line without ':': \"" + std::string(line) + "\".";
      return false;
    }
    std::string_view name = line.substr(0, colon);
    if (!is_http_token(name)) {
      *error = "Invalid header name: \"" + std::string(name) + "\".";
      return false;
    }
    std::string_view value = trim(line.substr(colon + 1));
    for (char c : value) {
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7F) {
        *error = "Control character in header \"" + std::string(name) + "\".";
        return false;
      }
    }
    headers->push_back({std::string(name), std::string(value)});
  }
  return true;
}

}  // namespace

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool is_http_token(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
    if (!ok || c == '\0') return false;
  }
  return true;
}

bool is_valid_host_value(std::string_view value) {
  if (value.empty()) return false;
  for (char c : value) {
    // unreserved, sub-delims, pct-encoded, and the ':' '[' ']' of ports and IP literals.
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::strchr("-._~!$&'()*+,;=%:[]", c) != nullptr;
    if (!ok || c == '\0') return false;
  }
  return true;
}

std::optional<std::string> find_header(const HttpHeaders& headers, std::string_view name) {
  std::optional<std::string> result;
  for (const HttpHeader& header : headers) {
    if (!equals_ignore_case(header.name, name)) continue;
    if (result) {
      *result += ", ";
      *result += header.value;
    } else {
      result = header.value;
    }
  }
  return result;
}

std::vector<std::string> split_header_list(std::string_view value) {
  std::vector<std::string> items;
  while (true) {
    const size_t comma = value.find(',');
    std::string_view item = trim(value.substr(0, comma));
    if (!item.empty()) items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return items;
}

bool header_has_token(const HttpHeaders& headers, std::string_view name, std::string_view token) {
  for (const HttpHeader& header : headers) {
    if (!equals_ignore_case(header.name, name)) continue;
    for (const std::string& item : split_header_list(header.value)) {
      if (equals_ignore_case(item, token)) return true;
    }
  }
  return false;
}

bool parse_request_head(std::string_view head, HttpRequestHead* request, std::string* error) {
  const std::vector<std::string_view> lines = split_lines(head);
  if (lines.empty()) {
    *error = "Empty request.";
    return false;
  }
  // request-line = method SP request-target SP HTTP-version: exactly three parts.
  std::string_view line = lines[0];
  const size_t sp1 = line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos ||
      line.find(' ', sp2 + 1) != std::string_view::npos) {
    *error = "Malformed request line: \"" + std::string(line) + "\".";
    return false;
  }
  request->method = std::string(line.substr(0, sp1));
  request->target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  request->version = std::string(line.substr(sp2 + 1));
  if (!is_http_token(request->method) || request->target.empty() ||
      request->version.rfind("HTTP/", 0) != 0) {
    *error = "Malformed request line: \"" + std::string(line) + "\".";
    return false;
  }
  for (char c : request->target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) {
      *error = "Control character in the request target.";
      return false;
    }
  }
  return parse_header_lines(lines, &request->headers, error);
}

bool parse_response_head(std::string_view head, HttpResponseHead* response, std::string* error) {
  const std::vector<std::string_view> lines = split_lines(head);
  if (lines.empty()) {
    *error = "Empty response.";
    return false;
  }
  // status-line = HTTP-version SP status-code SP [reason-phrase]; any reason is accepted.
  std::string_view line = lines[0];
  const size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || line.substr(0, 5) != "HTTP/") {
    *error = "Malformed status line: \"" + std::string(line) + "\".";
    return false;
  }
  response->version = std::string(line.substr(0, sp1));
  std::string_view rest = line.substr(sp1 + 1);
  std::string_view code = rest.substr(0, 3);
  if (code.size() != 3 || (rest.size() > 3 && rest[3] != ' ')) {
    *error = "Malformed status line: \"" + std::string(line) + "\".";
    return false;
  }
  int status = 0;
  for (char c : code) {
    if (c < '0' || c > '9') {
      *error = "Malformed status line: \"" + std::string(line) + "\".";
      return false;
    }
    status = status * 10 + (c - '0');
  }
  response->status = status;
  response->reason = rest.size() > 4 ? std::string(rest.substr(4)) : std::string();
  return parse_header_lines(lines, &response->headers, error);
}

size_t HttpHeadReader::feed(const uint8_t* data, size_t size) {
  if (complete_ || too_large_) return 0;
  size_t used = 0;
  while (used < size) {
    // Copy up to the next line end in one go; only line ends need a closer look.
    const auto* newline = static_cast<const uint8_t*>(std::memchr(data + used, '\n', size - used));
    const size_t end = newline ? static_cast<size_t>(newline - data) + 1 : size;
    for (size_t i = used; i < end - (newline ? 1 : 0); ++i) {
      if (data[i] != '\r') {
        newlines_ = 0;
        break;
      }
    }
    const size_t room = limit_ - buffer_.size();
    if (end - used > room) {
      buffer_.append(reinterpret_cast<const char*>(data + used), room);
      too_large_ = true;
      return used + room + 1 > size ? size : used + room + 1;
    }
    buffer_.append(reinterpret_cast<const char*>(data + used), end - used);
    used = end;
    if (newline && ++newlines_ == 2) {
      complete_ = true;
      break;
    }
  }
  return used;
}

}  // namespace wsp
