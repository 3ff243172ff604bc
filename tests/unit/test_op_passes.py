"""What a built-in operation's worker does, pinned in-process: the values each pass writes and
the exact sequence of points (kinds, flags, indices, locks) it hands its timing policy, with the
access itself and each ``value`` call in their places.

The controlled scheduler relies on this protocol (:mod:`harness.points`): a point comes before
its access or lock operation, ``value`` after it with what ``at`` returned, ``locked`` and
``unlocked`` after the real acquire and release. No processes: the runner is the operation's own
:class:`~harness.ops.base.PassRunner` on a ctypes array that records its accesses (or a real
``multiprocessing.Array``), with a policy and a snapshot checker that record their calls.
"""

from __future__ import annotations

import ctypes
import multiprocessing

import pytest

from harness.messages import ProcessSpec
from harness.ops import op_of
from harness.ops.add import AddParams
from harness.ops.base import NO_LOCK, Operation, PassRunner
from harness.ops.overwrite import Overwrite
from harness.ops.set import SetParams
from harness.ops.snapshot import SnapshotParams
from harness.ops.stamp import StampParams
from harness.ops.transfer import TransferParams
from harness.points import ACQUIRE, ARRAY_LOCK, IMPLICIT, LOCKED, READ, RELEASE, RMW, WRITE
from harness.timing import Policy

W, R = WRITE, READ


class Events(list):
    """One list for everything that happens, so the order across policy, lock and array shows."""


class RecordingPolicy(Policy):
    active = True
    traces = True

    def __init__(self, events: Events, active: bool = True, traces: bool = True):
        self.events, self.active, self.traces = events, active, traces

    def at(self, point, index, lock=-1, stop=-1):
        self.events.append(("at", point, index, lock) + ((stop,) if stop >= 0 else ()))
        return ("entry", point, index)

    def value(self, entry, value):
        self.events.append(("value", entry, value))

    def locked(self, lock):
        self.events.append(("locked", lock))

    def unlocked(self, lock):
        self.events.append(("unlocked", lock))


class RecordingLock:
    def __init__(self, events: Events):
        self.events = events

    def acquire(self, *a, **k):
        self.events.append(("acquire",))
        return True

    def release(self):
        self.events.append(("release",))


class RecordingArray:
    """A ``(ctypes.c_long * n)`` array that records each read and write, as a ``lock=False``
    array (no ``get_lock``)."""

    def __init__(self, values, events: Events, ctype=ctypes.c_long):
        self.raw = (ctype * len(values))(*values)
        self.events = events

    def __len__(self):
        return len(self.raw)

    def __getitem__(self, key):
        x = self.raw[key]
        self.events.append(("read", key, x))
        return x

    def __setitem__(self, key, x):
        self.events.append(("write", key, x))
        self.raw[key] = x


class LockedRecordingArray(RecordingArray):
    """As a ``lock=True`` array: its lock is the one ``get_lock`` gives."""

    def __init__(self, values, events: Events, ctype=ctypes.c_long):
        super().__init__(values, events, ctype)
        self.lock = RecordingLock(events)

    def get_lock(self):
        return self.lock


class RecordingSnaps:
    def __init__(self, events: Events):
        self.events = events

    def see(self, snapshot, number):
        self.events.append(("see", list(snapshot), number))


def spec(op, params, start=1, stop=4, loops=1, lock="none", think_us=0):
    return ProcessSpec(worker=0, group="g", index=0, op=op, start=start, stop=stop, loops=loops, lock=lock,
                       think_us=think_us, params=params)


def run(op, params, init, *, locked=False, active=True, traces=True, **kw):
    """Run one trial of ``op`` in-process; (the array's final values, every event in order)."""
    events = Events()
    arr = (LockedRecordingArray if locked else RecordingArray)(init, events)
    runner = op_of(op).runner(spec(op, params, **kw), arr, {})
    runner(RecordingPolicy(events, active, traces), RecordingSnaps(events))
    return list(arr.raw), events


# -- the events one access or lock operation makes -------------------------------------------
def read(i, x, flags=0):
    return [("at", R | flags, i, -1), ("read", i, x), ("value", ("entry", R | flags, i), x)]


def write(i, x, flags=0):
    return [("at", W | flags, i, -1), ("write", i, x), ("value", ("entry", W | flags, i), x)]


def rmw(i, old, new, flags=0):
    return read(i, old, flags) + write(i, new, RMW | flags)


def take(index=-1, flags=LOCKED):
    return [("at", ACQUIRE | flags, index, ARRAY_LOCK), ("acquire",), ("locked", ARRAY_LOCK)]


def drop():
    return [("at", RELEASE | LOCKED, -1, ARRAY_LOCK), ("release",), ("unlocked", ARRAY_LOCK)]


# -- add -----------------------------------------------------------------------------------
def test_add_reads_then_writes_each_index_of_its_range_each_pass():
    final, events = run("add", AddParams(3), [10, 20, 30, 40, 50], loops=2)
    assert final == [10, 26, 36, 46, 50]
    assert events == (rmw(1, 20, 23) + rmw(2, 30, 33) + rmw(3, 40, 43)
                      + rmw(1, 23, 26) + rmw(2, 33, 36) + rmw(3, 43, 46))


def test_add_of_a_negative_value_on_a_one_element_range():
    final, events = run("add", AddParams(-7), [0, 5, 0], start=1, stop=2)
    assert final == [0, -2, 0]
    assert events == rmw(1, 5, -2)


def test_add_under_an_element_lock_takes_it_around_each_step_with_the_index_named():
    final, events = run("add", AddParams(1), [0, 0, 0], locked=True, lock="element", start=0, stop=2)
    assert final == [1, 1, 0]
    inside = LOCKED | IMPLICIT
    assert events == (take(0, 0) + rmw(0, 0, 1, inside) + drop()
                      + take(1, 0) + rmw(1, 0, 1, inside) + drop())


def test_add_under_a_pass_lock_takes_it_once_a_pass_and_the_steps_say_locked():
    final, events = run("add", AddParams(2), [0, 0, 0], locked=True, lock="pass", start=0, stop=2, loops=2)
    assert final == [4, 4, 0]
    inside = LOCKED | IMPLICIT
    one_pass = lambda old: take() + rmw(0, old, old + 2, inside) + rmw(1, old, old + 2, inside) + drop()  # noqa: E731
    assert events == one_pass(0) + one_pass(2)


def test_add_under_a_worker_lock_takes_it_once_a_trial():
    final, events = run("add", AddParams(1), [0, 0], locked=True, lock="worker", start=0, stop=1, loops=3)
    assert final == [3, 0]
    inside = LOCKED | IMPLICIT
    assert events == take() + rmw(0, 0, 1, inside) + rmw(0, 1, 2, inside) + rmw(0, 2, 3, inside) + drop()


def test_a_lock_true_array_without_a_lock_scope_flags_its_accesses_implicit_and_takes_no_lock():
    final, events = run("add", AddParams(1), [0, 0], locked=True, lock="none", start=0, stop=1)
    assert final == [1, 0]
    assert events == rmw(0, 0, 1, IMPLICIT)


def test_a_policy_that_wants_no_points_gets_no_calls():
    for lock in ("none", "element", "pass", "worker"):
        final, events = run("add", AddParams(1), [0, 0], locked=True, lock=lock, active=False, traces=False,
                            start=0, stop=2)
        assert final == [1, 1]
        locks = {"none": [], "element": [("acquire",), ("release",)] * 2}.get(lock, [("acquire",), ("release",)])
        assert [e for e in events if e[0] in ("at", "value", "locked", "unlocked", "acquire", "release")] == locks


def test_a_policy_that_wants_points_but_no_values_gets_no_value_calls():
    final, events = run("transfer", TransferParams(1), [5, 5], start=0, stop=2, traces=False)
    assert final == [5, 5]
    assert events == [("at", R, 0, -1), ("read", 0, 5), ("at", W | RMW, 0, -1), ("write", 0, 4),
                      ("at", R, 1, -1), ("read", 1, 5), ("at", W | RMW, 1, -1), ("write", 1, 6),
                      ("at", R, 1, -1), ("read", 1, 6), ("at", W | RMW, 1, -1), ("write", 1, 5),
                      ("at", R, 0, -1), ("read", 0, 4), ("at", W | RMW, 0, -1), ("write", 0, 5)]


def test_add_on_a_real_shared_array_in_process():
    arr = multiprocessing.Array("d", [0.5, 1.5, 2.5], lock=False)
    events = Events()
    op_of("add").runner(spec("add", AddParams(0.25), start=0, stop=3, loops=2), arr, {})(
        RecordingPolicy(events), RecordingSnaps(events))
    assert list(arr) == [1.0, 2.0, 3.0]
    assert [e for e in events if e[0] == "value"] == [
        ("value", ("entry", R, 0), 0.5), ("value", ("entry", W | RMW, 0), 0.75),
        ("value", ("entry", R, 1), 1.5), ("value", ("entry", W | RMW, 1), 1.75),
        ("value", ("entry", R, 2), 2.5), ("value", ("entry", W | RMW, 2), 2.75),
        ("value", ("entry", R, 0), 0.75), ("value", ("entry", W | RMW, 0), 1.0),
        ("value", ("entry", R, 1), 1.75), ("value", ("entry", W | RMW, 1), 2.0),
        ("value", ("entry", R, 2), 2.75), ("value", ("entry", W | RMW, 2), 3.0)]


def test_a_lock_true_shared_array_under_an_element_lock_in_process():
    arr = multiprocessing.Array(ctypes.c_long, [7, 7])
    events = Events()
    op_of("add").runner(spec("add", AddParams(1), start=0, stop=2, lock="element"), arr, {})(
        RecordingPolicy(events), RecordingSnaps(events))
    assert list(arr) == [8, 8]
    assert [e for e in events if e[0] == "at"] == [
        ("at", ACQUIRE, 0, ARRAY_LOCK), ("at", R | LOCKED | IMPLICIT, 0, -1),
        ("at", W | RMW | LOCKED | IMPLICIT, 0, -1), ("at", RELEASE | LOCKED, -1, ARRAY_LOCK),
        ("at", ACQUIRE, 1, ARRAY_LOCK), ("at", R | LOCKED | IMPLICIT, 1, -1),
        ("at", W | RMW | LOCKED | IMPLICIT, 1, -1), ("at", RELEASE | LOCKED, -1, ARRAY_LOCK)]


# -- set and stamp -------------------------------------------------------------------------
def test_set_writes_its_value_element_by_element_without_reading():
    final, events = run("set", SetParams(9), [0, 1, 2, 3, 4], loops=2)
    assert final == [0, 9, 9, 9, 4]
    assert events == (write(1, 9) + write(2, 9) + write(3, 9)) * 2


def test_set_under_an_element_lock():
    final, events = run("set", SetParams(-1), [0, 0, 0], locked=True, lock="element", start=1, stop=3)
    assert final == [0, -1, -1]
    inside = LOCKED | IMPLICIT
    assert events == take(1, 0) + write(1, -1, inside) + drop() + take(2, 0) + write(2, -1, inside) + drop()


def test_set_with_slice_writes_the_range_once_a_pass_naming_its_span():
    final, events = run("set", SetParams(6, "slice"), [0, 1, 2, 3, 4], loops=2)
    assert final == [0, 6, 6, 6, 4]
    one_pass = [("at", W, 1, -1, 4), ("write", slice(1, 4), [6, 6, 6]), ("value", ("entry", W, 1), 6)]
    assert events == one_pass * 2


def test_set_with_slice_under_an_element_lock_takes_it_once_around_the_slice():
    final, events = run("set", SetParams(2, "slice"), [0, 0, 0, 0], locked=True, lock="element", start=2, stop=4)
    assert final == [0, 0, 2, 2]
    inside = LOCKED | IMPLICIT
    assert events == (take(2, 0) + [("at", W | inside, 2, -1, 4), ("write", slice(2, 4), [2, 2]),
                                    ("value", ("entry", W | inside, 2), 2)] + drop())


def test_stamp_writes_the_pass_number_each_pass():
    final, events = run("stamp", StampParams(), [0, 0, 0, 0], start=0, stop=2, loops=3)
    assert final == [3, 3, 0, 0]
    assert events == write(0, 1) + write(1, 1) + write(0, 2) + write(1, 2) + write(0, 3) + write(1, 3)


def test_stamp_with_slice_under_a_pass_lock():
    final, events = run("stamp", StampParams("slice"), [0, 0, 0], locked=True, lock="pass", start=0, stop=3,
                        loops=2)
    assert final == [2, 2, 2]
    inside = LOCKED | IMPLICIT
    assert events == [e for p in (1, 2) for e in
                      take() + [("at", W | inside, 0, -1, 3), ("write", slice(0, 3), [p] * 3),
                                ("value", ("entry", W | inside, 0), p)] + drop()]


# -- transfer ------------------------------------------------------------------------------
def test_transfer_moves_value_to_the_next_index_and_wraps_to_the_range_start():
    final, events = run("transfer", TransferParams(2), [100, 10, 20, 30, 100])
    assert final == [100, 10, 20, 30, 100]
    assert events == (rmw(1, 10, 8) + rmw(2, 20, 22)
                      + rmw(2, 22, 20) + rmw(3, 30, 32)
                      + rmw(3, 32, 30) + rmw(1, 8, 10))


def test_transfer_on_one_element_takes_and_gives_back_the_same_index():
    final, events = run("transfer", TransferParams(5), [1, 2, 3], start=1, stop=2)
    assert final == [1, 2, 3]
    assert events == rmw(1, 2, -3) + rmw(1, -3, 2)


def test_transfer_under_an_element_lock_holds_it_across_both_halves_of_a_step():
    final, events = run("transfer", TransferParams(1), [4, 4, 0], locked=True, lock="element", start=0, stop=2)
    assert final == [4, 4, 0]
    inside = LOCKED | IMPLICIT
    assert events == (take(0, 0) + rmw(0, 4, 3, inside) + rmw(1, 4, 5, inside) + drop()
                      + take(1, 0) + rmw(1, 5, 4, inside) + rmw(0, 3, 4, inside) + drop())


# -- snapshot ------------------------------------------------------------------------------
def test_snapshot_slice_reads_the_range_once_a_pass_and_hands_it_over_with_the_pass():
    final, events = run("snapshot", SnapshotParams("slice", "sum"), [9, 1, 2, 3, 9], loops=2)
    assert final == [9, 1, 2, 3, 9]
    one_pass = lambda p: [("at", R, 1, -1, 4), ("read", slice(1, 4), [1, 2, 3]),  # noqa: E731
                          ("value", ("entry", R, 1), 1), ("see", [1, 2, 3], p)]
    assert events == one_pass(1) + one_pass(2)


def test_snapshot_iterate_reads_element_by_element():
    final, events = run("snapshot", SnapshotParams("iterate"), [9, 1, 2, 3, 9], loops=2)
    assert final == [9, 1, 2, 3, 9]
    one_pass = lambda p: read(1, 1) + read(2, 2) + read(3, 3) + [("see", [1, 2, 3], p)]  # noqa: E731
    assert events == one_pass(1) + one_pass(2)


def test_snapshot_slice_under_an_element_lock():
    final, events = run("snapshot", SnapshotParams("slice"), [5, 6, 7], locked=True, lock="element", start=1,
                        stop=3)
    inside = LOCKED | IMPLICIT
    assert events == (take(1, 0) + [("at", R | inside, 1, -1, 3), ("read", slice(1, 3), [6, 7]),
                                    ("value", ("entry", R | inside, 1), 6)] + drop() + [("see", [6, 7], 1)])


def test_snapshot_iterate_under_an_element_lock():
    final, events = run("snapshot", SnapshotParams("iterate"), [5, 6], locked=True, lock="element", start=0, stop=2)
    inside = LOCKED | IMPLICIT
    assert events == (take(0, 0) + read(0, 5, inside) + drop() + take(1, 0) + read(1, 6, inside) + drop()
                      + [("see", [5, 6], 1)])


# -- the runner ----------------------------------------------------------------------------
def test_the_runner_sleeps_think_us_after_each_pass_outside_the_pass_lock(monkeypatch):
    events = Events()
    monkeypatch.setattr("harness.ops.base.time.sleep", lambda s: events.append(("sleep", s)))
    arr = LockedRecordingArray([0], events)
    PassRunner(op_of("stamp"), spec("stamp", StampParams(), start=0, stop=1, loops=2, lock="pass", think_us=250),
               arr)(RecordingPolicy(events), RecordingSnaps(events))
    inside = LOCKED | IMPLICIT
    assert events == [e for p in (1, 2) for e in take() + write(0, p, inside) + drop() + [("sleep", 0.00025)]]


def test_the_runner_does_not_sleep_without_think_us(monkeypatch):
    slept = []
    monkeypatch.setattr("harness.ops.base.time.sleep", slept.append)
    run("stamp", StampParams(), [0, 0], start=0, stop=1, loops=2)
    assert slept == []


def test_the_runner_uses_the_lock_of_its_scope_only():
    arr = LockedRecordingArray([0], Events())
    scopes = {lock: PassRunner(op_of("add"), spec("add", AddParams(), lock=lock), arr) for lock in
              ("none", "element", "pass", "worker")}
    assert [(r.element, r.pass_lock, r.worker_lock) for r in scopes.values()] == [
        (NO_LOCK, NO_LOCK, NO_LOCK), (arr.lock, NO_LOCK, NO_LOCK), (NO_LOCK, arr.lock, NO_LOCK),
        (NO_LOCK, NO_LOCK, arr.lock)]
    assert [(r.outer, r.flags) for r in scopes.values()] == [
        (0, IMPLICIT), (0, LOCKED | IMPLICIT), (LOCKED, LOCKED | IMPLICIT), (LOCKED, LOCKED | IMPLICIT)]
    plain = PassRunner(op_of("add"), spec("add", AddParams()), RecordingArray([0], Events()))
    assert (plain.outer, plain.flags, plain.indices) == (0, 0, range(1, 4))


def test_no_lock_takes_and_gives_nothing():
    assert NO_LOCK.acquire() is True and NO_LOCK.acquire(True, 1.0) is True
    assert NO_LOCK.release() is None


def test_an_operation_without_passes_says_so():
    class Passless(Operation):
        name = "passless"

    with pytest.raises(NotImplementedError, match="^operation 'passless' runs no passes$"):
        Passless().run_pass(None, 1)
    with pytest.raises(NotImplementedError):
        Overwrite().value_for(SetParams(), 1)
