# Sourced by shell tests: named cases with pass/fail, reported in JUnit XML to $XML_OUTPUT_FILE so
# that every case is counted (not just the Bazel target).
#   check "name" command args...   runs a command; the case passes when it exits 0
_junit_cases=""
_junit_passed=0
_junit_failed=0

_junit_escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'; }

check() {
  local name="$1"
  shift
  local log
  if log=$("$@" 2>&1); then
    _junit_passed=$((_junit_passed + 1))
    _junit_cases+="<testcase name=\"$(printf '%s' "$name" | _junit_escape)\"/>"
    echo "PASS  $name"
  else
    _junit_failed=$((_junit_failed + 1))
    local message
    message=$(printf '%s' "$log" | tail -n 20 | _junit_escape)
    _junit_cases+="<testcase name=\"$(printf '%s' "$name" | _junit_escape)\"><failure message=\"failed\">$message</failure></testcase>"
    echo "FAIL  $name"
    printf '%s\n' "$log" | tail -n 20 | sed 's/^/      /'
  fi
}

junit_finish() {
  local suite="$1"
  if [ -n "${XML_OUTPUT_FILE:-}" ]; then
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="%s" tests="%d" failures="%d">%s</testsuite></testsuites>\n' \
      "$suite" $((_junit_passed + _junit_failed)) "$_junit_failed" "$_junit_cases" >"$XML_OUTPUT_FILE"
  fi
  echo "$suite: $_junit_passed passed, $_junit_failed failed"
  [ "$_junit_failed" -eq 0 ]
}
