"""Stage 2, plan: a scenario's groups expanded into processes, and where they can race.

Promise: :func:`make_plan` is pure and deterministic. It gives every process its index range
(``partition`` splits a range into contiguous chunks, the first ones one longer when it does
not divide), the expected final array (from :mod:`harness.model`), and every pair of groups
that touch a common index, with whether they can race under their lock policies and why.
"""

from __future__ import annotations

from dataclasses import dataclass

from .checks import float_sum_tolerance
from .cvalues import CTYPES
from .messages import FrozenMap, ProcessSpec
from .model import Expectation, expected_final
from .scenario import Scenario, WorkerGroup
from .schema import LOCK_PLACEHOLDERS

RMW_OPS = ("add", "transfer")


@dataclass(frozen=True)
class Conflict:
    """Two groups (or one group with itself) touching the same indices."""

    first: str
    second: str
    start: int
    stop: int
    kind: str  # "lost_update" | "torn_read" | "order" | "none"
    can_race: bool
    reason: str


@dataclass(frozen=True)
class Plan:
    scenario: Scenario
    processes: tuple[ProcessSpec, ...]
    expectation: Expectation
    conflicts: tuple[Conflict, ...]
    locks: tuple[str, ...] = ()  # the shared locks call workers are given: "$lock", "$rlock"


def split(start: int, stop: int, count: int) -> list[tuple[int, int]]:
    """Contiguous chunks of [start, stop), as even as possible, the longer ones first."""
    n = stop - start
    base, extra = divmod(n, count)
    out, lo = [], start
    for k in range(count):
        hi = lo + base + (1 if k < extra else 0)
        out.append((lo, hi))
        lo = hi
    return out


def group_ranges(group: WorkerGroup) -> list[tuple[int, int]]:
    if group.partition:
        return split(group.start, group.stop, group.count)
    return [(group.start, group.stop)] * group.count


def _reach(group: WorkerGroup, size: int) -> list[tuple[int, int]]:
    """The indices each process of a group can touch: its range, or for user code (handed the
    whole array as $array) the whole array."""
    if group.op == "call":
        return [(0, size)] * group.count
    return group_ranges(group)


def _step_atomic(g: WorkerGroup, array_lock: bool) -> bool:
    """No other process's access can land inside one of g's element steps."""
    if not array_lock:
        return False
    if g.op in ("set", "stamp"):
        return True  # one access, and the array's own lock covers it
    return g.lock in ("element", "pass", "worker")


def _pass_atomic(g: WorkerGroup, array_lock: bool) -> bool:
    """No other process's access can land inside one of g's passes."""
    if not array_lock:
        return False
    if g.lock in ("pass", "worker"):
        return True
    if g.op in ("set", "stamp") and g.write == "slice":
        return True
    if g.op == "snapshot" and g.read == "slice":
        return True
    return False


def _lock_words(g: WorkerGroup) -> str:
    return f"'{g.name}' ({g.op}, lock: {g.lock})"


def _only_grows(writer: WorkerGroup, array) -> bool:
    """Every value the writer's process leaves is at least the one before, wrap-around
    included (other writers are _sole_writer's question)."""
    ct = CTYPES[array.typecode]
    if writer.op == "stamp":
        return writer.loops <= ct.hi and max(array.init[writer.start:writer.stop]) <= 1
    if writer.op == "add" and writer.value >= 0:
        total = writer.value * writer.loops * writer.count
        return max(array.init[writer.start:writer.stop]) + total <= ct.hi
    return False


def _sole_writer(writer: WorkerGroup, reader: WorkerGroup, scenario: Scenario) -> bool:
    """One process writes each index the reader reads: no other writing group overlaps the
    reader, and the writer's own processes do not overlap each other."""
    if writer.count > 1 and not writer.partition:
        return False
    return not any(g is not writer and g.writes and g.start < reader.stop and reader.start < g.stop
                   for g in scenario.workers)


def _classify(a: WorkerGroup, b: WorkerGroup, scenario: Scenario) -> tuple[str, bool, str]:
    array = scenario.array
    array_lock = array.lock
    if "call" in (a.op, b.op):
        return "any", True, "a call worker runs user code; the harness cannot see its locking"
    if a.op == "snapshot" and b.op == "snapshot":
        return "none", False, "both only read"
    if "snapshot" in (a.op, b.op):
        reader, writer = (a, b) if a.op == "snapshot" else (b, a)
        if reader.check == "monotonic" and _only_grows(writer, array) and _sole_writer(writer, reader, scenario):
            return "torn_read", False, (f"{_lock_words(writer)} only makes values grow, so no read, torn or "
                                        "not, sees one go down")
        if not array_lock:
            return "torn_read", True, "a lock: false array has no lock: a read can see any mix of writes"
        read_ok = _pass_atomic(reader, array_lock)
        if reader.check == "sum":
            write_ok = _step_atomic(writer, array_lock) if writer.op == "transfer" else _pass_atomic(writer, True)
            unit = "transfer step" if writer.op == "transfer" else "pass"
        else:
            write_ok, unit = _pass_atomic(writer, array_lock), "pass"
        if read_ok and write_ok:
            return "torn_read", False, (f"the read is atomic under the array lock and each {unit} of "
                                        f"{_lock_words(writer)} holds the lock")
        why = []
        if not read_ok:
            why.append(f"{_lock_words(reader)} reads element by element, taking the lock per element")
        if not write_ok:
            why.append(f"{_lock_words(writer)} does not hold the lock across a whole {unit}")
        return "torn_read", True, "; ".join(why)
    if a.op in RMW_OPS or b.op in RMW_OPS:
        if _step_atomic(a, array_lock) and _step_atomic(b, array_lock):
            return "lost_update", False, "every read-modify-write step holds the array lock"
        if not array_lock:
            return "lost_update", True, "a lock: false array has no lock: read-modify-write steps interleave"
        rmw = a if a.op in RMW_OPS and not _step_atomic(a, True) else b
        return "lost_update", True, (f"{_lock_words(rmw)}: arr[i] = arr[i] + v is a read and a write, "
                                     "two lock acquisitions; another write can land between them")
    return "order", False, "both only overwrite: the last write wins and every order's result is accepted"


def _overlap(r1: tuple[int, int], r2: tuple[int, int]) -> tuple[int, int] | None:
    lo, hi = max(r1[0], r2[0]), min(r1[1], r2[1])
    return (lo, hi) if lo < hi else None


THREADS_REASON = ("a call worker runs user code, which may start threads that race with each other; "
                  "the harness cannot see its locking")


def find_conflicts(scenario: Scenario) -> list[Conflict]:
    out = []
    groups = scenario.workers
    size = scenario.array.size
    for i, a in enumerate(groups):
        for b in groups[i:]:
            if not (a.writes or b.writes):
                continue
            if a is b and a.op == "call" and a.count == 1:  # one process: its threads may race
                out.append(Conflict(a.name, a.name, 0, size, "any", True, THREADS_REASON))
                continue
            ra, rb = _reach(a, size), _reach(b, size)
            if a is b:
                pairs = [(ra[x], ra[y]) for x in range(len(ra)) for y in range(x + 1, len(ra))]
            else:
                pairs = [(x, y) for x in ra for y in rb]
            spans = sorted({o for x, y in pairs if (o := _overlap(x, y))})
            if not spans:
                continue
            kind, can_race, reason = _classify(a, b, scenario)
            lo, hi = min(s[0] for s in spans), max(s[1] for s in spans)
            out.append(Conflict(a.name, b.name, lo, hi, kind, can_race, reason))
    return out


def _sum_tolerance(scenario: Scenario, start: int, stop: int) -> float | None:
    """For a float array: a torn sum is off by at least one transfer's value, so allow a
    quarter of the smallest one, but never less than rounding at the array's magnitude (a
    transfer smaller than that cannot be told from rounding at all)."""
    if scenario.array.typecode not in ("f", "d"):
        return None
    values = [abs(g.value) for g in scenario.workers
              if g.op == "transfer" and g.start < stop and start < g.stop and g.value]
    rounding = float_sum_tolerance(scenario.array.init[start:stop], scenario.array.typecode)
    return max(min(values) / 4, rounding) if values else rounding


def _call_arguments(g: WorkerGroup, k: int) -> tuple[tuple, tuple]:
    """Process k's (args, kwargs): args_each and kwargs_each give each process its own."""
    args = g.args_each[k] if g.args_each is not None else g.args
    kwargs = g.kwargs
    if g.kwargs_each is not None:
        own = dict(g.kwargs_each[k])
        kwargs = FrozenMap([(key, v) for key, v in kwargs if key not in own] + list(own.items()))
    return args, kwargs


def _placeholders_used(value) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, tuple):  # lists and FrozenMap pairs
        return set().union(*(_placeholders_used(v) for v in value)) if value else set()
    return set()


def make_plan(scenario: Scenario) -> Plan:
    conflicts = find_conflicts(scenario)
    hot_by_group: dict[str, list[tuple[int, int]]] = {}
    for c in conflicts:
        if c.can_race:
            for g in {c.first, c.second}:
                hot_by_group.setdefault(g, []).append((c.start, c.stop))
    processes = []
    for g in scenario.workers:
        for k, (start, stop) in enumerate(group_ranges(g)):
            args, kwargs = _call_arguments(g, k)
            check_sum = tolerance = None
            if g.check == "sum":
                check_sum = sum(scenario.array.init[start:stop])
                tolerance = _sum_tolerance(scenario, start, stop)
            processes.append(ProcessSpec(
                worker=len(processes), group=g.name, index=k, op=g.op, start=start, stop=stop,
                loops=g.loops, value=g.value, lock=g.lock, think_us=g.think_us, write=g.write,
                read=g.read, check=g.check, check_sum=check_sum, check_tolerance=tolerance,
                typecode=scenario.array.typecode,
                call=g.call, args=args, kwargs=kwargs, time_scale=g.time_scale,
                base_dir=scenario.base_dir, hot=tuple(hot_by_group.get(g.name, ())), check_on=g.check_on,
            ))
    used = set().union(*(_placeholders_used((p.args, p.kwargs)) for p in processes if p.op == "call"))
    locks = tuple(name for name in LOCK_PLACEHOLDERS if name in used)
    return Plan(scenario, tuple(processes), expected_final(scenario, processes), tuple(conflicts), locks)
