#include "wspeer/core/log.h"

#include <atomic>

namespace wsp {
namespace {
std::atomic<LogCallback> g_callback{nullptr};
}  // namespace

void set_log_callback(LogCallback callback) { g_callback.store(callback); }

void log_message(std::string_view message) {
  if (LogCallback callback = g_callback.load()) callback(message);
}

}  // namespace wsp
