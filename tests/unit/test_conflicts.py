"""The conflict planner: every pair kind with its exact reason, the monotonic exemption at
its limits, and the float sum tolerance a reader is given."""

from __future__ import annotations

import pytest

from harness.checks import float_sum_tolerance
from harness.load import load_text
from harness.messages import FrozenMap, ProcessSpec
from harness.scenario import make_group
from harness.ops.call import CallParams
from harness.ops.set import SetParams
from harness.ops.snapshot import SnapshotParams
from harness.plan import make_plan
from harness.scenario import ArraySpec, Scenario

NONE, ELEMENT = "'w' ({op}, lock: none)", "'w' ({op}, lock: element)"
ELEMENT_WISE = "'r' (snapshot, lock: {lock}) reads element by element, taking the lock per element"


def plan(workers: str, *, typecode: str = "i", init: str = "[0, 0, 0, 0]", lock: bool = True):
    return make_plan(load_text(f"array: {{typecode: {typecode}, init: {init}, lock: {str(lock).lower()}}}\n"
                               f"workers:\n{workers}", "c.yaml"))


def pair(first: str, second: str, **kw):
    (c,) = plan(f"  - {first}\n  - {second}\n", **kw).conflicts
    return c.first, c.second, c.kind, c.can_race, c.reason


READS = [
    ("{name: w, op: set, value: 1}", "{name: r, op: snapshot}", True,
     "'w' (set, lock: none) does not hold the lock across a whole pass"),
    ("{name: w, op: set, value: 1, write: slice}", "{name: r, op: snapshot}", False,
     "the read is atomic under the array lock and each pass of 'w' (set, lock: none) holds the lock"),
    ("{name: w, op: stamp, write: slice}", "{name: r, op: snapshot, read: iterate}", True,
     ELEMENT_WISE.format(lock="none")),
    ("{name: w, op: stamp, lock: worker}", "{name: r, op: snapshot, read: iterate, lock: worker}", False,
     "the read is atomic under the array lock and each pass of 'w' (stamp, lock: worker) holds the lock"),
    ("{name: w, op: stamp, lock: element}", "{name: r, op: snapshot, read: iterate, lock: element}", True,
     ELEMENT_WISE.format(lock="element") + "; 'w' (stamp, lock: element) does not hold the lock across a whole pass"),
    ("{name: w, op: transfer, lock: element}", "{name: r, op: snapshot, check: sum}", False,
     "the read is atomic under the array lock and each transfer step of 'w' (transfer, lock: element) holds the lock"),
    ("{name: w, op: transfer}", "{name: r, op: snapshot, check: sum}", True,
     "'w' (transfer, lock: none) does not hold the lock across a whole transfer step"),
    # only a sum is kept by each whole transfer step: a uniform snapshot needs the whole pass
    ("{name: w, op: transfer, lock: element}", "{name: r, op: snapshot}", True,
     "'w' (transfer, lock: element) does not hold the lock across a whole pass"),
    ("{name: w, op: add, value: -1, lock: pass}", "{name: r, op: snapshot, check: sum}", False,
     "the read is atomic under the array lock and each pass of 'w' (add, lock: pass) holds the lock"),
    ("{name: w, op: add, value: -1, lock: element}", "{name: r, op: snapshot, check: sum}", True,
     "'w' (add, lock: element) does not hold the lock across a whole pass"),
    ("{name: w, op: stamp, lock: pass}", "{name: r, op: snapshot, check: monotonic, read: iterate}", False,
     "'w' (stamp, lock: pass) only makes values grow, so no read, torn or not, sees one go down"),
]


@pytest.mark.parametrize("writer, reader, can_race, reason", READS)
def test_reader_and_writer(writer, reader, can_race, reason):
    assert pair(writer, reader) == ("w", "r", "torn_read", can_race, reason)
    assert pair(reader, writer) == ("r", "w", "torn_read", can_race, reason)  # either order in the file


def test_any_read_on_a_lock_false_array_can_tear():
    assert pair("{name: w, op: stamp, write: slice}", "{name: r, op: snapshot}", lock=False) == (
        "w", "r", "torn_read", True, "a lock: false array has no lock: a read can see any mix of writes")


RMW = "'{name}' ({op}, lock: {lock}): arr[i] = arr[i] + v is a read and a write, two lock acquisitions; " \
      "another write can land between them"
HELD = "every read-modify-write step holds the array lock"
WRITES = [
    ("{name: a, op: add, lock: element}", "{name: b, op: set, value: 1}", False, HELD),
    ("{name: a, op: stamp}", "{name: b, op: transfer, lock: element}", False, HELD),
    ("{name: a, op: transfer, lock: worker}", "{name: b, op: add, lock: pass}", False, HELD),
    ("{name: a, op: add}", "{name: b, op: set, value: 1}", True, RMW.format(name="a", op="add", lock="none")),
    ("{name: a, op: set, value: 1}", "{name: b, op: add}", True, RMW.format(name="b", op="add", lock="none")),
    ("{name: a, op: add, lock: element}", "{name: b, op: transfer}", True,
     RMW.format(name="b", op="transfer", lock="none")),
    ("{name: a, op: transfer}", "{name: b, op: add, lock: element}", True,
     RMW.format(name="a", op="transfer", lock="none")),
    ("{name: a, op: set, value: 1}", "{name: b, op: stamp}", False,
     "both only overwrite: the last write wins and every order's result is accepted"),
]


@pytest.mark.parametrize("first, second, can_race, reason", WRITES)
def test_writers(first, second, can_race, reason):
    kind = "order" if "overwrite" in reason else "lost_update"
    assert pair(first, second) == ("a", "b", kind, can_race, reason)


def test_writers_on_a_lock_false_array_interleave():
    assert pair("{name: a, op: add}", "{name: b, op: set, value: 1}", lock=False)[2:] == (
        "lost_update", True, "a lock: false array has no lock: read-modify-write steps interleave")


def test_a_call_worker_reaches_the_whole_array_whatever_its_range():
    conflicts = plan("  - {name: c, op: call, call: 'm:f', range: [3, 4]}\n  - {name: a, op: add, range: [0, 1]}\n"
                     ).conflicts
    (c,) = [c for c in conflicts if c.second == "a"]  # (beside its own threads' race with itself)
    assert (c.first, c.second, c.start, c.stop, c.kind, c.can_race) == ("c", "a", 0, 1, "any", True)
    assert c.reason == "a call worker runs user code; its locking shows only when it runs, so before a run the plan counts it as able to race"


def test_user_code_s_reason_whichever_group_comes_first():
    conflicts = plan("  - {name: a, op: add, range: [0, 1]}\n  - {name: c, op: call, call: 'm:f'}\n").conflicts
    (c,) = [c for c in conflicts if c.first == "a"]
    assert (c.second, c.kind, c.can_race) == ("c", "any", True)
    assert c.reason == "a call worker runs user code; its locking shows only when it runs, so before a run the plan counts it as able to race"


# -- the monotonic exemption: values that only grow, from one writer per index ---------------------------------

MONO = "  - {name: r, op: snapshot, check: monotonic, read: iterate}\n"


def monotonic_can_race(writer: str, *, typecode: str = "b", init: str = "[0, 0]", extra: str = "") -> bool:
    (c,) = [c for c in plan(f"  - {writer}\n" + MONO + extra, typecode=typecode, init=init).conflicts
            if c.second == "r"]
    return c.can_race


@pytest.mark.parametrize("writer, init, can_race", [
    ("{name: w, op: stamp, loops: 127}", "[1, 0]", False),   # the last pass number is the maximum
    ("{name: w, op: stamp, loops: 128}", "[1, 0]", True),    # pass 128 wraps to -128
    ("{name: w, op: stamp, loops: 3}", "[0, 2]", True),      # pass 1 writes 1 over a 2
    ("{name: w, op: add, value: 0}", "[5, 5]", False),
    ("{name: w, op: add, value: -1}", "[5, 5]", True),
    ("{name: w, op: add, value: 2, loops: 10}", "[107, 0]", False),   # 107 + 20 = 127
    ("{name: w, op: add, value: 2, loops: 10}", "[108, 0]", True),    # 128 wraps
    ("{name: w, op: add, count: 2, partition: true, loops: 5}", "[117, 0]", False),
    ("{name: w, op: add, count: 2, partition: true, loops: 5}", "[118, 0]", True),  # counted for the group
    ("{name: w, op: add, count: 2, loops: 1}", "[0, 0]", True),   # two processes on one index lose updates
    ("{name: w, op: set, value: 9}", "[0, 0]", True),
])
def test_monotonic_readers_are_exempt_only_while_values_cannot_go_down(writer, init, can_race):
    assert monotonic_can_race(writer, init=init) is can_race


def test_another_writer_next_to_the_reader_does_not_spoil_the_exemption():
    other = "  - {name: o, op: set, value: 1, range: [2, 3]}\n"
    grows = plan("  - {name: w, op: add, range: [0, 2]}\n"
                 "  - {name: r, op: snapshot, check: monotonic, read: iterate, range: [0, 2]}\n" + other,
                 typecode="b", init="[0, 0, 0]").conflicts
    assert [(c.first, c.second, c.can_race) for c in grows] == [("w", "r", False)]
    overlapping = plan("  - {name: w, op: add, range: [0, 2]}\n"
                       "  - {name: r, op: snapshot, check: monotonic, read: iterate, range: [0, 3]}\n" + other,
                       typecode="b", init="[0, 0, 0]").conflicts
    assert [(c.first, c.second, c.can_race) for c in overlapping] == [("w", "r", True), ("r", "o", True)]
    before = plan("  - {name: o, op: set, value: 1, range: [0, 1]}\n  - {name: w, op: add, range: [1, 3]}\n"
                  "  - {name: r, op: snapshot, check: monotonic, read: iterate, range: [1, 3]}\n",
                  typecode="b", init="[0, 0, 0]").conflicts
    assert [(c.first, c.second, c.can_race) for c in before] == [("w", "r", False)]


# -- the float sum tolerance ---------------------------------------------------------------------------------

def reader_tolerance(workers: str, init: str, typecode: str = "d") -> float:
    p = plan(workers, typecode=typecode, init=init)
    (reader,) = [s for s in p.processes if s.group == "r"]
    return reader.check_tolerance


def test_sum_tolerance_is_a_quarter_of_the_smallest_transfer_over_the_readers_range():
    init = "[100, 100, 100, 100]"
    assert reader_tolerance("  - {name: a, op: transfer, value: 2.0, lock: element}\n"
                            "  - {name: b, op: transfer, value: 1.0, lock: element, range: [2, 4]}\n"
                            "  - {name: r, op: snapshot, check: sum, range: [0, 3]}\n", init) == 0.25
    # a transfer outside the reader's range, even next to it, does not count; nor does a zero one
    assert reader_tolerance("  - {name: a, op: transfer, value: 2.0, lock: element}\n"
                            "  - {name: b, op: transfer, value: 1.0, lock: element, range: [2, 4]}\n"
                            "  - {name: z, op: transfer, value: 0.0, lock: element}\n"
                            "  - {name: r, op: snapshot, check: sum, range: [0, 2]}\n", init) == 0.5
    assert reader_tolerance("  - {name: b, op: transfer, value: 1.0, lock: element, range: [0, 2]}\n"
                            "  - {name: r, op: snapshot, check: sum, range: [2, 4]}\n"
                            "  - {name: s, op: set, value: 1.0, range: [2, 4]}\n", init) == pytest.approx(
        4 * 3 * 2.0 ** -52 * 201.0)


def test_sum_tolerance_without_transfers_is_rounding_at_the_readers_values():
    assert reader_tolerance("  - {name: s, op: add, value: 0.5, lock: pass}\n"
                            "  - {name: r, op: snapshot, check: sum, range: [1, 3]}\n",
                            "[1000000, 3, 4, 1000000]", "f") == 4 * 3 * 2.0 ** -23 * 8.0


def test_sum_tolerance_never_below_rounding_of_a_large_array():
    big = "[" + ", ".join(["1.0e+15"] * 4) + "]"
    tol = reader_tolerance("  - {name: t, op: transfer, value: 1.0, lock: element}\n"
                           "  - {name: r, op: snapshot, check: sum}\n", big)
    assert tol == 4 * 5 * 2.0 ** -52 * (4e15 + 1) > 0.25


def test_integer_readers_have_no_tolerance():
    assert reader_tolerance("  - {name: t, op: transfer, lock: element}\n  - {name: r, op: snapshot, check: sum}\n",
                            "[1, 2]", "i") is None


# -- every group setting reaches its processes ---------------------------------------------------------------

def test_processes_carry_every_setting_of_their_group():
    scenario = Scenario("p", "/tmp/dir/p.yaml", ArraySpec("d", (1.0, 2.0, 3.0)), (
        make_group("s", "set", 0, 3, typecode="d", loops=2, value=1.5, lock="pass", think_us=7, write="slice"),
        make_group("c", "call", 1, 3, typecode="d", call="mod:fn", args=["$array", 3], kwargs={"k": "$start"},
                   time_scale=0.5, check="uniform"),
        make_group("r", "snapshot", 0, 2, typecode="d", count=2, partition=True, read="iterate", check="sum"),
    ))
    common = {"typecode": "d", "base_dir": "/tmp/dir"}
    assert make_plan(scenario).processes == (
        ProcessSpec(0, "s", 0, "set", 0, 3, loops=2, lock="pass", think_us=7, hot=((0, 3), (0, 2)),
                    params=SetParams(1.5, "slice"), **common),
        ProcessSpec(1, "c", 0, "call", 1, 3, hot=((0, 3), (0, 3), (0, 2)),
                    params=CallParams(call="mod:fn", args=("$array", 3), kwargs=FrozenMap([("k", "$start")]),
                                      check="uniform", time_scale=0.5), **common),
        ProcessSpec(2, "r", 0, "snapshot", 0, 1, hot=((0, 2), (0, 2)),
                    params=SnapshotParams("iterate", "sum", 1.0, float_sum_tolerance([1.0], "d")), **common),
        ProcessSpec(3, "r", 1, "snapshot", 1, 2, hot=((0, 2), (0, 2)),
                    params=SnapshotParams("iterate", "sum", 2.0, float_sum_tolerance([2.0], "d")), **common),
    )
