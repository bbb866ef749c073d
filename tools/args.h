// Command-line parsing for wsp (getopt_long): operands, --flags (repeatable, with values, as
// "--port 80" or "--port=80"), and short flags in websocat's and wscat's habits (-H header,
// -s sub-protocol, -k insecure, -b binary, -p port, -q quiet, -h help).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace wsp::tool {

class Args {
 public:
  // `value_flags` take a value ("--port 80" or "--port=80"); `switch_flags` do not.
  // Returns false with `*error` set for unknown flags or a missing value.
  bool parse(int argc, char** argv, int first, const std::vector<std::string>& value_flags,
             const std::vector<std::string>& switch_flags, std::string* error);

  const std::vector<std::string>& positional() const { return positional_; }
  bool has(const std::string& flag) const { return values_.count(flag) > 0; }
  std::optional<std::string> value(const std::string& flag) const;
  std::vector<std::string> values(const std::string& flag) const;
  // Integer value of a flag; false with `*error` if it is not a number in [min, max].
  bool integer(const std::string& flag, long long min, long long max, long long* out,
               std::string* error) const;
  // A positive number of seconds (fractions allowed), or 0 too where `zero_means_off`; false with
  // `*error` otherwise.
  bool seconds(const std::string& flag, double* out, std::string* error,
               bool zero_means_off = false) const;

 private:
  std::vector<std::string> positional_;
  std::multimap<std::string, std::string> values_;
};

}  // namespace wsp::tool
