#include "wspeer/core/extension_header.h"

#include "wspeer/core/http.h"

namespace wsp {
namespace {

// A cursor over the field value; every helper skips the optional whitespace before its item.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }
  bool at_end() {
    skip_space();
    return pos_ == text_.size();
  }
  bool take(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  std::optional<std::string> token() {
    skip_space();
    const size_t start = pos_;
    while (pos_ < text_.size() && is_http_token(text_.substr(pos_, 1))) ++pos_;
    if (pos_ == start) return std::nullopt;
    return std::string(text_.substr(start, pos_ - start));
  }
  // A token or a quoted string (RFC 9110 §5.6.4), unquoted.
  std::optional<std::string> value() {
    skip_space();
    if (pos_ >= text_.size() || text_[pos_] != '"') return token();
    std::string result;
    for (++pos_; pos_ < text_.size(); ++pos_) {
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return result;
      }
      if (c == '\\') {
        if (++pos_ == text_.size()) return std::nullopt;
        result += text_[pos_];
      } else if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
        return std::nullopt;
      } else {
        result += c;
      }
    }
    return std::nullopt;  // no closing quote
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

std::optional<std::vector<Extension>> parse_extension_list(std::string_view value) {
  std::vector<Extension> list;
  Cursor cursor(value);
  if (cursor.at_end()) return list;
  do {
    Extension extension;
    std::optional<std::string> name = cursor.token();
    if (!name) return std::nullopt;
    extension.name = std::move(*name);
    while (cursor.take(';')) {
      ExtensionParam param;
      std::optional<std::string> param_name = cursor.token();
      if (!param_name) return std::nullopt;
      param.name = std::move(*param_name);
      if (cursor.take('=')) {
        param.value = cursor.value();
        // RFC 6455 §9.1: a quoted value must still be a token once unquoted.
        if (!param.value || !is_http_token(*param.value)) return std::nullopt;
      }
      extension.params.push_back(std::move(param));
    }
    list.push_back(std::move(extension));
  } while (cursor.take(','));
  if (!cursor.at_end()) return std::nullopt;
  return list;
}

std::string format_extension(const Extension& extension) {
  std::string text = extension.name;
  for (const ExtensionParam& param : extension.params) {
    text += "; " + param.name;
    if (param.value) text += "=" + *param.value;
  }
  return text;
}

}  // namespace wsp
