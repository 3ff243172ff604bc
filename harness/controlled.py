"""The executor's controlled trials: a worker set's scheduler session, and what a deadlock
comes to.

Promise: :func:`new_session` makes the :class:`~harness.session.Session` of one
worker set under the ``controlled`` policy: its replay token's switches when the run replays
one (refused, as a :class:`ReplayError`, when the token was made for another scenario), its
shape fingerprint, and a first guess at a trial's steps for PCT's change points (later trials
use the last trial's count). :func:`deadlock_anomaly` turns who waited for what into the
``deadlock`` outcome naming each process (and thread), the lock it waits for and who holds it;
when the holder had already ended, the trial is the crash a free run would show: a worker's
code returned still holding a lock.
"""

from __future__ import annotations

import os

from .anomalies import Anomaly
from .errors import HarnessError
from .ops import op_of


class ReplayError(HarnessError):
    """A replay token that does not fit the scenario."""


def shape_of(plan) -> int:
    """What a schedule depends on: the processes, their operations and ranges, the array."""
    from .scheduler.token import fingerprint

    array = plan.scenario.array
    groups = tuple(f"{p.group}:{p.op}:{p.start}:{p.stop}:{p.loops}" for p in plan.processes)
    return fingerprint(len(plan.processes), array.typecode, array.size, groups)


def first_estimate(plan) -> int:
    """Steps a trial may take, before one has run: an element step is two points, and a call
    worker's code is guessed to touch the whole array twice."""
    size = plan.scenario.array.size
    return sum(4 * size if op_of(p.op).user_code else 2 * p.loops * (p.stop - p.start) + 2
               for p in plan.processes)


def new_search(settings, nprocs: int = 0):
    """The search over schedules a run's controlled trials follow (None: not controlled, or a
    replay, which follows its token): one per scenario and start method, whatever worker sets
    come and go; its shard's part of the search, for ``nprocs`` processes."""
    if settings.timing.policy not in ("controlled", "mixed") or settings.follow is not None:
        return None
    from .search import make_search

    search = make_search(settings.timing.strategy, settings.timing.depth, settings.shard, nprocs)
    if settings.timing.policy == "mixed":
        from .search.mixed import MixedSearch

        return MixedSearch(search)
    return search


def certificate_of(result, settings, search) -> dict | None:
    """What a safe scenario's clean trials covered (:mod:`harness.search.certificate`); None
    for a canary, a replay, a run that could not start, and trials that were not all clean."""
    if result.is_canary or settings.replay or result.error or not result.trials_run:
        return None
    if result.outcomes["ok"] != result.trials_run:
        return None
    from .search import certificate

    if search is not None:
        made = search.certificate(result.trials_run)
        return certificate.interrupted(made) if result.interrupted else made

    return certificate.sampled("timing" if settings.timing.policy == "random" else "free", result.trials_run)


def new_session(ctx, plan, settings, dump_stack, search):
    from .session import Session

    replay = settings.follow
    if replay is not None and replay.shape != shape_of(plan):
        raise ReplayError(f"{plan.scenario.path}: the replay token was made for another scenario (or the "
                          "scenario's workers, ranges or array changed since); rerun it to get a new token")
    return Session(ctx, len(plan.processes), settings.timing, shape_of(plan), first_estimate(plan), replay,
                   dump_stack, search=search)


def who_name(plan, actor: tuple[int, int]) -> str:
    """``group[index]`` of a (worker, thread) pair, with ``thread N`` for a thread it started."""
    worker, thread = actor
    p = plan.processes[worker]
    return f"{p.group}[{p.index}]" + (f" thread {thread}" if thread else "")


def deadlock_anomaly(plan, blocked: list[dict]) -> Anomaly:
    waiting = {tuple(b["actor"]) for b in blocked}
    rows = []
    for b in blocked:
        waits = b["waits_for"] if "joins" not in b else f"{who_name(plan, b['joins'])} to end"
        rows.append({"process": who_name(plan, b["actor"]), "thread": b["actor"][1], "waits_for": waits,
                     "held_by": who_name(plan, b["held_by"]) if b["held_by"] else None})
    ended = [(r, b) for r, b in zip(rows, blocked) if b["held_by"] and tuple(b["held_by"]) not in waiting]
    if ended:
        row, b = ended[0]
        return Anomaly("crash", {"worker": b["held_by"][0], "group": plan.processes[b["held_by"][0]].group,
                                 "lock_held": True, "error": (
            f"{row['held_by']}'s code returned from its trial still holding {row['waits_for']} (an acquire "
            f"without its release), and {row['process']} waits for it; the next trial gets a fresh array "
            "and locks")})
    text = "; ".join(f"{r['process']} waits for {r['waits_for']}" + (f", held by {r['held_by']}" if r["held_by"] else "")
                     for r in rows)
    return Anomaly("deadlock", {"error": f"every worker waits: {text}", "blocked": rows})


class Locations:
    """The user's ``file:line`` (and the line's code) of a traced location: the file is found
    again by its id among the call targets' modules and the Python files beside the scenario."""

    def __init__(self, plan):
        self._plan = plan
        self._files: dict | None = None

    def _candidates(self) -> list[str]:
        import glob
        import os
        import sys

        folders = [os.path.dirname(os.path.abspath(self._plan.scenario.path)), os.getcwd()]
        files = [f for folder in folders for f in sorted(glob.glob(os.path.join(folder, "*.py")))]
        files += [getattr(m, "__file__", None) or "" for m in list(sys.modules.values())]
        for p in self._plan.processes:
            call = getattr(p.params, "call", None)
            if call:
                files.append(_module_file(call.partition(":")[0], folders))
        return [f for f in files if f]

    def __call__(self, location: int) -> str | None:
        from .frames import LINE_BITS, file_id

        if self._files is None:
            self._files = {}
            for name in self._candidates():
                for variant in {name, os.path.abspath(name)}:
                    self._files.setdefault(file_id(variant), variant)
        path = self._files.get(location >> LINE_BITS)
        line = location & ((1 << LINE_BITS) - 1)
        if path is None:
            return f"?:{line}"
        return f"{_shown(path)}:{line}"

    def code(self, where: str | None) -> str | None:
        import linecache

        if not where or where.startswith("?:"):
            return None
        name, _, line = where.rpartition(":")
        text = linecache.getline(name, int(line)).strip()
        return text or None


def _module_file(module: str, folders: list[str]) -> str:
    """The file of a call target's module, found without importing it (its folder first)."""
    import importlib.util
    import sys

    saved = list(sys.path)
    sys.path[:0] = folders
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        spec = None
    finally:
        sys.path[:] = saved
    return spec.origin if spec is not None and spec.origin else ""


def _shown(path: str) -> str:
    """A path relative to the current directory when it is below it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith(".." + os.sep) else rel


def describe_schedule(plan, schedule, failures, locations: Locations) -> dict:
    """A failed trial's replay token and the trace of its first race (or its last steps)."""
    from .scheduler.trace import explain

    out: dict = {}
    if schedule.replay:
        out["replay"] = schedule.replay
    entries, dropped = schedule.trace()
    race = next((a for a in failures if a.kind in ("lost_update", "torn_read")), failures[0])
    typecode = plan.scenario.array.typecode

    def who(actor):
        worker, thread = schedule.who(actor)
        return (worker, who_name(plan, (worker, 0))), thread

    def builtin(actor):
        p = plan.processes[schedule.who(actor)[0]]
        return None if op_of(p.op).user_code else (p.start, p.stop)

    rows = explain(entries, dropped, race, who, locations, typecode, builtin)
    for row in rows:
        row["code"] = locations.code(row["location"])
    out["trace"] = rows
    if schedule.diverged:
        out["diverged"] = True
    return out
