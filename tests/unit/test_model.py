"""The model (expected final array) and the plan (processes, conflicts), on hand-built scenarios."""

from __future__ import annotations

import ctypes

import pytest

from harness.explain import explain
from harness.load import load_text
from harness.model import Expectation, IndexExpectation
from harness.plan import make_plan, split


def scenario(typecode: str, workers: str, *, size: int | None = None, init=None, lock: bool = True,
             expect: str = ""):
    array = f"array:\n  typecode: {typecode}\n  lock: {str(lock).lower()}\n"
    array += f"  size: {size}\n" if init is None else f"  init: {list(init)}\n"
    return load_text(array + "workers:\n" + workers + expect, "model.yaml")


def expectation(*args, **kwargs) -> Expectation:
    return make_plan(scenario(*args, **kwargs)).expectation


def f32(x: float) -> float:
    return ctypes.c_float(x).value


# -- integer adds, wrapping as the C type does ------------------------------------------------

def test_add_wraps_unsigned_byte():
    exp = expectation("B", "  - {name: a, op: add, count: 2, loops: 5}\n", init=[250, 0])
    assert exp.simple == (4, 10)  # 250 + 10 = 260 = 4 (mod 256)
    assert exp.mismatches([4, 10]) == []
    assert exp.mismatches([260 % 256, 9]) == [1]


def test_add_wraps_signed_byte():
    exp = expectation("b", "  - {name: a, op: add, loops: 10}\n", init=[120, -120])
    assert exp.simple == (-126, -110)


def test_add_negative_value_wraps_signed_byte_downwards():
    exp = expectation("b", "  - {name: a, op: add, loops: 3, value: -5}\n", init=[-127])
    assert exp.simple == (114,)  # -127 - 15 = -142 = 114 (mod 256)


def test_add_overflows_int():
    exp = expectation("i", "  - {name: a, op: add}\n", init=[2147483647, -2147483648])
    assert exp.simple == (-2147483648, -2147483647)


def test_add_minus_one_to_unsigned_zero():
    exp = expectation("I", "  - {name: a, op: add, value: -1, count: 3}\n", size=1)
    assert exp.simple == (4294967293,)


def test_add_wraps_unsigned_long_long():
    exp = expectation("Q", "  - {name: a, op: add, value: 2, loops: 2}\n", init=[2**64 - 3])
    assert exp.simple == (1,)


def test_add_without_value_adds_one_per_pass_and_process():
    exp = expectation("h", "  - {name: a, op: add, count: 3, loops: 7}\n", size=3)
    assert exp.simple == (21, 21, 21)


def test_add_on_part_of_the_array():
    exp = expectation("i", "  - {name: a, op: add, range: [1, 3], loops: 2}\n", init=[5, 5, 5, 5])
    assert exp.simple == (5, 7, 7, 5)


# -- floating point ------------------------------------------------------------------------------

def test_float_adds_round_to_single_precision_after_every_step():
    exp = expectation("f", "  - {name: a, op: add, value: 0.1, loops: 3}\n", size=1)
    x = 0.0
    for _ in range(3):
        x = f32(x + 0.1)
    assert exp.simple == (x,)
    assert x == 0.30000001192092896  # single precision after each step, not 0.30000000000000004
    assert exp.mismatches([x]) == []
    assert exp.mismatches([0.1 + 0.1 + 0.1]) == [0]  # a double-precision sum is not what the array holds


def test_float_init_is_single_precision():
    exp = expectation("f", "  - {name: a, op: set, value: 0.2}\n", init=[0.5])
    assert exp.simple == (f32(0.2),)


def test_double_sums_are_exact_for_one_addend():
    exp = expectation("d", "  - {name: a, op: add, value: 0.5, loops: 4, count: 2}\n", init=[1.0, -1.0])
    assert exp.simple == (5.0, 3.0)


def test_double_adds_of_one_addend_are_the_sequential_sum():
    exp = expectation("d", "  - {name: a, op: add, value: 0.1, loops: 10}\n", size=1)
    x = 0.0
    for _ in range(10):
        x += 0.1
    assert exp.simple == (x,)
    assert x != 1.0


def test_floats_with_different_addends_get_a_tolerance():
    exp = expectation("d", "  - {name: a, op: add, value: 0.1, loops: 10}\n"
                           "  - {name: b, op: add, value: 0.7, loops: 10}\n", size=1)
    assert exp.simple is None
    (idx,) = exp.indices
    assert idx.tolerance > 0
    assert "round differently" in idx.reason
    assert exp.mismatches([8.0]) == []
    assert exp.mismatches([8.0 + idx.tolerance / 2]) == []
    assert exp.mismatches([8.0 + idx.tolerance * 2]) == [0]
    assert exp.mismatches([8.1]) == [0]
    assert idx.checked


def test_float32_overflow_is_inf_as_in_the_array():
    exp = expectation("f", "  - {name: a, op: add, value: 3.0e+38, loops: 2}\n", size=1)
    assert exp.simple == (float("inf"),)


# -- overwrites -------------------------------------------------------------------------------------

def test_competing_sets_accept_each_value():
    exp = expectation("i", "  - {name: a, op: set, value: 7}\n"
                           "  - {name: b, op: set, value: 3, count: 2}\n"
                           "  - {name: c, op: set, value: -1, range: [0, 1]}\n", size=2)
    assert exp.simple is None
    assert exp.indices[0].values == (-1, 3, 7)
    assert exp.indices[1].values == (3, 7)
    assert "last writer wins" in exp.indices[0].reason
    assert exp.mismatches([3, 7]) == []
    assert exp.mismatches([-1, 3]) == []
    assert exp.mismatches([-1, -1]) == [1]
    assert exp.mismatches([0, 0]) == [0, 1]
    assert exp.shown() == [[-1, 3, 7], [3, 7]]


def test_same_value_sets_are_one_value():
    exp = expectation("i", "  - {name: a, op: set, value: 4, count: 3, loops: 2}\n", size=2)
    assert exp.simple == (4, 4)
    assert exp.indices[0].reason == ""


def test_set_value_is_stored_in_the_c_type():
    exp = expectation("B", "  - {name: a, op: set, value: 255}\n  - {name: b, op: set, value: 0}\n", size=1)
    assert exp.indices[0].values == (0, 255)


def test_stamp_leaves_the_last_pass_number():
    exp = expectation("i", "  - {name: a, op: stamp, loops: 5, count: 2}\n", size=3)
    assert exp.simple == (5, 5, 5)


def test_stamp_wraps_in_unsigned_byte():
    exp = expectation("B", "  - {name: a, op: stamp, loops: 300, write: slice}\n", size=2)
    assert exp.simple == (44, 44)


def test_stamps_of_different_lengths_compete():
    exp = expectation("i", "  - {name: a, op: stamp, loops: 3}\n  - {name: b, op: stamp, loops: 5}\n", size=1)
    assert exp.indices[0].values == (3, 5)


def test_stamp_and_set_compete():
    exp = expectation("i", "  - {name: a, op: stamp, loops: 5}\n  - {name: b, op: set, value: 9}\n", size=1)
    assert exp.indices[0].values == (5, 9)


def test_snapshot_writes_nothing():
    exp = expectation("i", "  - {name: r, op: snapshot, loops: 9}\n", init=[1, 2, 3])
    assert exp.simple == (1, 2, 3)


# -- transfer ---------------------------------------------------------------------------------------

def test_transfer_conserves_every_element():
    exp = expectation("i", "  - {name: t, op: transfer, value: 2, count: 2, loops: 3}\n", init=[10, 0, 0, 0])
    assert exp.simple == (10, 0, 0, 0)


def test_transfer_on_a_sub_range_and_partitions():
    exp = expectation("i", "  - {name: t, op: transfer, value: 5, count: 2, partition: true, range: [1, 5]}\n",
                      init=[1, 2, 3, 4, 5, 6])
    assert exp.simple == (1, 2, 3, 4, 5, 6)


def test_transfer_wraps_through_zero_in_unsigned_byte():
    exp = expectation("B", "  - {name: t, op: transfer, value: 1}\n", size=2)
    assert exp.simple == (0, 0)


def test_transfer_of_one_element_range():
    exp = expectation("i", "  - {name: t, op: transfer, range: [1, 2], value: 4}\n", init=[1, 2, 3])
    assert exp.simple == (1, 2, 3)


def test_transfer_against_a_set_is_enumerated():
    # index 0 sees, from t: -1 (its own step) then +1 (the wrap-around step from index 1);
    # from s: set 5. Orders: s,-,+ -> 5; -,s,+ -> 6; -,+,s -> 5.
    exp = expectation("i", "  - {name: t, op: transfer}\n  - {name: s, op: set, value: 5, range: [0, 1]}\n",
                      init=[0, 0])
    assert exp.indices[0].values == (5, 6)
    # index 1 sees +1 then -1 from t, and nothing else
    assert exp.indices[1].values == (0,)


# -- adds and sets mixed: every interleaving --------------------------------------------------------

def test_mixed_add_and_set_enumerates_every_order():
    # a: +1, +1 ; b: set 10. The set lands before both adds, between them, or after: 12, 11, 10.
    exp = expectation("i", "  - {name: a, op: add, loops: 2}\n  - {name: b, op: set, value: 10}\n", size=1)
    assert exp.indices[0].values == (10, 11, 12)
    assert "each order gives its own result" in exp.indices[0].reason
    assert exp.shown() == [[10, 11, 12]]
    assert exp.mismatches([11]) == []
    assert exp.mismatches([13]) == [0]


def test_mixed_three_groups_by_hand():
    # a: +2 ; b: set 5 ; c: +3 (all on one index, init 0). Orders of the set among the adds:
    # set first -> 10; after a only -> 8; after c only -> 7; set last -> 5.
    exp = expectation("i", "  - {name: a, op: add, value: 2}\n  - {name: b, op: set, value: 5}\n"
                           "  - {name: c, op: add, value: 3}\n", size=1)
    assert exp.indices[0].values == (5, 7, 8, 10)


def test_stamp_and_add_by_hand():
    # s: set 1, set 2 ; a: +1. The add lands before, between or after the stamps: 2, 2, 3.
    exp = expectation("i", "  - {name: s, op: stamp, loops: 2}\n  - {name: a, op: add}\n", size=1)
    assert exp.indices[0].values == (2, 3)


def test_mixed_add_and_set_wrap_in_the_c_type():
    exp = expectation("B", "  - {name: a, op: add, value: 200}\n  - {name: b, op: set, value: 100}\n", size=1)
    # set then add: 300 -> 44; add then set: 100
    assert exp.indices[0].values == (44, 100)


def test_too_many_orders_are_unchecked_with_a_reason():
    exp = expectation("i", "  - {name: a, op: add, loops: 200, count: 2}\n"
                           "  - {name: b, op: set, value: 1, loops: 200}\n", size=1)
    assert not exp.indices[0].checked
    assert "too many" in exp.indices[0].reason
    assert exp.mismatches([123456]) == []
    assert exp.shown() == [None]


# -- call workers and expect.final ----------------------------------------------------------------------

CALL = "  - {name: c, op: call, call: 'mod:fn', range: [1, 3]}\n"


def test_call_worker_makes_every_index_unchecked_with_reason():
    # $array is the whole array: user code can write outside its range, so nothing is checked
    exp = expectation("i", CALL + "  - {name: a, op: add}\n", size=4)
    assert [e.checked for e in exp.indices] == [False] * 4
    assert "call worker 'c'" in exp.indices[0].reason and "expect.final" in exp.indices[0].reason
    assert exp.shown() == [None] * 4
    assert exp.simple is None
    assert exp.mismatches([1, 99, -5, 1]) == []


def test_explain_names_unchecked_indices():
    text = explain(make_plan(scenario("i", CALL, size=4)))
    assert "expected final array, from the model" in text
    assert "  [?, ?, ?, ?] (?: not checked)" in text
    assert "checked indices: none" in text
    assert "unchecked: 0-3: written by call worker 'c'" in text


def test_expect_final_overrides_the_model_and_none_is_unchecked():
    exp = expectation("i", CALL, size=4, expect="expect:\n  final: [0, 5, null, 0]\n")
    assert exp.shown() == [0, 5, None, 0]
    assert [e.checked for e in exp.indices] == [True, True, False, True]
    assert exp.indices[2].reason == "expect.final leaves it unchecked"
    assert exp.mismatches([0, 5, 12345, 0]) == []
    assert exp.mismatches([0, 6, 12345, 1]) == [1, 3]


def test_expect_final_without_none_is_simple():
    exp = expectation("i", "  - {name: a, op: add}\n", size=2, expect="expect:\n  final: [3, 4]\n")
    assert exp.simple == (3, 4)
    assert exp.mismatches([1, 1]) == [0, 1]


# -- Expectation itself ------------------------------------------------------------------------------------

def test_mismatches_on_a_simple_expectation_lists_every_differing_index():
    exp = Expectation((IndexExpectation((1,)), IndexExpectation((2,)), IndexExpectation((3,))), (1, 2, 3))
    assert exp.mismatches([1, 2, 3]) == []
    assert exp.mismatches((1, 2, 3)) == []
    assert exp.mismatches([0, 2, 0]) == [0, 2]
    assert exp.shown() == [1, 2, 3]


def test_mismatches_on_per_index_expectations():
    exp = Expectation((IndexExpectation((1, 2)), IndexExpectation(()), IndexExpectation((1.0,), tolerance=0.5)),
                      None)
    assert exp.mismatches([2, "anything", 1.4]) == []
    assert exp.mismatches([3, None, 1.6]) == [0, 2]
    assert exp.shown() == [[1, 2], None, 1.0]


def test_index_expectation_accepts():
    assert IndexExpectation(()).accepts(42)
    assert not IndexExpectation(()).checked
    assert IndexExpectation((1, 3)).accepts(3)
    assert not IndexExpectation((1, 3)).accepts(2)
    assert IndexExpectation((1.0,), tolerance=0.1).accepts(1.05)
    assert not IndexExpectation((1.0,), tolerance=0.1).accepts(1.2)


def test_large_array_costs_little():
    exp = expectation("i", "  - {name: a, op: add, count: 4, partition: true, loops: 3}\n", size=1_000_000)
    assert exp.simple is not None and len(exp.simple) == 1_000_000
    assert set(exp.simple) == {3}


# -- plan: processes and split ---------------------------------------------------------------------------------

def test_split_is_even_longer_chunks_first():
    assert split(0, 7, 3) == [(0, 3), (3, 5), (5, 7)]
    assert split(5, 6, 1) == [(5, 6)]
    chunks = split(3, 103, 7)
    assert chunks[0][0] == 3 and chunks[-1][1] == 103
    assert all(a[1] == b[0] for a, b in zip(chunks, chunks[1:]))
    assert sorted({hi - lo for lo, hi in chunks}) == [14, 15]


def test_processes_carry_their_group_settings_and_sum():
    s = scenario("i", "  - {name: t, op: transfer, count: 2, value: 3, lock: element, loops: 4}\n"
                      "  - {name: r, op: snapshot, check: sum, range: [1, 3], read: iterate}\n", init=[1, 2, 3, 4])
    procs = make_plan(s).processes
    assert [(p.worker, p.group, p.index) for p in procs] == [(0, "t", 0), (1, "t", 1), (2, "r", 0)]
    t0, _, r = procs
    assert (t0.op, t0.value, t0.lock, t0.loops, t0.start, t0.stop, t0.typecode) == (
        "transfer", 3, "element", 4, 0, 4, "i")
    assert r.check == "sum" and r.check_sum == 5 and r.read == "iterate"


# -- conflicts ---------------------------------------------------------------------------------------------------

def conflicts(typecode, workers, **kw):
    return make_plan(scenario(typecode, workers, **kw)).conflicts


def one_conflict(*args, **kw):
    (c,) = conflicts(*args, **kw)
    return c


def test_unlocked_adds_race_with_themselves():
    c = one_conflict("i", "  - {name: a, op: add, count: 2}\n", size=5)
    assert (c.first, c.second, c.start, c.stop, c.kind, c.can_race) == ("a", "a", 0, 5, "lost_update", True)
    assert "two lock acquisitions" in c.reason


def test_element_locked_adds_do_not_race():
    c = one_conflict("i", "  - {name: a, op: add, count: 2, lock: element}\n", size=5)
    assert (c.kind, c.can_race) == ("lost_update", False)
    assert "holds the array lock" in c.reason


@pytest.mark.parametrize("lock", ["pass", "worker"])
def test_wider_locks_do_not_race_either(lock):
    c = one_conflict("i", f"  - {{name: a, op: add, count: 2, lock: {lock}}}\n", size=5)
    assert c.can_race is False


def test_one_sided_lock_still_races():
    c = one_conflict("i", "  - {name: a, op: add, lock: element}\n  - {name: b, op: add}\n", size=2)
    assert (c.first, c.second, c.can_race) == ("a", "b", True)
    assert "'b' (add, lock: none)" in c.reason


def test_lock_false_array_races_on_overlap():
    c = one_conflict("i", "  - {name: a, op: add, count: 2}\n", size=4, lock=False)
    assert c.can_race and "lock: false array has no lock" in c.reason


def test_partition_on_lock_false_array_has_no_conflict():
    assert conflicts("i", "  - {name: a, op: add, count: 4, partition: true}\n", size=8, lock=False) == ()


def test_disjoint_groups_have_no_conflict():
    assert conflicts("i", "  - {name: a, op: add, range: [0, 2]}\n  - {name: b, op: add, range: [2, 4]}\n",
                     size=4) == ()


def test_single_process_has_no_conflict_with_itself():
    assert conflicts("i", "  - {name: a, op: add, loops: 9}\n", size=4) == ()


def test_one_call_process_may_race_with_its_own_threads():
    c = one_conflict("i", "  - {name: a, op: call, call: 'm:f', range: [1, 2]}\n", size=4)
    assert (c.first, c.second, c.start, c.stop, c.kind, c.can_race) == ("a", "a", 0, 4, "any", True)
    assert "threads" in c.reason


def test_conflict_span_covers_the_overlap_only():
    c = one_conflict("i", "  - {name: a, op: add, range: [0, 6]}\n  - {name: b, op: set, value: 1, range: [4, 9]}\n",
                     size=10)
    assert (c.start, c.stop, c.kind, c.can_race) == (4, 6, "lost_update", True)


def test_sets_only_overwrite_in_some_order():
    c = one_conflict("i", "  - {name: a, op: set, value: 1}\n  - {name: b, op: set, value: 2}\n", size=3)
    assert (c.kind, c.can_race) == ("order", False)
    assert "last write wins" in c.reason


def test_two_readers_do_not_conflict():
    assert conflicts("i", "  - {name: a, op: snapshot}\n  - {name: b, op: snapshot, count: 2}\n", size=3) == ()


@pytest.mark.parametrize("writer, reader, can_race, words", [
    ("{name: w, op: stamp, lock: pass}", "{name: r, op: snapshot, read: iterate}", True,
     "reads element by element"),
    ("{name: w, op: stamp, lock: pass}", "{name: r, op: snapshot, read: slice}", False,
     "the read is atomic under the array lock"),
    ("{name: w, op: stamp, write: slice}", "{name: r, op: snapshot}", False, "the read is atomic"),
    ("{name: w, op: stamp}", "{name: r, op: snapshot}", True, "does not hold the lock across a whole pass"),
    ("{name: w, op: stamp, lock: pass}", "{name: r, op: snapshot, read: iterate, lock: pass}", False,
     "holds the lock"),
    ("{name: w, op: transfer, lock: element}", "{name: r, op: snapshot, check: sum}", False, "transfer step"),
    ("{name: w, op: transfer}", "{name: r, op: snapshot, check: sum}", True,
     "does not hold the lock across a whole transfer step"),
])
def test_reader_writer_conflicts(writer, reader, can_race, words):
    c = one_conflict("i", f"  - {writer}\n  - {reader}\n", size=4)
    assert c.kind == "torn_read"
    assert c.can_race is can_race
    assert words in c.reason


def test_reader_on_lock_false_array_can_tear():
    c = one_conflict("i", "  - {name: w, op: stamp}\n  - {name: r, op: snapshot}\n", size=4, lock=False)
    assert (c.kind, c.can_race) == ("torn_read", True)


def test_call_workers_can_race_with_anything():
    c = one_conflict("i", "  - {name: c, op: call, call: 'm:f', count: 2}\n", size=2)
    assert (c.kind, c.can_race) == ("any", True)
    assert "user code" in c.reason


def test_hot_ranges_mark_only_racing_groups():
    s = scenario("i", "  - {name: a, op: add, count: 2, range: [0, 2]}\n"
                      "  - {name: b, op: add, count: 2, lock: element, range: [2, 4]}\n", size=4)
    procs = make_plan(s).processes
    assert [p.hot for p in procs] == [((0, 2),), ((0, 2),), (), ()]


def test_explain_lists_races_and_expected_array():
    s = scenario("i", "  - {name: a, op: add, count: 2}\n  - {name: b, op: set, value: 3, range: [0, 1]}\n",
                 size=2)
    text = explain(make_plan(s))
    assert "expected final array, from the model" in text
    assert "checked indices: all 2" in text
    assert "races:" in text
    assert "a x itself on [0, 2): CAN RACE (lost update)" in text
    assert "a x b on [0, 1): CAN RACE (lost update)" in text
    assert "several results accepted at 0: 3 or 4 or 5" in text
    assert "WARNING" in text  # anomaly: none but the analysis finds a race


def test_explain_groups_indices_only_when_they_accept_the_same_results():
    s = scenario("i", "  - {name: sevens, op: set, value: 7, range: [1, 3]}\n"
                      "  - {name: nines, op: set, value: 9, range: [2, 4]}\n"
                      "  - {name: elevens, op: set, value: 11, count: 2, range: [0, 3]}\n", size=4)
    text = explain(make_plan(s))
    assert "  [11, [7, 11], [7, 9, 11], 9]\n" in text
    assert "several results accepted at 1: 7 or 11: several processes overwrite it" in text
    assert "several results accepted at 2: 7 or 9 or 11: several processes overwrite it" in text


def test_monotonic_readers_of_growing_writers_cannot_tear_unless_values_wrap():
    def conflict(text):
        (c,) = [c for c in make_plan(load_text(text, "m.yaml")).conflicts if c.kind == "torn_read"]
        return c

    grows = conflict("array: {typecode: i, size: 4}\nworkers:\n  - {name: w, op: add, loops: 10}\n"
                     "  - {name: r, op: snapshot, read: iterate, check: monotonic}\n")
    assert not grows.can_race and "only makes values grow" in grows.reason
    wraps = conflict("array: {typecode: B, init: [250, 250]}\nworkers:\n  - {name: w, op: add, loops: 10}\n"
                     "  - {name: r, op: snapshot, read: iterate, check: monotonic}\n")
    assert wraps.can_race
    stamp_down = conflict("array: {typecode: i, init: [9, 9]}\nworkers:\n  - {name: w, op: stamp, loops: 3}\n"
                          "  - {name: r, op: snapshot, read: iterate, check: monotonic}\n")
    assert stamp_down.can_race


def test_monotonic_needs_a_single_writer_per_index():
    def conflicts(text):
        return [c for c in make_plan(load_text(text, "m.yaml")).conflicts if c.kind == "torn_read"]

    (two_adders,) = conflicts("array: {typecode: i, size: 4}\nworkers:\n  - {name: w, op: add, count: 2}\n"
                              "  - {name: r, op: snapshot, read: iterate, check: monotonic}\n")
    assert two_adders.can_race  # lost updates make a value go down
    stampers = conflicts("array: {typecode: i, size: 4}\nworkers:\n  - {name: a, op: stamp, loops: 3}\n"
                         "  - {name: b, op: stamp, loops: 9}\n"
                         "  - {name: r, op: snapshot, read: iterate, check: monotonic}\n")
    assert all(c.can_race for c in stampers)  # b's 4 can land after a's 3... and a's 1 after b's 9
    (partitioned,) = conflicts("array: {typecode: i, size: 4}\nworkers:\n"
                               "  - {name: w, op: add, count: 2, partition: true}\n"
                               "  - {name: r, op: snapshot, read: iterate, check: monotonic}\n")
    assert not partitioned.can_race


def test_float_sum_tolerance_never_below_rounding_at_the_arrays_magnitude():
    plan = make_plan(load_text("array: {typecode: f, init: [1000000, 5, 7]}\nworkers:\n"
                               "  - {name: t, op: transfer, value: 0.1, lock: element}\n"
                               "  - {name: r, op: snapshot, check: sum}\n", "f.yaml"))
    assert plan.processes[1].check_tolerance > 0.5  # float32 rounding at 1e6 is 0.0625 a step


def test_float_adds_that_overflow_in_some_orders_are_enumerated_not_given_a_tolerance():
    # +3e38 twice and -3e38 twice in single precision: up, up, down, down overflows to inf and
    # stays there; down, down first ends at -inf; alternating ends near 0. Every order is
    # listed (a tolerance around one order's result would fail the others as lost updates).
    exp = expectation("f", "  - {name: up, op: add, value: 3.0e+38, loops: 2, lock: element}\n"
                           "  - {name: down, op: add, value: -3.0e+38, loops: 2, lock: element}\n", size=1)
    (idx,) = exp.indices
    assert idx.tolerance == 0
    near_zero = f32(f32(3.0e38) - 3.0e38)
    assert idx.values == (-float("inf"), -near_zero, near_zero, float("inf"))
    assert "overflow to inf in some orders: each order gives its own result" in idx.reason
    assert exp.mismatches([float("inf")]) == [] and exp.mismatches([0.0]) == [0]


def test_float_overflow_with_different_addends_accepts_inf():
    exp = expectation("f", "  - {name: big, op: add, value: 3.0e+38, loops: 2}\n"
                           "  - {name: one, op: add, value: 1.0}\n", size=1)
    assert exp.indices[0].values == (float("inf"),)
    assert exp.mismatches([float("inf")]) == []


def test_float_overflow_with_too_many_orders_is_unchecked_with_the_reason():
    exp = expectation("f", "  - {name: up, op: add, value: 3.0e+38, loops: 200, count: 2}\n"
                           "  - {name: one, op: add, value: 1.0, loops: 200}\n", size=1)
    assert not exp.indices[0].checked
    assert exp.indices[0].reason == ("floating-point additions that overflow to inf in some orders: "
                                     "too many orders to enumerate")


def test_double_adds_near_the_maximum_are_enumerated_too():
    exp = expectation("d", "  - {name: up, op: add, value: 1.0e+308, loops: 2}\n"
                           "  - {name: down, op: add, value: -1.0e+308}\n", size=1)
    assert exp.indices[0].values == (1.0e+308, float("inf"))


def test_float_adds_within_rounding_of_the_types_limit_are_enumerated():
    # FLT_MAX and -1: no order overflows, but the sum of magnitudes is within the tolerance of
    # the limit, so the model lists the orders (both leave FLT_MAX) instead of trusting a tolerance
    flt_max = 3.4028234663852886e38
    exp = expectation("f", f"  - {{name: big, op: add, value: {flt_max!r}}}\n"
                           "  - {name: down, op: add, value: -1.0}\n", size=1)
    (idx,) = exp.indices
    assert (idx.values, idx.tolerance, idx.reason) == ((flt_max,), 0.0, "")


def test_float_adds_just_within_range_keep_the_tolerance():
    exp = expectation("f", "  - {name: a, op: add, value: 1.0e+38, loops: 2}\n"
                           "  - {name: b, op: add, value: 0.5}\n", size=1)
    (idx,) = exp.indices
    assert idx.tolerance > 0 and idx.values == (f32(f32(1.0e38) + 1.0e38),)


# -- exact reasons, tolerances and limits ------------------------------------------------------------------

def test_each_reason_is_said_in_full():
    mixed = "adds and sets from different processes"
    cases = [
        ("i", "  - {name: a, op: set, value: 1}\n  - {name: b, op: set, value: 2}\n",
         "several processes overwrite it: the last writer wins"),
        ("i", "  - {name: a, op: add}\n  - {name: b, op: set, value: 5}\n", mixed + ": each order gives its own result"),
        ("d", "  - {name: a, op: add, value: 0.5}\n  - {name: b, op: add, value: 0.25}\n",
         "floating-point additions in different orders round differently"),
        ("i", "  - {name: a, op: add, loops: 200, count: 2}\n  - {name: b, op: set, value: 1, loops: 200}\n",
         mixed + ": too many orders to enumerate"),
        ("i", "  - {name: a, op: add, loops: 300}\n  - {name: b, op: set, value: 0}\n",
         mixed + ": too many possible results to list"),
        ("i", "  - {name: a, op: add, loops: 3}\n", ""),
        ("i", "  - {name: a, op: add, value: 0}\n  - {name: b, op: set, value: 0}\n", ""),  # every order: 0
    ]
    for typecode, workers, reason in cases:
        assert expectation(typecode, workers, size=1).indices[0].reason == reason, workers
    call = expectation("i", CALL, size=4).indices[0]
    assert call.reason == ("written by call worker 'c' (user code the model cannot see); "
                           "set expect.final to check it")
    given = expectation("i", CALL, size=4, expect="expect:\n  final: [1, null, 0, 0]\n").indices
    assert [e.reason for e in given] == ["", "expect.final leaves it unchecked", "", ""]


@pytest.mark.parametrize("typecode, eps", [("f", 2.0 ** -23), ("d", 2.0 ** -52)])
def test_float_tolerance_is_one_ulp_per_step_and_one_more_at_the_sums_scale(typecode, eps):
    # 10 + 10 steps; scale = |init| + the magnitudes of every step = 1 + 5 + 2.5
    exp = expectation(typecode, "  - {name: a, op: add, value: 0.5, loops: 10}\n"
                                "  - {name: b, op: add, value: -0.25, loops: 10}\n", init=[1.0])
    (idx,) = exp.indices
    assert idx.values == (3.5,) and idx.tolerance == 21 * eps * 8.5
    assert idx.accepts(3.5 + idx.tolerance) and idx.accepts(3.5 - idx.tolerance)
    assert not idx.accepts(3.5 + 2 * idx.tolerance)


def test_index_expectation_accepts_at_exactly_the_tolerance():
    assert IndexExpectation((1.0,), tolerance=0.5).accepts(1.5)
    assert IndexExpectation((1.0,), tolerance=0.5).accepts(0.5)


def test_matches_bytes_only_for_one_simple_expected_array():
    exp = expectation("i", "  - {name: a, op: add}\n", size=2)
    assert exp.simple_bytes == bytes((ctypes.c_int * 2)(1, 1))
    assert exp.matches_bytes(bytes((ctypes.c_int * 2)(1, 1)))
    assert not exp.matches_bytes(bytes((ctypes.c_int * 2)(1, 0)))
    several = expectation("i", "  - {name: a, op: set, value: 1}\n  - {name: b, op: set, value: 2}\n", size=1)
    assert several.simple_bytes is None and not several.matches_bytes(None)
    assert not several.matches_bytes(bytes(4))


def test_orders_are_enumerated_up_to_exactly_the_state_limit():
    # (199 + 1) * (99 + 1) = 20000 states of progress: enumerated; 20001 = (6666 + 1) * (2 + 1): not
    at_limit = expectation("i", "  - {name: a, op: add, value: 0, loops: 199}\n"
                                "  - {name: b, op: set, value: 0, loops: 99}\n", size=1)
    assert at_limit.indices[0].values == (0,)
    over = expectation("i", "  - {name: a, op: add, value: 0, loops: 6666}\n"
                            "  - {name: b, op: set, value: 0, loops: 2}\n", size=1)
    assert over.indices[0].reason == "adds and sets from different processes: too many orders to enumerate"


def test_results_are_listed_up_to_exactly_the_value_limit():
    # a set of 0 among n adds of 1 leaves any of 0..n: n = 255 is 256 results, n = 256 one too many
    listed = expectation("i", "  - {name: a, op: add, loops: 255}\n  - {name: b, op: set, value: 0}\n", size=1)
    assert listed.indices[0].values == tuple(range(256))
    too_many = expectation("i", "  - {name: a, op: add, loops: 256}\n  - {name: b, op: set, value: 0}\n", size=1)
    assert not too_many.indices[0].checked


def test_transfer_steps_inside_the_range_add_then_subtract():
    # index 1 of a two-element transfer gets +2 (step 0) then -2 (its own step 1); a set of 5
    # landing between them leaves 3, never 7
    exp = expectation("i", "  - {name: t, op: transfer, value: 2}\n  - {name: s, op: set, value: 5, range: [1, 2]}\n",
                      init=[0, 0])
    assert exp.indices[1].values == (3, 5)
    exp3 = expectation("i", "  - {name: t, op: transfer, value: 2}\n  - {name: s, op: set, value: 5, range: [1, 3]}\n",
                       init=[0, 0, 0])
    assert exp3.indices[1].values == (3, 5) and exp3.indices[2].values == (3, 5)


def test_many_integer_transfers_are_one_exact_value_however_many_orders():
    exp = expectation("i", "  - {name: t, op: transfer, value: 3, count: 2, loops: 100}\n", init=[1, 2, 3])
    assert exp.simple == (1, 2, 3)
    one = expectation("i", "  - {name: t, op: transfer, value: 3, count: 2, loops: 100, range: [1, 2]}\n",
                      init=[1, 2, 3])
    assert one.simple == (1, 2, 3)


def test_float_transfers_round_in_any_order_within_a_tolerance():
    exp = expectation("f", "  - {name: t, op: transfer, value: 0.1, count: 2, loops: 3}\n", init=[1, 2])
    assert all(e.tolerance > 0 and e.reason == "floating-point additions in different orders round differently"
               for e in exp.indices)
