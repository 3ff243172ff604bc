"""The bundled safe seed scenarios at small sizes, verified exhaustively: how many distinct
interleavings each has, whether the search covered them all, and how long that took.

Each safe `seed*` scenario is cut to 2 processes (the first two of its groups' processes),
at most 3 elements (an `init` list is cut, ranges are cut to match) and at most 2 loops, then
run with `--inject controlled --strategy exhaustive` under one start method. An explicit
`expect.final` (the article scenarios', whose code takes the array's length and the loop
count as it is given) is cut with the array when all its values are equal, and scaled with
the loops when each value is a multiple of them (the articles' increments); otherwise that
scenario keeps its size or its loops.

    python benchmarks/exhaustive.py [--elements N] [--loops N] [--trials N] [--start-method M]
"""

from __future__ import annotations

import argparse
import copy
import glob
import os
import time

import yaml
from _common import ROOT

from harness.api import run_scenario
from harness.load import load_text
from harness.settings import RunOptions, resolve


def small(data: dict, elements: int, loops: int) -> dict:
    out = copy.deepcopy(data)
    final = (out.get("expect") or {}).get("final")
    kept, left = [], 2
    for group in out["workers"]:
        if left <= 0:
            break
        group["count"] = min(group.get("count", 1), left)
        left -= group["count"]
        for each in ("args_each", "kwargs_each"):
            if isinstance(group.get(each), list):
                group[each] = group[each][:group["count"]]
        kept.append(group)
    out["workers"] = kept
    _fewer_loops(out, kept, final, loops)
    calls = any(g.get("op") == "call" for g in kept)
    if final is not None and len(set(out["expect"]["final"])) != 1 or (calls and final is None):
        return out  # an array its code or its expected values cannot be cut with
    _fewer_elements(out, kept, elements)
    return out


def _fewer_loops(out: dict, kept: list, final, loops: int) -> None:
    old = max(g.get("loops", 1) for g in kept)
    if old <= loops:
        return
    if final is not None:
        if any(g.get("loops", 1) != old for g in kept) or any(v % old for v in final):
            return
        out["expect"]["final"] = [v // old * loops for v in final]
    for group in kept:
        group["loops"] = min(group.get("loops", 1), loops)


def _fewer_elements(out: dict, kept: list, elements: int) -> None:
    array = out["array"]
    if isinstance(array.get("init"), list):
        array["init"] = array["init"][:elements]
        size = len(array["init"])
    else:
        size = array["size"] = min(array.get("size", elements), elements)
    final = (out.get("expect") or {}).get("final")
    if final is not None:
        out["expect"]["final"] = final[:size]
    for group in kept:
        if "range" in group:
            lo, hi = group["range"]
            group["range"] = [min(lo, size - 1), max(min(hi, size), min(lo, size - 1) + 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elements", type=int, default=3)
    parser.add_argument("--loops", type=int, default=2)
    parser.add_argument("--trials", type=int, default=20000, help="the search's budget")
    parser.add_argument("--start-method", default="fork")
    args = parser.parse_args()
    paths = sorted(glob.glob(os.path.join(ROOT, "scenarios", "seed*.yaml")))
    print(f"{'scenario':<44}{'procs':>6}{'elems':>6}{'loops':>6}{'classes':>9}{'trials':>8}{'complete':>10}{'seconds':>9}")
    total = 0.0
    for path in paths:
        with open(path) as f:
            data = yaml.safe_load(f)
        if (data.get("expect") or {}).get("anomaly", "none") != "none":
            continue
        cut = small(data, args.elements, args.loops)
        scenario = load_text(yaml.safe_dump(cut, sort_keys=False), path)
        options = RunOptions(trials=args.trials, seed=1, start_methods=(args.start_method,), inject="controlled",
                             strategy="exhaustive")
        settings = resolve([scenario], options).jobs[0].settings
        began = time.perf_counter()
        result = run_scenario(scenario, settings)
        elapsed = time.perf_counter() - began
        total += elapsed
        cert = result.certificate or {}
        procs = sum(g.get("count", 1) for g in cut["workers"])
        elements = len(cut["array"].get("init") or []) or cut["array"].get("size")
        loops = max(g.get("loops", 1) for g in cut["workers"])
        print(f"{scenario.name[:42]:<44}{procs:>6}{elements:>6}{loops:>6}{cert.get('interleavings', '-'):>9}"
              f"{result.trials_run:>8}{str(cert.get('complete', result.verdict)):>10}{elapsed:>9.1f}", flush=True)
    print(f"total {total:.1f} s")


if __name__ == "__main__":
    main()
