"""Start-up: the whole `harness` command, from start to verdict, against what it replaces.

Two comparisons, each measured side by side and interleaved (A, B, C, A, B, C, ... with the
order turning each round) so that a machine whose speed drifts slows all alike; each command
is a whole process, interpreter start included:

1. `harness run CANARY` (the console script, fork, the default settings: timing injection on,
   stop at the first detection) against a hand-written fork loop that looks for the same race
   the way the seeds teach: a fresh Array and fresh processes every trial, start, join, then
   check the final array (lost_update) or the reader's snapshots (torn_read), until the race
   shows. One row per bundled canary that such a loop can check (a loop cannot see inside a
   call worker's reads, so the two call canaries that expect torn_read are left out). Target:
   the median over the canaries of (harness median / loop median) at most 0.75.
2. `harness validate FILE` against `python -c 'import yaml'`. Target: at most 2.5x.

What is measured is what a user sees from the second run of an unchanged file on: the
parsed-scenario cache (`.harness_cache/scenarios`, harness.scenario_cache) already holds the
file, as one untimed run per canary leaves it, so the run imports neither PyYAML nor the
checks. So that nothing is hidden, each round also times the cold path (the cache emptied
before each such run, outside the timing: a first run, or the first after an edit) and the
tables show both; the targets are judged on the warm path. Each kind of run has its own
temporary working folder, so its `.harness_cache` is its own.

The harness package is byte-compiled first, as any installed package is after its first
import (with PYTHONDONTWRITEBYTECODE set, Python would otherwise compile it on every start).

With ``--floor``, each canary's row also shows two limits, as ratios to the loop:

- floor: the interpreter's own start (``python -c pass``) plus the same run inside a process
  that has already imported everything and run the canary once (what a resident server would
  serve): what no start-up work of the harness's could go below.
- bound: the loop's own time less its trials after the first (the loop prints how long they
  took), that is a fresh interpreter, multiprocessing's import, one Array, one fork of each
  process, one run of the scenario's code as written and the joins. Any tool that runs the
  scenario's processes needs at least that, whatever it imports or schedules; on a canary the
  loop finds in its first trial this bound is the loop itself (1.00). A median bound above the
  target means no tool can meet the target on these canaries.

    python benchmarks/startup.py [--rounds N] [--loop-cap-s S] [--canary PATH ...] [--floor]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from _common import ROOT

from harness.load import load_all
from harness.messages import FrozenMap
from harness.plan import make_plan

HARNESS = os.path.join(os.path.dirname(sys.executable), "harness")
RUN_TARGET, VALIDATE_TARGET = 0.75, 2.5
# what a user writes: no harness, nothing but multiprocessing; run as `python loop.py SPEC`
LOOP = r'''
import importlib, json, multiprocessing as mp, sys, time

spec = json.load(open(sys.argv[1]))
cap_s = float(sys.argv[2])
INT_BITS = {"b": 8, "B": 8, "h": 16, "H": 16, "i": 32, "I": 32, "l": 64, "L": 64, "q": 64, "Q": 64}


class NoLock:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def broken(p, snap, prev):
    if p["check"] == "uniform":
        return snap.count(snap[0]) != len(snap)
    if p["check"] == "sum":
        bits = INT_BITS.get(spec["typecode"])
        if bits:
            return (sum(snap) - p["check_sum"]) % (1 << bits) != 0
        return abs(sum(snap) - p["check_sum"]) > (p["check_tolerance"] or 1e-9)
    return prev is not None and any(a < b for a, b in zip(snap, prev))


def steps(p, arr, torn):
    lock = arr.get_lock() if spec["lock"] and p["lock"] != "none" else None
    el, ps, wk = (lock if lock is not None and p["lock"] == scope else NoLock() for scope in ("element", "pass", "worker"))
    start, stop, value, op = p["start"], p["stop"], p["value"], p["op"]
    prev = None
    with wk:
        for n in range(1, p["loops"] + 1):
            with ps:
                if op == "add":
                    for i in range(start, stop):
                        with el:
                            arr[i] += value
                elif op in ("set", "stamp"):
                    v = n if op == "stamp" else value
                    if p["write"] == "slice":
                        with el:
                            arr[start:stop] = [v] * (stop - start)
                    else:
                        for i in range(start, stop):
                            with el:
                                arr[i] = v
                elif op == "transfer":
                    for i in range(start, stop):
                        j = i + 1 if i + 1 < stop else start
                        with el:
                            arr[i] -= value
                            arr[j] += value
                elif op == "snapshot":
                    if p["read"] == "slice":
                        with el:
                            snap = arr[start:stop]
                    else:
                        snap = []
                        for i in range(start, stop):
                            with el:
                                snap.append(arr[i])
                    if broken(p, snap, prev):
                        torn.value = 1
                    prev = snap
            if p["think_us"]:
                time.sleep(p["think_us"] / 1e6)


def call(p, arr, locks):
    if p["time_scale"] != 1:
        real = time.sleep
        time.sleep = lambda s: real(s * p["time_scale"])
    sys.path.insert(0, p["base_dir"])
    module, name = p["call"].split(":")
    subs = {"$array": arr, "$start": p["start"], "$stop": p["stop"], "$index": p["index"],
            "$worker": p["worker"], "$loops": p["loops"], "$value": p["value"], **locks}

    def thaw(v):
        if isinstance(v, str):
            return subs.get(v, v)
        if isinstance(v, list):
            return [thaw(x) for x in v]
        if isinstance(v, dict):
            return {k: thaw(x) for k, x in v.items()}
        return v

    getattr(importlib.import_module(module), name)(*thaw(p["args"]), **thaw(p["kwargs"]))


def process(p, arr, torn, locks):
    call(p, arr, locks) if p["op"] == "call" else steps(p, arr, torn)


def lost(arr):
    return any(values and not any(abs(arr[i] - v) <= tol for v in values)
               for i, (values, tol) in enumerate(spec["expect"]))


if __name__ == "__main__":
    ctx = mp.get_context("fork")
    began, trial = time.perf_counter(), 0
    want = spec["anomaly"]
    second = None  # when trial 2 began: what a tool that needs only one trial never spends
    while time.perf_counter() - began < cap_s:
        trial += 1
        if trial == 2:
            second = time.perf_counter()
        arr = ctx.Array(spec["typecode"], spec["init"], lock=spec["lock"])
        torn = ctx.RawValue("i", 0)
        locks = {"$lock": ctx.Lock(), "$rlock": ctx.RLock()}
        procs = [ctx.Process(target=process, args=(p, arr, torn, locks)) for p in spec["processes"]]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join()
        if any(proc.exitcode for proc in procs):
            sys.exit(f"a process failed in trial {trial}")
        if (want in ("lost_update", "any") and lost(arr)) or (want in ("torn_read", "any") and torn.value):
            print(f"found {trial} {time.perf_counter() - second if second else 0.0}")
            break
    else:
        print(f"missed {trial} {time.perf_counter() - second if second else 0.0}")
'''


def _plain(value):
    """Call arguments as JSON: the loop gets lists and dicts, as YAML wrote them."""
    if isinstance(value, FrozenMap):
        return {k: _plain(v) for k, v in value}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def loop_spec(scenario) -> dict | None:
    """What the hand-written loop needs: the array, each process, the accepted final values."""
    plan = make_plan(scenario)
    if scenario.expect.anomaly != "lost_update" and any(p.op == "call" for p in plan.processes):
        return None  # a torn read inside user code: no hand-written loop sees it
    fields = ("worker", "index", "op", "start", "stop", "loops", "value", "lock", "think_us", "write", "read",
              "check", "check_sum", "check_tolerance", "call", "time_scale", "base_dir")
    # each operation has only its own parameters (harness.ops): the others are None here
    processes = [{**{f: getattr(p, f, None) for f in fields}, "args": _plain(getattr(p, "args", ())),
                  "kwargs": _plain(getattr(p, "kwargs", ()))} for p in plan.processes]
    expect = [[list(e.values), e.tolerance] for e in plan.expectation.indices]
    return {"typecode": scenario.array.typecode, "init": list(scenario.array.init), "lock": scenario.array.lock,
            "anomaly": scenario.expect.anomaly, "processes": processes, "expect": expect}


def timed(args: list[str], cwd: str = ROOT) -> tuple[float, str]:
    began = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, cwd=cwd)
    elapsed = time.perf_counter() - began
    if done.returncode != 0:
        sys.exit(f"benchmark command failed ({done.returncode}): {' '.join(args)}\n{done.stdout}{done.stderr}")
    return elapsed, done.stdout


def interleaved(commands: dict, rounds: int, cold: str) -> dict:
    """Each command's wall times over ``rounds``, one of each per round, the order turning
    every round; "cold" runs in ``cold``, whose cache is emptied (untimed) before each."""
    times = {who: [] for who in commands}
    outputs = {who: [] for who in commands}
    names = list(commands)
    for n in range(rounds):
        for who in names[n % len(names):] + names[:n % len(names)]:
            args, cwd = commands[who]
            if cwd == cold:
                shutil.rmtree(os.path.join(cold, ".harness_cache"), ignore_errors=True)
            elapsed, out = timed(args, cwd)
            times[who].append(elapsed)
            outputs[who].append(out)
    return {who: (times[who], outputs[who]) for who in names}


def in_process(path: str, rounds: int, cwd: str) -> float:
    """The median time of `harness run PATH` inside this process, run from ``cwd``, after one
    untimed run: no interpreter start, no import, a warm scenario cache; its output is dropped."""
    import contextlib
    import io

    from harness.cli import main as harness_main

    times, here = [], os.getcwd()
    for n in range(rounds + 1):
        os.chdir(cwd)  # its .harness_cache is the warm runs' own (contextlib.chdir is 3.11+)
        began = time.perf_counter()
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                status = harness_main(["run", path, "--start-method", "fork"])
        finally:
            os.chdir(here)
        if status != 0:
            sys.exit(f"benchmark command failed ({status}) in process: harness run {path}")
        if n:
            times.append(time.perf_counter() - began)
    return statistics.median(times)


def loop_trials(outputs: list[str], times: list[float]) -> tuple[str, float]:
    """The loop's trials to detection (their median, "+" if a round missed) and, over the
    rounds, the median of its time less the trials after its first: what a tool that needs
    only one trial, and that runs the scenario's processes as written, cannot go below."""
    trials, once = [], []
    for out, elapsed in zip(outputs, times):
        word, count, rest_s = out.strip().splitlines()[-1].split()  # the call may print too
        trials.append(int(count) if word == "found" else f">{count}")
        once.append(elapsed - float(rest_s))
    found = [t for t in trials if isinstance(t, int)]
    shown = (f"{statistics.median(found):g}" if found else "") + ("+" if len(found) < len(trials) else "")
    return shown, statistics.median(once)


def compare_run(canaries, rounds: int, cap_s: float, folder: str, floor: bool = False) -> dict[str, list[float]]:
    """Per canary a loop can check, the ratios to the loop: "warm" and "cold" runs, and with
    ``floor`` the "floor" (interpreter start plus an in-process run) and the "bound" (the
    loop's own cold start and first trial: what any tool needs)."""
    loop_file = os.path.join(folder, "loop.py")
    with open(loop_file, "w") as f:
        f.write(LOOP)
    warm, cold = (os.path.join(folder, name) for name in ("warm", "cold"))
    os.makedirs(warm)
    os.makedirs(cold)
    print(f"{'canary':<46}{'harness s':>10}{'cold s':>8}{'loop s':>8}{'loop trials':>13}{'ratio':>7}{'cold':>6}"
          + (f"{'floor s':>9}{'floor':>7}{'1 trial s':>11}{'bound':>7}" if floor else ""))
    ratios: dict[str, list[float]] = {"warm": [], "cold": [], "floor": [], "bound": []}
    bare = statistics.median(timed([sys.executable, "-c", "pass"])[0] for _ in range(max(rounds, 5))) if floor else 0
    for scenario in canaries:
        spec = loop_spec(scenario)
        if spec is None:
            print(f"{scenario.name:<46}{'(left out: a torn read inside user code)':>40}")
            continue
        spec_file = os.path.join(folder, f"{scenario.name}.json")
        with open(spec_file, "w") as f:
            json.dump(spec, f)
        harness = [HARNESS, "run", os.path.abspath(scenario.path), "--start-method", "fork"]
        timed(harness, warm)  # the first run: it leaves the file in the cache
        got = interleaved({"harness": (harness, warm), "loop": ([sys.executable, loop_file, spec_file, str(cap_s)], ROOT),
                           "cold": (harness, cold)}, rounds, cold)
        shown, once = loop_trials(got["loop"][1], got["loop"][0])
        ours, theirs, first = (statistics.median(got[who][0]) for who in ("harness", "loop", "cold"))
        least = bare + in_process(os.path.abspath(scenario.path), rounds, warm) if floor else 0
        for name, seconds in (("warm", ours), ("cold", first), ("floor", least), ("bound", once)):
            ratios[name].append(seconds / theirs)
        print(f"{scenario.name:<46}{ours:>10.3f}{first:>8.3f}{theirs:>8.3f}{shown:>13}{ours / theirs:>7.2f}"
              f"{first / theirs:>6.2f}" + (f"{least:>9.3f}{least / theirs:>7.2f}{once:>11.3f}{once / theirs:>7.2f}"
                                           if floor else ""))
    return ratios


def compare_validate(path: str, rounds: int, folder: str) -> tuple[float, float]:
    """The warm and the cold ratio of `harness validate` to `import yaml`."""
    warm, cold = (os.path.join(folder, name) for name in ("validate-warm", "validate-cold"))
    os.makedirs(warm)
    os.makedirs(cold)
    validate = [HARNESS, "validate", os.path.abspath(path)]
    timed(validate, warm)
    got = interleaved({"warm": (validate, warm), "yaml": ([sys.executable, "-c", "import yaml"], ROOT),
                       "cold": (validate, cold)}, rounds, cold)
    ours, theirs, first = (got[who][0] for who in ("warm", "yaml", "cold"))
    print(f"harness validate {os.path.relpath(path, ROOT)}: median {statistics.median(ours):.3f} s "
          f"(cold cache {statistics.median(first):.3f} s); python -c 'import yaml': median {statistics.median(theirs):.3f} s")
    return (statistics.median(a / b for a, b in zip(ours, theirs)),
            statistics.median(a / b for a, b in zip(first, theirs)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--canary", action="append", help="a canary file (default: every bundled one)")
    parser.add_argument("--rounds", type=int, default=5, help="runs of each command per canary")
    parser.add_argument("--validate-rounds", type=int, default=20)
    parser.add_argument("--loop-cap-s", type=float, default=20.0, help="a loop still searching then counts as missed")
    parser.add_argument("--floor", action="store_true",
                        help="also time interpreter start plus an in-process run: what no start-up work goes below")
    args = parser.parse_args()
    if not os.path.exists(HARNESS):
        sys.exit(f"no harness console script beside {sys.executable}: pip install -e . first")
    compileall.compile_dir(os.path.join(ROOT, "harness"), quiet=1)
    canaries = [s for s in load_all(args.canary or [os.path.join(ROOT, "scenarios")]) if s.is_canary]
    with tempfile.TemporaryDirectory(prefix="harness-startup-") as folder:
        ratios = compare_run(canaries, args.rounds, args.loop_cap_s, folder, args.floor)
        median = statistics.median(ratios["warm"])
        print(f"harness run / hand-written fork loop, median over {len(ratios['warm'])} canaries: {median:.2f} "
              f"(target <= {RUN_TARGET}: {'met' if median <= RUN_TARGET else 'MISSED'}); "
              f"with a cold cache: {statistics.median(ratios['cold']):.2f}")
        if args.floor:
            least = statistics.median(ratios["floor"])
            print(f"floor (python -c pass + the run in a warm process) / loop, median: {least:.2f}: "
                  + ("start-up work alone could meet the target" if least <= RUN_TARGET else
                     "above the target, so no start-up work can meet it; the rest is the trials"))
            bound = statistics.median(ratios["bound"])
            print(f"bound (the loop's own start and first trial, what any tool that runs the scenario's processes "
                  f"needs) / loop, median: {bound:.2f}: "
                  + ("below the target" if bound <= RUN_TARGET else
                     "above the target, so no tool can meet it on these canaries, however it starts up"))
        ratio, cold_ratio = compare_validate(os.path.join(ROOT, "scenarios", "seed000_element_lock.yaml"),
                                             args.validate_rounds, folder)
    print(f"harness validate / import yaml, median of {args.validate_rounds} rounds: {ratio:.2f} "
          f"(target <= {VALIDATE_TARGET}: {'met' if ratio <= VALIDATE_TARGET else 'MISSED'}); "
          f"with a cold cache: {cold_ratio:.2f}")


if __name__ == "__main__":
    main()
