// An optional process-wide sink for diagnostics. wspeer never prints on its own: expected
// conditions are reported through return values and get_last_error(); this callback sees the
// same sentences as they happen.
#pragma once

#include <string_view>

namespace wsp {

using LogCallback = void (*)(std::string_view message);

/// Installs (or, with nullptr, removes) the callback. Call before peers are in use.
void set_log_callback(LogCallback callback);
void log_message(std::string_view message);

}  // namespace wsp
