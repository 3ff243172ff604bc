"""Trials per second: the harness against the loop users write by hand.

The baseline is what the seeds do: a fresh Array and fresh processes for every trial,
started and joined. The harness runs the same scenario (two processes, five elements, one
locked pass each) as one whole `harness run` command, start-up included, with timing
injection off. Both run in this one process of this script, on this machine, one after
the other. Prints trials per second and the ratio, per start method.

    python benchmarks/throughput.py [--harness-trials N] [--seconds S]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time

from _common import harness_command, scenario_file, timed_command

SCENARIO = """\
name: bench-throughput
array: {typecode: i, size: 5}
workers:
  - {name: adder, count: 2, op: add, loops: 1, lock: element}
"""
TARGETS = {"fork": 20, "spawn": 150, "forkserver": None}


def work(arr, loops):
    for _ in range(loops):
        for i in range(len(arr)):
            with arr.get_lock():
                arr[i] += 1


def baseline(method: str, seconds: float) -> float:
    """Fresh array and processes per trial, as in the seeds; trials per second."""
    ctx = mp.get_context(method)
    began, trials = time.perf_counter(), 0
    while time.perf_counter() - began < seconds or trials < 3:
        arr = ctx.Array("i", 5)
        procs = [ctx.Process(target=work, args=(arr, 1)) for _ in range(2)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(30)
        if list(arr) != [2] * 5:
            sys.exit("baseline: wrong result")
        trials += 1
    return trials / (time.perf_counter() - began)


def harness_rate(method: str, trials: int) -> float:
    path = scenario_file(SCENARIO)
    elapsed, out = timed_command(harness_command("run", path, "--no-inject", "--seed", "1", "--trials",
                                                 str(trials), "--start-method", method, "--no-progress"))
    if f"{trials}/{trials} trials" not in out:
        sys.exit(f"harness did not run every trial:\n{out}")
    return trials / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--harness-trials", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=3.0, help="time spent on each baseline")
    parser.add_argument("--start-method", action="append", choices=list(TARGETS))
    args = parser.parse_args()
    print(f"{'method':<11}{'baseline trials/s':>19}{'harness trials/s':>18}{'ratio':>9}{'target':>9}")
    for method in args.start_method or ["fork", "spawn"]:
        base = baseline(method, args.seconds)
        ours = harness_rate(method, args.harness_trials)
        target = TARGETS[method]
        ratio = ours / base
        mark = "" if target is None else (f"{target}x " + ("met" if ratio >= target else "MISSED"))
        print(f"{method:<11}{base:>19,.1f}{ours:>18,.0f}{ratio:>8,.0f}x {mark:>9}")


if __name__ == "__main__":
    main()
