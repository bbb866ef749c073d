"""Named test cases for Python tests, reported in JUnit XML to $XML_OUTPUT_FILE (as junit.sh does
for shell tests) so that every case is counted, not just the Bazel target."""
import os
import sys
import traceback
from xml.sax.saxutils import quoteattr

_cases = []


def case(name):
    """Decorator: runs the function as a named case at once; an exception fails the case."""
    def run(function):
        try:
            function()
            _cases.append((name, None))
            print(f"PASS  {name}", flush=True)
        except Exception:  # any failure is the case's, reported and counted
            message = traceback.format_exc(limit=3)
            _cases.append((name, message))
            print(f"FAIL  {name}\n{message}", flush=True)
        return function
    return run


def finish(suite):
    failed = sum(1 for _, message in _cases if message)
    body = "".join(
        f"<testcase name={quoteattr(name)}/>" if not message else
        f"<testcase name={quoteattr(name)}><failure message={quoteattr(message[-2000:])}/></testcase>"
        for name, message in _cases)
    path = os.environ.get("XML_OUTPUT_FILE")
    if path:
        with open(path, "w") as out:
            out.write(f'<?xml version="1.0"?>\n<testsuites><testsuite name="{suite}" '
                      f'tests="{len(_cases)}" failures="{failed}">{body}</testsuite></testsuites>\n')
    print(f"{suite}: {len(_cases) - failed} passed, {failed} failed")
    sys.exit(1 if failed or not _cases else 0)
