"""Stage 2, plan: a scenario's groups expanded into processes, and where they can race.

Promise: :func:`make_plan` is pure and deterministic. It gives every process its index range
(``partition`` splits a range into contiguous chunks, the first ones one longer when it does
not divide), the expected final array (from :mod:`harness.model`), and every pair of groups
that touch a common index, with whether they can race under their lock policies and why.
"""

from __future__ import annotations


from .messages import ProcessSpec
from .model import Expectation, expected_final
from .ops import Role, op_of
from .points import LOCK_OF_PLACEHOLDER
from .records import record
from .scenario import Scenario, WorkerGroup


@record(frozen=True)
class Conflict:
    """Two groups (or one group with itself) touching the same indices."""

    first: str
    second: str
    start: int
    stop: int
    kind: str  # "lost_update" | "torn_read" | "order" | "none"
    can_race: bool
    reason: str


@record(frozen=True)
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
    """Each process's range: the group's, or its chunk of it (partition)."""
    if group.partition:
        return split(group.start, group.stop, group.count)
    return [(group.start, group.stop)] * group.count


def _lock_words(g: WorkerGroup) -> str:
    return f"'{g.name}' ({g.op}, lock: {g.lock})"


def _sole_writer(writer: WorkerGroup, reader: WorkerGroup, scenario: Scenario) -> bool:
    """One process writes each index the reader reads: no other writing group overlaps the
    reader, and the writer's own processes do not overlap each other."""
    if writer.count > 1 and not writer.partition:
        return False
    return not any(g is not writer and g.writes and g.start < reader.stop and reader.start < g.stop
                   for g in scenario.workers)


def _classify(a: WorkerGroup, b: WorkerGroup, scenario: Scenario) -> tuple[str, bool, str]:
    oa, ob = op_of(a.op), op_of(b.op)
    if oa.user_code or ob.user_code:
        return "any", True, (oa if oa.user_code else ob).user_code_reason(alone=False)
    if oa.role is Role.READER and ob.role is Role.READER:
        return "none", False, "both only read"
    if Role.READER in (oa.role, ob.role):
        reader, writer = (a, b) if oa.role is Role.READER else (b, a)
        return _classify_read(reader, writer, scenario)
    if oa.rmw or ob.rmw:
        return _classify_rmw(a, b, scenario.array.lock)
    return "order", False, "both only overwrite: the last write wins and every order's result is accepted"


def _classify_read(reader: WorkerGroup, writer: WorkerGroup, scenario: Scenario) -> tuple[str, bool, str]:
    array = scenario.array
    rop, wop = op_of(reader.op), op_of(writer.op)
    check = reader.params.check
    if check == "monotonic" and wop.only_grows(writer, array) and _sole_writer(writer, reader, scenario):
        return "torn_read", False, (f"{_lock_words(writer)} only makes values grow, so no read, torn or "
                                    "not, sees one go down")
    if not array.lock:
        return "torn_read", True, "a lock: false array has no lock: a read can see any mix of writes"
    read_ok = rop.pass_atomic(reader, array.lock)
    unit = wop.unit_of_atomicity() if check == "sum" else "pass"
    if unit == "pass":
        write_ok = wop.pass_atomic(writer, True if check == "sum" else array.lock)
    else:  # a sum needs each step whole, not each pass
        write_ok = wop.step_atomic(writer, array.lock)
    if read_ok and write_ok:
        return "torn_read", False, (f"the read is atomic under the array lock and each {unit} of "
                                    f"{_lock_words(writer)} holds the lock")
    why = []
    if not read_ok:
        why.append(f"{_lock_words(reader)} reads element by element, taking the lock per element")
    if not write_ok:
        why.append(f"{_lock_words(writer)} does not hold the lock across a whole {unit}")
    return "torn_read", True, "; ".join(why)


def _classify_rmw(a: WorkerGroup, b: WorkerGroup, array_lock: bool) -> tuple[str, bool, str]:
    oa, ob = op_of(a.op), op_of(b.op)
    if oa.step_atomic(a, array_lock) and ob.step_atomic(b, array_lock):
        return "lost_update", False, "every read-modify-write step holds the array lock"
    if not array_lock:
        return "lost_update", True, "a lock: false array has no lock: read-modify-write steps interleave"
    rmw = a if oa.rmw and not oa.step_atomic(a, True) else b
    return "lost_update", True, (f"{_lock_words(rmw)}: arr[i] = arr[i] + v is a read and a write, "
                                 "two lock acquisitions; another write can land between them")


def _overlap(r1: tuple[int, int], r2: tuple[int, int]) -> tuple[int, int] | None:
    lo, hi = max(r1[0], r2[0]), min(r1[1], r2[1])
    return (lo, hi) if lo < hi else None


def find_conflicts(scenario: Scenario) -> list[Conflict]:
    out = []
    groups = scenario.workers
    size = scenario.array.size
    for i, a in enumerate(groups):
        for b in groups[i:]:
            if not (a.writes or b.writes):
                continue
            op = op_of(a.op)
            if a is b and op.user_code and a.count == 1:  # one process: its threads may race
                out.append(Conflict(a.name, a.name, 0, size, "any", True, op.user_code_reason(alone=True)))
                continue
            ra, rb = op.reach(group_ranges(a), size), op_of(b.op).reach(group_ranges(b), size)
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


def make_plan(scenario: Scenario) -> Plan:
    conflicts = find_conflicts(scenario)
    hot_by_group: dict[str, list[tuple[int, int]]] = {}
    for c in conflicts:
        if c.can_race:
            for g in {c.first, c.second}:
                hot_by_group.setdefault(g, []).append((c.start, c.stop))
    processes = []
    for g in scenario.workers:
        op = op_of(g.op)
        for k, (start, stop) in enumerate(group_ranges(g)):
            processes.append(ProcessSpec(
                worker=len(processes), group=g.name, index=k, op=g.op, start=start, stop=stop,
                loops=g.loops, lock=g.lock, think_us=g.think_us, typecode=scenario.array.typecode,
                base_dir=scenario.base_dir, hot=tuple(hot_by_group.get(g.name, ())),
                params=op.process_params(g, k, start, stop, scenario),
            ))
    used = set().union(*(op_of(p.op).shared_locks(p) for p in processes))
    locks = tuple(name for name in LOCK_OF_PLACEHOLDER if name in used)
    return Plan(scenario, tuple(processes), expected_final(scenario, processes), tuple(conflicts), locks)
