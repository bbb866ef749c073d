#include "tools/args.h"

#include <getopt.h>

#include <algorithm>
#include <cstdlib>

namespace wsp::tool {

namespace {

// Short options in the habits of websocat and wscat; each stands for the long option beside it.
constexpr struct {
  char letter;
  const char* name;
} kShortOptions[] = {
    {'H', "--header"}, {'s', "--protocol"}, {'k', "--insecure"}, {'b', "--binary"},
    {'p', "--port"},   {'q', "--quiet"},    {'h', "--help"},
};

}  // namespace

bool Args::parse(int argc, char** argv, int first, const std::vector<std::string>& value_flags,
                 const std::vector<std::string>& switch_flags, std::string* error) {
  // getopt_long reads argv[1..]: start one before the first argument of the command.
  std::vector<option> options;
  // ':' first: a missing value is reported as ':', not '?'. Operands may come anywhere (GNU
  // getopt moves them after the options); "--" ends the options.
  std::string short_spec = ":";
  std::vector<std::string> names;
  for (const std::string& flag : value_flags) names.push_back(flag);
  for (const std::string& flag : switch_flags) names.push_back(flag);
  for (size_t i = 0; i < names.size(); ++i) {
    const bool takes_value = i < value_flags.size();
    options.push_back({names[i].c_str() + 2, takes_value ? required_argument : no_argument, nullptr,
                       static_cast<int>(256 + i)});
    for (const auto& alias : kShortOptions) {
      if (names[i] == alias.name) {
        short_spec += alias.letter;
        if (takes_value) short_spec += ':';
      }
    }
  }
  options.push_back({nullptr, 0, nullptr, 0});
  auto long_name = [&](int code) -> const std::string* {
    if (code >= 256 && code < 256 + static_cast<int>(names.size())) return &names[code - 256];
    for (const auto& alias : kShortOptions) {
      if (code == alias.letter) {
        for (const std::string& name : names) {
          if (name == alias.name) return &name;
        }
      }
    }
    return nullptr;
  };

  std::vector<char*> arguments(argv + first - 1, argv + argc);
  arguments.push_back(nullptr);
  const int count = static_cast<int>(arguments.size()) - 1;
  optind = 0;  // getopt keeps state between calls; 0 makes GNU getopt start afresh
  opterr = 0;  // errors are reported by us, in our words
  for (;;) {
    int index = -1;
    const int code =
        getopt_long(count, arguments.data(), short_spec.c_str(), options.data(), &index);
    if (code == -1) break;
    if (code == '?' || code == ':') {
      const char* given = arguments[optind - 1];
      std::string shown = optopt > 0 && optopt < 256 ? std::string("-") + static_cast<char>(optopt)
                                                     : std::string(given ? given : "");
      if (const size_t eq = shown.find('='); eq != std::string::npos) shown.resize(eq);
      *error =
          code == ':' ? "option " + shown + " needs a value." : "unknown option " + shown + ".";
      return false;
    }
    const std::string* name = long_name(code);
    if (!name) {
      *error = "unknown option.";
      return false;
    }
    values_.emplace(*name, optarg ? optarg : "");
  }
  for (int i = optind; i < count; ++i) positional_.push_back(arguments[i]);
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

bool Args::seconds(const std::string& flag, double* out, std::string* error,
                   bool zero_means_off) const {
  auto text = value(flag);
  if (!text) return true;
  char* end = nullptr;
  const double parsed = std::strtod(text->c_str(), &end);
  const bool allowed = parsed > 0 || (zero_means_off && parsed == 0);
  if (text->empty() || *end != '\0' || !allowed || parsed > 86400) {
    *error = flag + (zero_means_off ? " must be a number of seconds (0: off; at most 86400)."
                                    : " must be a number of seconds above 0 (at most 86400).");
    return false;
  }
  *out = parsed;
  return true;
}

}  // namespace wsp::tool
