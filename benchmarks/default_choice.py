"""Which injection `harness run` should use by default: the numbers behind the choice.

Runs every scenario of the given folders (default: the bundled library) under each candidate
(`--inject random`, `controlled`, `mixed`), interleaved scenario by scenario so that a machine
whose load drifts slows all alike, one start method, one seed per round. For canaries it
prints how many were found and the trials to the first detection (a miss counts as the budget
+ 1); for safe scenarios, the verdicts (a failure is a false alarm, or a real race the
scenario's author did not expect) and the time their trials took, as a total per candidate.

    python benchmarks/default_choice.py [PATH ...] [--trials N] [--safe-trials N] [--seeds N]
        [--start-method M] [--candidates random,controlled,mixed]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from _common import ROOT

from harness.api import run_scenario
from harness.load import load_all
from harness.plan import make_plan
from harness.settings import RunOptions, resolve


def run_once(scenario, plan, inject: str, seed: int, trials: int, method: str):
    options = RunOptions(trials=trials, seed=seed, start_methods=(method,), inject=inject)
    settings = resolve([scenario], options).jobs[0].settings
    began = time.perf_counter()
    result = run_scenario(scenario, settings, plan=plan)
    return result, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=[os.path.join(ROOT, "scenarios")])
    parser.add_argument("--trials", type=int, default=200, help="canaries' trial budget")
    parser.add_argument("--safe-trials", type=int, default=50, help="trials per safe scenario")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--start-method", default="fork")
    parser.add_argument("--candidates", default="random,controlled,mixed")
    args = parser.parse_args()
    candidates = args.candidates.split(",")
    scenarios = load_all(args.paths)
    firsts = {c: [] for c in candidates}
    misses = {c: [] for c in candidates}
    safe_time = {c: 0.0 for c in candidates}
    alarms = {c: [] for c in candidates}
    print(f"{'scenario':<52}" + "".join(f"{c:>14}" for c in candidates))
    for scenario in scenarios:
        plan = make_plan(scenario)
        for seed in range(1, args.seeds + 1):
            cells = []
            for c in candidates:
                trials = args.trials if scenario.is_canary else args.safe_trials
                result, elapsed = run_once(scenario, plan, c, seed, trials, args.start_method)
                if result.error:
                    cells.append("error")
                elif scenario.is_canary:
                    first = result.first_detection if result.detected else trials + 1
                    firsts[c].append(first)
                    if not result.detected:
                        misses[c].append(scenario.name)
                    cells.append(str(first) if result.detected else "miss")
                else:
                    safe_time[c] += elapsed
                    if not result.passed:
                        from harness.report.console import failure_reason

                        alarms[c].append(f"{scenario.name} ({result.verdict}: {failure_reason(result)})")
                    cells.append(f"{'ok' if result.passed else 'FAIL'} {elapsed:5.1f}s")
            print(f"{scenario.name[:50]:<52}" + "".join(f"{cell:>14}" for cell in cells), flush=True)
    print()
    for c in candidates:
        found = firsts[c]
        print(f"{c}: canaries found {len(found) - len(misses[c])}/{len(found)}, trials to detection "
              f"median {statistics.median(found) if found else 0}, max {max(found) if found else 0}; "
              f"safe scenarios {safe_time[c]:.1f} s, not passed {len(alarms[c])}")
        for name in misses[c]:
            print(f"  missed: {name}")
        for name in alarms[c]:
            print(f"  safe not passed: {name}")


if __name__ == "__main__":
    main()
