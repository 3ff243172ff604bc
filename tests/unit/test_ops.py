"""Each operation's parent-side answers, asked directly: its model steps at and beside its range,
how ``explain`` words it, how many contended points a trial has, what user code is given and
why it races, and the parameters a call worker's processes get."""

from __future__ import annotations

import ctypes
import threading

import pytest

from harness.checks import float_sum_tolerance
from harness.cvalues import CTYPES
from harness.messages import FrozenMap, ProcessSpec
from harness.ops import op_of
from harness.scenario import make_group
from harness.ops.add import AddParams
from harness.ops.base import Operation
from harness.ops.call import CallParams
from harness.ops.set import SetParams
from harness.ops.snapshot import SnapshotParams
from harness.ops.stamp import StampParams
from harness.ops.transfer import TransferParams
from harness.plan import make_plan
from harness.points import WRITE
from harness.scenario import ArraySpec, Scenario
from harness.snapshots import Snapshots
from harness.timing import Policy


def process(op, params, start=1, stop=3, loops=1):
    return ProcessSpec(worker=0, group="g", index=0, op=op, start=start, stop=stop, loops=loops, params=params)


@pytest.mark.parametrize("op, params, inside", [
    ("add", AddParams(3), (("+", 3),)),
    ("set", SetParams(9), (("=", 9),)),
    ("stamp", StampParams(), (("=pass",),)),
])
def test_model_steps_are_on_the_range_only(op, params, inside):
    p = process(op, params, start=1, stop=3)
    assert [op_of(op).index_steps(p, i) for i in range(5)] == [(), inside, inside, (), ()]


def test_a_transfer_takes_first_at_its_range_start_and_gives_first_elsewhere():
    p = process("transfer", TransferParams(2), start=1, stop=4)
    assert [op_of("transfer").index_steps(p, i) for i in range(6)] == [
        (), (("+", -2), ("+", 2)), (("+", 2), ("+", -2)), (("+", 2), ("+", -2)), (), ()]
    one = process("transfer", TransferParams(2), start=0, stop=1)
    assert [op_of("transfer").index_steps(one, i) for i in range(2)] == [(("+", -2), ("+", 2)), ()]


@pytest.mark.parametrize("op, params, words", [
    ("add", AddParams(3), "add 3"),
    ("set", SetParams(9), "set 9"),
    ("set", SetParams(9, "slice"), "set 9 (one slice write per pass)"),
    ("stamp", StampParams(), "stamp"),
    ("stamp", StampParams("slice"), "stamp (one slice write per pass)"),
    ("transfer", TransferParams(2), "transfer 2"),
    ("snapshot", SnapshotParams("slice", "sum"), "snapshot (arr[start:stop], check: sum)"),
    ("snapshot", SnapshotParams("iterate", "uniform"), "snapshot (element by element, check: uniform)"),
    ("call", CallParams(call="m:f"), "call m:f"),
    ("call", CallParams(call="m:f", check="monotonic"), "call m:f (check: monotonic)"),
])
def test_how_explain_words_each_operation(op, params, words):
    assert op_of(op).describe(process(op, params)) == words


def test_contended_points_of_a_trial():
    assert op_of("add").hot_steps(process("add", AddParams(), loops=3), 2) == 6
    assert op_of("transfer").hot_steps(process("transfer", TransferParams(), loops=2), 5) == 10
    # a slice read is one access a pass, however many of its indices are contended
    slice_reader = process("snapshot", SnapshotParams("slice"), loops=4)
    assert [op_of("snapshot").hot_steps(slice_reader, c) for c in (0, 1, 3)] == [0, 4, 4]
    iterating = process("snapshot", SnapshotParams("iterate"), loops=4)
    assert [op_of("snapshot").hot_steps(iterating, c) for c in (0, 1, 3)] == [0, 4, 12]


def test_only_user_code_says_why_it_races():
    call = op_of("call")
    assert call.user_code_reason(True) == ("a call worker runs user code, which may start threads that race with "
                                           "each other; its locking shows only when it runs, so before a run the plan counts it as able to race")
    assert call.user_code_reason(False) == "a call worker runs user code; its locking shows only when it runs, so before a run the plan counts it as able to race"
    assert Operation().user_code_reason(True) == "" and op_of("add").user_code_reason(False) == ""


def test_user_code_is_never_atomic_whatever_the_lock():
    group = make_group("c", "call", 0, 2, call="m:f", lock="worker")
    assert op_of("call").step_atomic(group, True) is False
    assert op_of("call").pass_atomic(group, True) is False
    assert op_of("call").reach([(0, 1), (1, 2)], 5) == [(0, 5), (0, 5)]


def test_which_workers_check_what_they_read():
    assert op_of("call").checks_reads({"call": "m:f", "check": "sum"}) is True
    assert op_of("call").checks_reads({"call": "m:f"}) is False
    assert op_of("snapshot").checks_reads({}) is True
    assert op_of("add").checks_reads({"check": "sum"}) is False


def test_a_call_is_given_the_shared_locks_its_arguments_name():
    call = op_of("call")
    both = process("call", CallParams(call="m:f", args=("$array", ("$lock", 1)), kwargs=FrozenMap([("r", "$rlock")])))
    assert call.shared_locks(both) == {"$lock", "$rlock"}
    assert call.shared_locks(process("call", CallParams(call="m:f", args=("$array", "$start")))) == set()
    assert call.shared_locks(process("call", CallParams(call="m:f"))) == set()


def test_a_torn_number_counts_reads_or_returned_values():
    call = op_of("call")
    assert call.unit(process("call", CallParams(call="m:f"))) == "read"
    assert call.unit(process("call", CallParams(call="m:f", check_on="returns"))) == "returned value"


def test_call_parameters_and_their_defaults():
    params = op_of("call").params({"call": "m:f"}, CTYPES["i"], lambda key: (4, 9))
    assert params == CallParams(call="m:f", args=(), kwargs=(), call_at=(4, 9))
    assert params.args == () and params.kwargs == () and params.time_scale == 1.0 and params.check_on == "reads"
    full = op_of("call").params({"call": "m:f", "args": [1, [2]], "kwargs": {"k": {"j": 3}}, "args_each": [[1]],
                                 "kwargs_each": [{"a": 1}], "value": 5, "check": "sum", "check_on": "returns",
                                 "time_scale": 2}, CTYPES["i"], lambda key: (1, 2))
    assert full == CallParams(call="m:f", args=(1, (2,)), kwargs=FrozenMap([("k", FrozenMap([("j", 3)]))]),
                              args_each=((1,),), kwargs_each=(FrozenMap([("a", 1)]),), value=5, check="sum",
                              check_on="returns", time_scale=2.0, call_at=(1, 2))


def test_each_call_process_gets_its_own_arguments_and_its_range_expected_sum():
    scenario = Scenario("p", "/tmp/dir/p.yaml", ArraySpec("d", (1.0, 2.0, 3.0, 4.0)), (
        make_group("t", "transfer", 0, 2, typecode="d", value=0.5, lock="element"),
        make_group("c", "call", 0, 4, typecode="d", count=2, partition=True, call="m:f",
                   args_each=[["$array", 1], ["$array", 2]], kwargs={"a": 1, "b": 2},
                   kwargs_each=[{"b": 3}, {"c": 4}], check="sum"),
    ))
    calls = [p for p in make_plan(scenario).processes if p.op == "call"]
    assert [(p.start, p.stop) for p in calls] == [(0, 2), (2, 4)]
    assert [p.params for p in calls] == [
        CallParams(call="m:f", args=("$array", 1), kwargs=FrozenMap([("a", 1), ("b", 3)]), check="sum",
                   check_sum=3.0, check_tolerance=max(0.5 / 4, float_sum_tolerance([1.0, 2.0], "d"))),
        CallParams(call="m:f", args=("$array", 2), kwargs=FrozenMap([("a", 1), ("b", 2), ("c", 4)]), check="sum",
                   check_sum=7.0, check_tolerance=float_sum_tolerance([3.0, 4.0], "d")),
    ]


class Points(Policy):
    active = True

    def __init__(self):
        self.points = []

    def at(self, point, index, lock=-1, stop=-1):
        self.points.append((point, index))


def test_a_call_runner_calls_the_target_on_the_instrumented_array_with_the_shared_locks():
    arr = (ctypes.c_long * 4)()
    spec = ProcessSpec(worker=7, group="c", index=0, op="call", start=1, stop=3,
                       params=CallParams(call="operator:setitem", args=("$array", "$start", "$worker")))
    lock = threading.Lock()
    runner = op_of("call").runner(spec, arr, {"locks": {"$lock": lock}})
    policy = Points()
    runner(policy, Snapshots(spec, 1, "read"))
    assert list(arr) == [0, 7, 0, 0]
    assert policy.points == [(WRITE, 1)]
    assert "$lock" in runner.subs and "$rlock" not in runner.subs
    assert "$lock" not in op_of("call").runner(spec, arr, {}).subs


def test_a_value_is_an_int_on_an_integer_array_and_as_given_on_a_float_array():
    # the loader refuses 2.0 for an integer array; a group built in code may still pass one
    for op in ("add", "set", "transfer"):
        on_int = make_group("a", op, 0, 1, value=2.0).params.value
        on_float = make_group("a", op, 0, 1, typecode="d", value=2).params.value
        assert (type(on_int), on_int, type(on_float), on_float) == (int, 2, int, 2)
        assert type(make_group("a", op, 0, 1, typecode="f", value=2.5).params.value) is float
