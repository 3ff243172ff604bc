"""Mutation scores per module from mutmut's results (run by ``tox -e mutation`` after
``mutmut run``; see docs/testing.md).

A mutant counts as killed when a test failed or timed out on it; every other one (survived,
no tests, suspicious) counts against the score. Prints one line per module, the overall
score and every mutant that was run and not killed; exits 1 when the overall score is below
``--fail-under``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mutmut.stats import status_by_exit_code

KILLED = {"killed", "timeout", "caught by type check"}
NOT_RUN = "not checked"  # mutmut's word for a mutant it has not run yet


def load(mutants: Path) -> dict[str, dict[str, str]]:
    """{module path: {mutant name: status}} from the .meta files mutmut leaves."""
    out = {}
    for meta in sorted(mutants.rglob("*.py.meta")):
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        module = str(meta.relative_to(mutants))[: -len(".meta")]
        out[module] = {name: status_by_exit_code[code] for name, code in codes.items()}
    return out


def score(statuses) -> tuple[int, int]:
    statuses = list(statuses)
    return sum(s in KILLED for s in statuses), len(statuses)


def line(module: str, statuses) -> str:
    """The module's score; a run cut short also says how many mutants it has not run (they
    count against the score, and are not listed one by one)."""
    statuses = list(statuses)
    killed, total = score(statuses)
    not_run = statuses.count(NOT_RUN)
    tail = f", {not_run} not run yet" if not_run else ""
    return f"{module:32} mutation score: {100 * killed / total:5.1f}%  ({killed}/{total} killed{tail})"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=Path, default=Path("mutants"))
    parser.add_argument("--fail-under", type=float, default=0.0)
    args = parser.parse_args(argv)
    results = load(args.mutants)
    if not results:
        print(f"no mutmut results under {args.mutants}/: run `mutmut run` first")
        return 1
    for module, statuses in results.items():
        print(line(module, statuses.values()))
    everything = [s for statuses in results.values() for s in statuses.values()]
    print(line("overall", everything))
    killed, total = score(everything)
    overall = 100 * killed / total
    for statuses in results.values():
        for name, status in sorted(statuses.items()):
            if status not in KILLED and status != NOT_RUN:
                print(f"  {status}: {name}")
    if overall < args.fail_under:
        print(f"mutation score {overall:.1f}% is below {args.fail_under}%")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
