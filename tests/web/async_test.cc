#include "tests/web/async_test.h"

#include <cstdio>

namespace wsp::async_test {
namespace {

std::string json_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

bool Runner::tick() {
  if (current_ >= tests_.size()) return false;
  Entry& entry = tests_[current_];
  if (!started_) {
    started_ = true;
    context_ = Context();
    task_ = entry.function(context_);
    task_.handle.resume();
  } else if (context_.waiting_) {
    if (context_.pending_.condition()) {
      context_.waiting_ = false;
      task_.handle.resume();
    } else if (std::chrono::steady_clock::now() > context_.deadline_) {
      context_.fail("timed out waiting for " + context_.pending_.what);
      context_.waiting_ = false;
      finish_current();
      return current_ < tests_.size();
    }
  }
  if (task_.handle && task_.handle.done()) {
    if (task_.handle.promise().failed_by_exception) context_.fail("exception thrown");
    finish_current();
  }
  return current_ < tests_.size();
}

void Runner::finish_current() {
  Entry& entry = tests_[current_];
  entry.ok = !context_.failed();
  entry.message = context_.failure();
  if (entry.ok) {
    ++passed_;
    std::printf("PASS %s\n", entry.name.c_str());
  } else {
    ++failed_;
    std::printf("FAIL %s: %s\n", entry.name.c_str(), entry.message.c_str());
  }
  std::fflush(stdout);
  if (task_.handle) task_.handle.destroy();  // also destroys the test's peers
  task_ = Task{};
  started_ = false;
  ++current_;
}

std::string Runner::results_line() const {
  std::string json = "{\"passed\":" + std::to_string(passed_) +
                     ",\"failed\":" + std::to_string(failed_) + ",\"cases\":[";
  for (size_t i = 0; i < tests_.size(); ++i) {
    if (i) json += ",";
    json += "{\"name\":\"" + json_escape(tests_[i].name) +
            "\",\"ok\":" + (tests_[i].ok ? "true" : "false") + ",\"message\":\"" +
            json_escape(tests_[i].message) + "\"}";
  }
  return "WSPEER_RESULTS " + json + "]}";
}

}  // namespace wsp::async_test
