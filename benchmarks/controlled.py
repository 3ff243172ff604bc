"""What the controlled scheduler costs: a controlled trial against a free-running one.

The seeds' locked increment (two processes, five elements, fifty passes, the array's lock
around each `+= 1`; bundled as scenarios/seed000_element_lock.yaml) is run in rounds, each
round one batch of trials free-running (`--inject none`) and one batch under each controlled
search (pct, random, directed: the default), interleaved in one process so the machine's load hits both alike. Printed per side:
milliseconds per trial (min and median over the rounds), and under control the scheduling
points per second, the switches between workers per second, and the median ratio of a
controlled trial to a free-running one (issue 14's target for PCT: at most 5x).

    python benchmarks/controlled.py [--rounds 7] [--trials 40] [--start-method fork]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from harness.execute import execute  # noqa: E402
from harness.load import load_scenario  # noqa: E402
from harness.plan import make_plan  # noqa: E402
from harness.settings import RunOptions, resolve  # noqa: E402

SCENARIO = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scenarios",
                        "seed000_element_lock.yaml")


def batch(scenario, plan, method: str, trials: int, inject: str, strategy: str = "pct") -> tuple[float, int, int]:
    """(seconds per trial, points, switches) of one batch; the workers' start-up is left out
    (the first trial starts them and is not timed)."""
    options = RunOptions(seed=11, start_methods=(method,), trials=trials + 1, inject=inject, strategy=strategy)
    settings = resolve([scenario], options).jobs[0].settings
    points = switches = 0
    trials_seen = execute(plan, settings)
    try:
        next(trials_seen)
        began = time.perf_counter()
        for raw in trials_seen:
            if raw.schedule is not None:
                points += raw.schedule.steps
                switches += raw.schedule.switches
        elapsed = time.perf_counter() - began
    finally:
        trials_seen.close()
    return elapsed / trials, points, switches


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--start-method", default="fork")
    args = parser.parse_args()
    scenario = load_scenario(SCENARIO)
    plan = make_plan(scenario)
    sides = {"free": ("none", "pct"), "pct": ("controlled", "pct"), "random": ("controlled", "random"),
             "directed": ("controlled", "directed")}
    per_trial: dict = {name: [] for name in sides}
    rates: dict = {name: [] for name in sides}
    for _ in range(args.rounds):
        for name, (inject, strategy) in sides.items():
            seconds, points, switches = batch(scenario, plan, args.start_method, args.trials, inject, strategy)
            per_trial[name].append(seconds)
            span = seconds * args.trials
            rates[name].append((points / span, switches / span))
    print(f"{os.path.basename(SCENARIO)} under {args.start_method}: {args.rounds} rounds of {args.trials} trials, "
          f"load average {os.getloadavg()[0]:.1f}")
    free = statistics.median(per_trial["free"])
    for name, times in per_trial.items():
        line = f"  {name:7} ms/trial min {min(times) * 1e3:7.2f} median {statistics.median(times) * 1e3:7.2f}"
        if name != "free":
            ratios = [t / f for t, f in zip(times, per_trial["free"])]
            points = statistics.median(r[0] for r in rates[name])
            switches = statistics.median(r[1] for r in rates[name])
            line += (f"  x free: median {statistics.median(ratios):5.2f} (min {min(ratios):.2f})"
                     f"  points/s {points:,.0f}  switches/s {switches:,.0f}")
        print(line, flush=True)
    print(f"  (free-running median {free * 1e3:.2f} ms/trial)")


if __name__ == "__main__":
    main()
