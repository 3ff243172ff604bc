"""The smallest counterexample: a race a run found, shrunk to the fewest workers, loops,
elements and context switches that still show it (``harness run --shrink``).

Promise: :func:`shrink` takes a result whose example is a race (a lost update or a torn read,
a safe scenario's failure or a canary's detection) and the job that ran it. It first shrinks
the scenario, greedily, while a short controlled search (the ``directed`` strategy) still shows
the same kind of race: a group fewer, fewer processes in a group, fewer loops, then a window
of the array around the index that raced (built-in operations only, and only when the model
computes the expected array: an explicit ``expect.final`` or a call worker's own indices would
make a smaller array mean something else). Then it shrinks the failing trial's schedule to the
fewest context switches that still fail (:func:`harness.search.shrink.shrink_schedule`, delta
debugging over the runs of each actor), each candidate replayed exactly on fresh processes.
What it returns, :class:`Shrunk`, holds the smallest scenario as YAML (with its replay command
in a comment, for ``NAME.min.yaml`` beside the original) and the result of its failing
trial, whose trace is the one to print. Nothing here writes a file; the shells do.
"""

from __future__ import annotations

import copy
import os

from .records import record

RACES = ("lost_update", "torn_read")
SEARCH_TRIALS = 20  # a candidate scenario's directed search: its races show in the first few
MAX_CANDIDATES = 40  # scenario candidates tried in all
MAX_REPLAYS = 200  # schedule candidates replayed in all


@record(frozen=True)
class Shrunk:
    path: str  # NAME.min.yaml beside the original
    text: str  # its YAML, the replay command in a comment
    result: object  # ScenarioResult of the shrunk failure replayed: its example has the trace
    replay: str  # the shrunk failure's replay token
    workers: int
    elements: int
    loops: int
    switches: int  # context switches of the shrunk schedule
    was: dict  # the same numbers before
    trials: int  # trials spent shrinking


def shrinkable(result) -> bool:
    return bool(result.example) and result.example.get("kind") in RACES and not result.error


def shrink(result, scenario, settings, run_scenario) -> Shrunk | None:
    """The smallest example of ``result``'s race (None when it does not show again under
    control: a race only timing injection reaches, inside code the scheduler cannot see).
    ``run_scenario``: the public API's (:func:`harness.api.run_scenario`), which runs each
    candidate."""
    import yaml

    kind = result.example["kind"]
    with open(scenario.path, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    search = _Search(kind, settings, _min_path(scenario.path), run_scenario)
    found = search.fails(data)
    if found is None:
        return None
    was = _numbers(data)
    data, found = _shrink_scenario(data, found, search)
    return _shrink_schedule(scenario, data, found, search, was)


class _Search:
    """Runs a candidate scenario under control and says whether its race showed."""

    def __init__(self, kind: str, settings, path: str, run_scenario):
        self.kind, self.settings, self.path = kind, settings, path
        self.run_scenario = run_scenario
        self.trials = 0

    def scenario(self, data: dict):
        import yaml

        from .load import load_text

        return load_text(yaml.safe_dump(data, sort_keys=False), self.path)

    def fails(self, data: dict):
        """The result of a directed search of ``data`` when it shows the race, else None."""
        from .errors import ScenarioError

        probe = copy.deepcopy(data)
        probe.setdefault("expect", {})["anomaly"] = self.kind  # stop at the first trial showing it
        try:
            scenario = self.scenario(probe)
        except ScenarioError:
            return None
        result = self.run(scenario, SEARCH_TRIALS, follow=None)
        return result if result.outcomes.get(self.kind) and result.example else None

    def settings_for(self, trials: int, follow):
        """The job's settings under control: a directed search, or one replay of ``follow``."""
        from .messages import TimingSpec
        from .settings import ScenarioSettings

        s = self.settings
        timing = TimingSpec("controlled", s.timing.probability, s.timing.max_delay_us, "directed", s.timing.depth)
        first = follow.trial if follow is not None else 1
        seed = follow.seed if follow is not None else s.seed
        return ScenarioSettings(s.start_method, trials, seed, first, s.timeout_s, True, timing,
                                follow is not None, follow)

    def run(self, scenario, trials: int, follow):
        result = self.run_scenario(scenario, self.settings_for(trials, follow))
        self.trials += result.trials_run
        return result


def _shrink_scenario(data: dict, found, search: _Search):
    """Greedy: the first candidate that still fails is kept, and its own candidates tried."""
    tried = 0
    improved = True
    while improved and tried < MAX_CANDIDATES:
        improved = False
        for candidate in candidates(data, found.example):
            tried += 1
            result = search.fails(candidate)
            if result is not None:
                data, found, improved = candidate, result, True
                break
            if tried >= MAX_CANDIDATES:
                break
    return data, found


def candidates(data: dict, example: dict):
    """Smaller scenarios, the biggest cuts first. An explicit ``expect.final`` holds for the
    scenario as written: fewer groups, processes or loops would fail against it without any
    race, so such a scenario keeps them (only its schedule shrinks)."""
    if (data.get("expect") or {}).get("final") is not None:
        return
    groups = data.get("workers") or []
    for g in range(len(groups)):
        if len(groups) > 1:
            yield _with(data, lambda d, g=g: d["workers"].pop(g))
    for g, group in enumerate(groups):
        count = group.get("count", 1)
        for fewer in sorted({1, count - 1}):
            if 1 <= fewer < count:
                yield _with(data, lambda d, g=g, n=fewer: _set_count(d["workers"][g], n))
    for g, group in enumerate(groups):
        loops = group.get("loops", 1)
        for fewer in sorted({1, loops // 2}):
            if 1 <= fewer < loops:
                yield _with(data, lambda d, g=g, n=fewer: d["workers"][g].__setitem__("loops", n))
    yield from _windows(data, example)


def _with(data: dict, change) -> dict:
    out = copy.deepcopy(data)
    change(out)
    return out


def _set_count(group: dict, n: int) -> None:
    group["count"] = n
    for each in ("args_each", "kwargs_each"):  # one entry per process
        if isinstance(group.get(each), list):
            group[each] = group[each][:n]


def _size(data: dict) -> int:
    array = data.get("array") or {}
    init = array.get("init")
    return len(init) if isinstance(init, list) else int(array.get("size", 0) or 0)


def _windows(data: dict, example: dict):
    """The array cut to one or two elements at the index that raced, each group's range cut
    to match (a group left with nothing is dropped)."""
    groups = data.get("workers") or []
    expect = data.get("expect") or {}
    if expect.get("final") is not None or any(g.get("op") == "call" or g.get("partition") for g in groups):
        return
    size = _size(data)
    indices = example.get("indices") or [0]
    first = min(int(i) for i in indices)
    for width in (1, 2):
        start = max(0, min(first, size - width))
        if width < size:
            yield _window(data, start, start + width)


def _window(data: dict, start: int, stop: int) -> dict:
    out = copy.deepcopy(data)
    array = out["array"]
    if isinstance(array.get("init"), list):
        array["init"] = array["init"][start:stop]
    else:
        array["size"] = stop - start
    kept = []
    for group in out["workers"]:
        lo, hi = group.get("range", [0, _size(data)])
        lo, hi = max(lo, start), min(hi, stop)
        if lo < hi:
            if "range" in group or (lo, hi) != (start, stop):
                group["range"] = [lo - start, hi - start]
            kept.append(group)
    out["workers"] = kept
    return out


def _shrink_schedule(scenario, data: dict, found, search: _Search, was: dict) -> Shrunk:
    """The failing trial's switches, folded while the race still shows; the smallest replayed."""
    from .controlled import shape_of
    from .plan import make_plan
    from .scheduler import token
    from .search.shrink import context_switches, shrink_schedule

    small = search.scenario(data)
    shape = shape_of(make_plan(small))
    made = token.decode(found.example["replay"])
    switches, steps = _switches_of(small, search, made)

    def replay(candidate):
        forced = token.decode(token.encode(candidate, shape, made.seed, made.trial))
        result = search.run(small, 1, forced)
        ran = token.decode(result.example["replay"]).switches if result.example and "replay" in result.example \
            else candidate
        return bool(result.outcomes.get(search.kind)), ran

    best, _ = shrink_schedule(switches, steps, replay, budget=MAX_REPLAYS)
    final_token = token.encode(best, shape, made.seed, made.trial)
    final = search.run(small, 1, token.decode(final_token))
    if not final.outcomes.get(search.kind):  # the code did not repeat it: keep what was seen to fail
        best, final_token = switches, found.example["replay"]
        final = search.run(small, 1, made)
    return _shrunk(scenario, data, search, final, final_token, context_switches(best), was)


def _switches_of(small, search: _Search, made):
    """The switches a strategy-made trial really ran, and its steps: run it again under control."""
    from .execute import execute
    from .plan import make_plan

    trials = execute(make_plan(small), search.settings_for(1, made))
    try:
        raw = next(trials)
        search.trials += 1
        return tuple(raw.schedule.ran()), raw.schedule.steps
    finally:
        trials.close()


def _numbers(data: dict) -> dict:
    groups = data.get("workers") or []
    return {"workers": sum(g.get("count", 1) for g in groups), "elements": _size(data),
            "loops": max((g.get("loops", 1) for g in groups), default=1)}


def _min_path(path: str) -> str:
    root, _ = os.path.splitext(path)
    return root + ".min.yaml"


def _shrunk(scenario, data: dict, search: _Search, final, final_token: str, switches: int, was: dict) -> Shrunk:
    import yaml

    path = _min_path(scenario.path)
    numbers = _numbers(data)
    out = copy.deepcopy(data)
    if out.get("name"):
        out["name"] = f"{out['name']}-min"
    words = (f"{numbers['workers']} workers, {numbers['elements']} element(s), {numbers['loops']} loop(s), "
             f"{switches} context switch(es)")
    header = (f"# Shrunk by `harness run --shrink` from {os.path.basename(scenario.path)}: {words}.\n"
              f"# The smallest failing interleaving, replayed exactly:\n"
              f"#   harness run {path} --start-method {search.settings.start_method} --replay {final_token}\n")
    text = header + yaml.safe_dump(out, sort_keys=False)
    return Shrunk(path, text, final, final_token, numbers["workers"], numbers["elements"], numbers["loops"],
                  switches, was, search.trials)
