#include "tools/args.h"

#include <algorithm>
#include <cstdlib>

namespace wsp::tool {

bool Args::parse(int argc, char** argv, int first, const std::vector<std::string>& value_flags,
                 const std::vector<std::string>& switch_flags, std::string* error) {
  auto contains = [](const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
  };
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      positional_.push_back(arg);
      continue;
    }
    std::string name = arg;
    std::optional<std::string> inline_value;
    if (const size_t eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
    }
    if (contains(switch_flags, name) && !inline_value) {
      values_.emplace(name, "");
    } else if (contains(value_flags, name)) {
      if (inline_value) {
        values_.emplace(name, *inline_value);
      } else if (i + 1 < argc) {
        values_.emplace(name, argv[++i]);
      } else {
        *error = name + " needs a value.";
        return false;
      }
    } else {
      *error = "unknown option " + name + ".";
      return false;
    }
  }
  return true;
}

std::optional<std::string> Args::value(const std::string& flag) const {
  auto found = values_.find(flag);
  if (found == values_.end()) return std::nullopt;
  return found->second;
}

std::vector<std::string> Args::values(const std::string& flag) const {
  std::vector<std::string> out;
  auto [begin, end] = values_.equal_range(flag);
  for (auto it = begin; it != end; ++it) out.push_back(it->second);
  return out;
}

bool Args::integer(const std::string& flag, long long min, long long max, long long* out,
                   std::string* error) const {
  auto text = value(flag);
  if (!text) return true;
  char* end = nullptr;
  const long long parsed = std::strtoll(text->c_str(), &end, 10);
  if (text->empty() || *end != '\0' || parsed < min || parsed > max) {
    *error =
        flag + " must be a number from " + std::to_string(min) + " to " + std::to_string(max) + ".";
    return false;
  }
  *out = parsed;
  return true;
}

bool Args::seconds(const std::string& flag, double* out, std::string* error) const {
  auto text = value(flag);
  if (!text) return true;
  char* end = nullptr;
  const double parsed = std::strtod(text->c_str(), &end);
  if (text->empty() || *end != '\0' || !(parsed > 0) || parsed > 86400) {
    *error = flag + " must be a number of seconds above 0 (at most 86400).";
    return false;
  }
  *out = parsed;
  return true;
}

}  // namespace wsp::tool
