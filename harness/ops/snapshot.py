"""``snapshot``: once a pass, read the whole range (one slice, or ``read: iterate`` element by
element) and check it: ``uniform``, ``sum`` or ``monotonic``. It writes nothing."""

from __future__ import annotations


from ..points import READ, span
from . import keys
from ..records import record
from .base import WHOLE_PASS, Operation, Role
from .checked import with_expected_sum


@record(frozen=True)
class SnapshotParams:
    read: str = "slice"
    check: str = "uniform"
    check_sum: object = None  # per process: the sum the `sum` check compares against
    check_tolerance: float | None = None  # how far a float sum may drift without a torn read


class Snapshot(Operation):
    name = "snapshot"
    role = Role.READER
    key_schemas = {"read": {"type": "string", "enum": ["slice", "iterate"],
                            "description": "arr[start:stop], or one element at a time."},
                   "check": keys.CHECK}

    def checks_reads(self, w: dict) -> bool:
        return True

    def params(self, w, ctype, where) -> SnapshotParams:
        return SnapshotParams(w.get("read", "slice"), w.get("check", "uniform"))

    def process_params(self, group, k, start, stop, scenario):
        return with_expected_sum(group.params, scenario, start, stop)

    def pass_atomic(self, group, array_lock: bool) -> bool:
        return array_lock and (group.lock in WHOLE_PASS or group.params.read == "slice")

    def describe(self, p) -> str:
        how = "arr[start:stop]" if p.params.read == "slice" else "element by element"
        return f"snapshot ({how}, check: {p.params.check})"

    def hot_steps(self, p, contended: int) -> int:
        # a slice is one access a pass
        return (min(contended, 1) if p.params.read == "slice" else contended) * p.loops

    def run_pass(self, run, p: int) -> None:
        arr, spec, at, on, tr = run.arr, run.spec, run.at, run.on, run.traces
        start, stop = spec.start, spec.stop
        if spec.params.read == "slice":
            run.enter(start)
            if on:  # one access of the whole range
                entry = at(READ | run.flags, *span(start, stop))
            snapshot = arr[start:stop]
            if tr:
                run.value(entry, snapshot[0])
            run.leave()
        else:
            snapshot = []
            for i in run.indices:
                run.enter(i)
                if on:
                    entry = at(READ | run.flags, i)
                x = arr[i]
                if tr:
                    run.value(entry, x)
                snapshot.append(x)
                run.leave()
        run.snaps.see(snapshot, p)


OP = Snapshot()
