#!/usr/bin/env python3
"""Counts test cases (not Bazel targets) from a Bazel build-event JSON file.

Reads every testResult event of every build-event file given, opens its test.xml (GoogleTest or our shell/JS tests' JUnit XML)
and counts <testcase> elements and the failed ones. A target that failed without reporting a
failed case (crash, timeout) counts as one failed case. JUnit XML files given directly are counted too (tests run outside Bazel).
Prints "N passed, N failed".
"""
import json
import sys
import urllib.parse
import xml.etree.ElementTree as ET


def cases_in(path):
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    total = failed = 0
    for case in root.iter("testcase"):
        if case.get("status") == "notrun" or case.find("skipped") is not None:
            continue
        total += 1
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
    return total, failed


def main(paths):
    passed = failed = 0
    failing_targets = []
    # JUnit XML files given directly (tests run outside Bazel, such as the consumer tests).
    for path in [p for p in paths if p.endswith(".xml")]:
        counted = cases_in(path)
        total, bad = counted if counted else (1, 1)
        passed += total - bad
        failed += bad
        if bad:
            failing_targets.append(f"{path} ({bad} failed)")
    event_files = [p for p in paths if not p.endswith(".xml")]
    for line in (line for path in event_files for line in open(path)):
        if True:
            event = json.loads(line)
            if "testResult" not in event:
                continue
            label = event["id"]["testResult"]["label"]
            result = event["testResult"]
            status = result.get("status", "NO_STATUS")
            xml = None
            for output in result.get("testActionOutput", []):
                if output.get("name") == "test.xml":
                    xml = urllib.parse.urlparse(output["uri"]).path
            counted = cases_in(xml) if xml else None
            total, bad = counted if counted else (0, 0)
            if status != "PASSED" and bad == 0:
                bad += 1
                total += 1
            passed += total - bad
            failed += bad
            if status != "PASSED":
                failing_targets.append(f"{label} ({status})")
    for target in failing_targets:
        print(f"  failed: {target}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
