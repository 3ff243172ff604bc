"""The HTML report's size for a real run of the bundled scenarios (the issue's budget: 2 MB).

Runs `harness run scenarios/ --trials 200 --html FILE` (plus any options given, e.g.
`--start-method all --all-trials`), and prints the page's and the JSON report's sizes, and how
much of the page its sections, outcome tables and strips take.

    python benchmarks/html_size.py [--start-method all] [--all-trials] [--trials N] [--seed S]
"""

from __future__ import annotations

import os
import re
import sys
import tempfile

from _common import ROOT, harness_command, timed_command


def main() -> None:
    extra = sys.argv[1:]
    if "--trials" not in extra:
        extra += ["--trials", "200"]
    folder = tempfile.mkdtemp(prefix="harness-html-size-")
    page_path, json_path = os.path.join(folder, "r.html"), os.path.join(folder, "r.json")
    elapsed, _ = timed_command(harness_command("run", os.path.join(ROOT, "scenarios"), "-q", "--no-progress",
                                               "--html", page_path, "--json", json_path, *extra))
    with open(page_path, encoding="utf-8") as f:
        page = f.read()
    parts = {"sections": r'<section class="result.*?</section>', "outcome tables": r'<table class="outcomes".*?</table>',
             "index strips": r'<div class="strip-box">.*?</p></div>', "traces": r'<div class="trace".*?</ul></div>'}
    print(f"harness run scenarios/ {' '.join(extra)}: {elapsed:.0f} s")
    size, sections = len(page.encode()), page.count('<section class="result')
    print(f"page: {size:,} bytes ({size / 1e6:.2f} MB), {sections} sections; "
          f"JSON report: {os.path.getsize(json_path):,} bytes")
    for name, pattern in parts.items():
        print(f"  {name}: {sum(len(m) for m in re.findall(pattern, page, re.S)):,} characters")
    print(f"(kept in {folder})")


if __name__ == "__main__":
    main()
