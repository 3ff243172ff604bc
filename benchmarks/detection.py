"""Trials to first detection for canaries, over many seeds.

For every canary scenario (default: the bundled library's, or the folders/files given),
runs it with stop-on-detection under one start method for each of N seeds, and prints the
median, 90th percentile and worst trial number of the first detection (a miss within the
trial budget counts as budget + 1 and is listed).

    python benchmarks/detection.py [PATH ...] [--seeds N] [--trials N] [--start-method M]
"""

from __future__ import annotations

import argparse
import os
import statistics

from _common import ROOT

from harness.api import run_scenario
from harness.load import load_all
from harness.plan import make_plan
from harness.settings import RunOptions, resolve


def percentile(values: list[int], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=[os.path.join(ROOT, "scenarios")])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--start-method", default="fork")
    args = parser.parse_args()
    canaries = [s for s in load_all(args.paths) if s.is_canary]
    print(f"{'canary':<48}{'median':>8}{'p90':>6}{'worst':>7}{'misses':>8}")
    all_firsts = []
    for scenario in canaries:
        plan = make_plan(scenario)
        firsts, misses = [], 0
        for seed in range(1, args.seeds + 1):
            options = RunOptions(trials=args.trials, seed=seed, start_methods=(args.start_method,))
            settings = resolve([scenario], options).jobs[0].settings
            result = run_scenario(scenario, settings, plan=plan)
            if result.detected:
                firsts.append(result.first_detection)
            else:
                misses += 1
                firsts.append(args.trials + 1)
        all_firsts.extend(firsts)
        print(f"{scenario.name:<48}{statistics.median(firsts):>8g}{percentile(firsts, 0.9):>6g}"
              f"{max(firsts):>7}{misses:>8}")
    if all_firsts:
        print(f"{'ALL (' + str(len(canaries)) + ' canaries x ' + str(args.seeds) + ' seeds)':<48}"
              f"{statistics.median(all_firsts):>8g}{percentile(all_firsts, 0.9):>6g}{max(all_firsts):>7}")


if __name__ == "__main__":
    main()
