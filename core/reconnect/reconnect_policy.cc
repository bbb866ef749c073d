#include "wspeer/core/reconnect/reconnect_policy.h"

#include <algorithm>
#include <cmath>

namespace wsp {
namespace {

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Days from 1970-01-01 to a civil date (proleptic Gregorian).
int64_t days_from_civil(int64_t year, int month, int day) {
  year -= month <= 2;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

// IMF-fixdate (RFC 9110 §5.6.7): "Sun, 06 Nov 1994 08:49:37 GMT".
std::optional<int64_t> parse_imf_fixdate(std::string_view text) {
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (text.size() != 29 || text[3] != ',' || text[4] != ' ' || text[7] != ' ' || text[11] != ' ' ||
      text[16] != ' ' || text[19] != ':' || text[22] != ':' || text.substr(25) != " GMT") {
    return std::nullopt;
  }
  const std::string_view day = text.substr(5, 2), year = text.substr(12, 4);
  const std::string_view hour = text.substr(17, 2), minute = text.substr(20, 2),
                         second = text.substr(23, 2);
  if (!all_digits(day) || !all_digits(year) || !all_digits(hour) || !all_digits(minute) ||
      !all_digits(second)) {
    return std::nullopt;
  }
  const auto number = [](std::string_view digits) { return std::stoi(std::string(digits)); };
  int month = 0;
  while (month < 12 && kMonths[month] != text.substr(8, 3)) ++month;
  if (month == 12 || number(day) < 1 || number(day) > 31 || number(hour) > 23 ||
      number(minute) > 59 || number(second) > 60) {
    return std::nullopt;
  }
  return days_from_civil(number(year), month + 1, number(day)) * 86400 + number(hour) * 3600 +
         number(minute) * 60 + number(second);
}

}  // namespace

bool should_retry(const ConnectionEnd& end) {
  if (end.http_status != 0) {
    return end.http_status == 408 || end.http_status == 429 || end.http_status >= 500;
  }
  const int code = end.close_code;
  if (code == 1008 || (code >= 3500 && code <= 3999) || (code >= 4500 && code <= 4999)) {
    return false;
  }
  return true;
}

std::optional<double> parse_retry_after(std::string_view value, int64_t now_unix_seconds) {
  value = trim(value);
  if (all_digits(value)) {
    if (value.size() > 9) return 1e9;  // far beyond any cap
    return std::stod(std::string(value));
  }
  const std::optional<int64_t> date = parse_imf_fixdate(value);
  if (!date) return std::nullopt;
  return static_cast<double>(std::max<int64_t>(0, *date - now_unix_seconds));
}

ReconnectSchedule::ReconnectSchedule(ReconnectPolicy policy, std::function<double()> random01)
    : policy_(std::move(policy)), random01_(std::move(random01)) {}

ReconnectSchedule::Decision ReconnectSchedule::ended(const ConnectionEnd& end,
                                                     int64_t now_unix_seconds) {
  Decision decision;
  if (end.was_open && end.open_seconds >= policy_.stable_after) attempts_ = 0;
  const bool retry = policy_.retry_if ? policy_.retry_if(end) : should_retry(end);
  if (!retry) {
    decision.reason = end.http_status != 0
                          ? "the server refused with HTTP " + std::to_string(end.http_status) +
                                ", which another attempt would not change"
                          : "the server closed with code " + std::to_string(end.close_code) +
                                ", which says not to come back";
    if (policy_.retry_if) decision.reason = "the application's retry_if said no";
    return decision;
  }
  if (policy_.max_attempts > 0 && attempts_ >= policy_.max_attempts) {
    decision.reason = "gave up after " + std::to_string(attempts_) + " attempts";
    return decision;
  }
  ++attempts_;
  const double minimum = std::max(0.0, policy_.min_delay);
  const double ceiling = std::max(
      minimum, std::min(policy_.max_delay, minimum * std::ldexp(1.0, std::min(attempts_, 60))));
  double delay = minimum + (ceiling - minimum) * random01_();
  if (const auto wait = parse_retry_after(end.retry_after, now_unix_seconds)) {
    delay = std::max(delay, std::min(*wait, policy_.max_retry_after));
  }
  decision.retry = true;
  decision.attempt = attempts_;
  decision.delay = delay;
  return decision;
}

}  // namespace wsp
