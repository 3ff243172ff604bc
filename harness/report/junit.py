"""JUnit XML for CI systems: one testcase per scenario and start method.

Promise: :func:`to_junit` gives a well-formed document (ElementTree escapes everything)
that Jenkins, GitLab and GitHub test reporters read: failures carry the console failure
text, unrunnable scenarios are errors, interrupted ones are skipped.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .console import failure_text, summary_line


def _clean(text: str) -> str:
    # XML 1.0 cannot carry most control characters; a worker's output may contain them
    return "".join(ch if ch in "\t\n\r" or ord(ch) >= 32 else f"\\x{ord(ch):02x}" for ch in text)


def to_junit(report) -> str:
    results = report.results
    suite = ET.Element("testsuite", {
        "name": "harness", "tests": str(len(results)),
        "failures": str(sum(1 for r in results if not r.passed and not r.error and not r.interrupted)),
        "errors": str(sum(1 for r in results if r.error)),
        "skipped": str(sum(1 for r in results if r.interrupted)),
        "time": f"{sum(r.duration_s for r in results):.3f}",
    })
    ET.SubElement(ET.SubElement(suite, "properties"), "property", {"name": "seed", "value": str(report.seed)})
    for r in results:
        case = ET.SubElement(suite, "testcase", {
            "classname": r.file, "name": f"{r.name}[{r.start_method}]", "time": f"{r.duration_s:.3f}",
        })
        if r.interrupted:
            ET.SubElement(case, "skipped", {"message": "interrupted"})
        elif r.error:
            ET.SubElement(case, "error", {"message": _clean(r.error)}).text = _clean(failure_text(r))
        elif not r.passed:
            ET.SubElement(case, "failure", {"message": _clean(summary_line(r))}).text = _clean(failure_text(r))
        ET.SubElement(case, "system-out").text = _clean(summary_line(r))
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
