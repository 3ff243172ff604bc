"""JUnit XML for CI systems: one testcase per scenario and start method.

Promise: :func:`to_junit` gives a well-formed document (ElementTree escapes everything)
that Jenkins, GitLab and GitHub test reporters read: failures carry the one-line reason as
their message and the console failure text as their body, unrunnable scenarios are errors,
and a scenario interrupted before its trials decided anything is skipped (one whose trials
had already failed it is a failure). A case's ``classname`` is :func:`classname` of its file,
and its ``file`` attribute the file itself.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET

from ..scenario import SCENARIO_SUFFIXES
from .console import failure_reason, failure_text, result_lines


def classname(file: str) -> str:
    """The file as a dotted class name: Jenkins splits a classname on its dots into package
    and class, so the folders become the package and the file's stem the class, and a dot
    inside a name becomes ``_`` (``scenarios/v1.2/seed.x.yaml`` -> ``scenarios.v1_2.seed_x``)."""
    stem = file
    for suffix in SCENARIO_SUFFIXES:
        if stem.endswith(suffix):
            stem = stem[:-len(suffix)]
            break
    parts = stem.replace(os.sep, "/").split("/")
    return ".".join(p.replace(".", "_") for p in parts if p not in ("", ".")) or "harness"


def _clean(text: str) -> str:
    # XML 1.0 cannot carry most control characters; a worker's output may contain them
    return "".join(ch if ch in "\t\n\r" or ord(ch) >= 32 else f"\\x{ord(ch):02x}" for ch in text)


def to_junit(report) -> str:
    results = report.results
    verdicts = [r.verdict for r in results]
    suite = ET.Element("testsuite", {
        "name": "harness", "tests": str(len(results)),
        "failures": str(verdicts.count("failed") + verdicts.count("inconclusive")), "errors": str(verdicts.count("error")),
        "skipped": str(verdicts.count("interrupted")),
        "time": f"{sum(r.duration_s for r in results):.3f}",
    })
    ET.SubElement(ET.SubElement(suite, "properties"), "property", {"name": "seed", "value": str(report.seed)})
    for r in results:
        case = ET.SubElement(suite, "testcase", {
            "classname": classname(r.file), "name": f"{r.name}[{r.start_method}]", "file": r.file,
            "time": f"{r.duration_s:.3f}",
        })
        if r.verdict == "interrupted":
            ET.SubElement(case, "skipped", {"message": _clean(failure_reason(r))})
        elif r.verdict == "error":
            ET.SubElement(case, "error", {"message": _clean(r.error)}).text = _clean(failure_text(r))
        elif r.verdict in ("failed", "inconclusive"):
            ET.SubElement(case, "failure", {"message": _clean(failure_reason(r))}).text = _clean(failure_text(r))
        ET.SubElement(case, "system-out").text = _clean(result_lines(r))
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
