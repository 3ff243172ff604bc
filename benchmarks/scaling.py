"""Where the cost goes: harness trials per second as processes, array size and loops grow.

Each row runs one scenario in-process through the public API, timing injection off, under
one start method: processes partition the array and add to their own chunk. Columns: wall
time per trial, the parent's own CPU time per trial (resetting the array, collecting and
checking the final values: the harness's overhead), and wall time per element step.

    python benchmarks/scaling.py [--start-method M] [--trials N]
"""

from __future__ import annotations

import argparse
import time

from _common import scenario_file

from harness.api import run_scenario
from harness.load import load_scenario
from harness.plan import make_plan
from harness.settings import RunOptions, resolve

TEMPLATE = """\
name: bench-scaling
array: {{typecode: i, size: {size}}}
workers:
  - {{name: writer, count: {procs}, partition: true, op: add, loops: {loops}}}
"""


def rate(procs: int, size: int, loops: int, trials: int, method: str) -> tuple[float, float, float]:
    """(trials per second, wall microseconds per trial, parent CPU microseconds per trial)"""
    text = TEMPLATE.format(procs=procs, size=max(size, procs), loops=loops)
    scenario = load_scenario(scenario_file(text))
    settings = resolve([scenario], RunOptions(trials=trials, seed=1, inject=False, start_methods=(method,))).jobs[0].settings
    plan = make_plan(scenario)  # the model's work is done once per scenario, not per trial
    cpu = time.process_time()
    result = run_scenario(scenario, settings, plan=plan)
    cpu = time.process_time() - cpu
    assert result.passed, result
    return result.trials_per_second, 1e6 / result.trials_per_second, 1e6 * cpu / result.trials_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start-method", default="fork")
    parser.add_argument("--trials", type=int, default=300)
    args = parser.parse_args()
    rows = [("processes", [(p, 10, 1) for p in (2, 4, 8, 16)]),
            ("array size", [(2, s, 1) for s in (10, 1_000, 100_000, 1_000_000)]),
            ("loops", [(2, 10, n) for n in (1, 10, 100, 1000)])]
    print(f"{'varying':<12}{'procs':>6}{'size':>10}{'loops':>7}{'trials/s':>11}{'us/trial':>10}"
          f"{'parent us/trial':>17}{'ns/element step':>17}")
    for label, cases in rows:
        for procs, size, loops in cases:
            trials = args.trials if size * loops <= 100_000 else max(10, args.trials // 20)
            per_s, us, parent_us = rate(procs, size, loops, trials, args.start_method)
            steps = max(size, procs) * loops
            print(f"{label:<12}{procs:>6}{size:>10,}{loops:>7}{per_s:>11,.0f}{us:>10,.0f}"
                  f"{parent_us:>17,.0f}{1000 * us / steps:>17,.0f}")


if __name__ == "__main__":
    main()
