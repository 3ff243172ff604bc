"""The model against a real shared array, at the types' limits.

Every order of a scenario's atomic steps, run one after another on a real
``multiprocessing.Array(typecode, n, lock=False)`` in this process (no worker processes),
leaves a final array that the model accepts; and on one-index scenarios the model lists
exactly the values that some order leaves. The steps come from the contract's table of
operations and run on the real array: no expected value is computed with harness code.
Values are drawn from each type's limits as often as from its whole range, and explicit
examples pin every maximum and both wrap directions.
"""

from __future__ import annotations

import ctypes
import math
import multiprocessing
import struct
import sys
from multiprocessing.sharedctypes import typecode_to_type

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from harness.plan import make_plan
from harness.scenario import make_group
from harness.scenario import ArraySpec, Scenario

SETTINGS = settings(max_examples=400, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

INTEGER_CODES = ("b", "B", "h", "H", "i", "I", "l", "L", "q", "Q")
CODES = INTEGER_CODES + ("f", "d")
FLT_MAX = struct.unpack("<f", b"\xff\xff\x7f\x7f")[0]


# -- each type's limits, from the array alone ----------------------------------------------------------

def int_limits(code: str) -> tuple[int, int]:
    """An integer type's range, read back from a real array: all bits set is -1 when signed."""
    bits = 8 * ctypes.sizeof(typecode_to_type[code])
    arr = multiprocessing.Array(code, 2, lock=False)
    arr[0], arr[1] = -1, 1 << (bits - 1)
    if arr[0] == -1:
        return arr[1], -arr[1] - 1
    return 0, arr[0]


def edge_values(code: str) -> list:
    """Values at and next to the type's limits, where an off-by-one in the model shows."""
    if code == "f":
        return [0.1, -0.1, 0.5, 1e-45, 16777216.0, 16777217, 3.0e38, FLT_MAX, -FLT_MAX, 1e6]
    if code == "d":
        return [0.1, -0.1, 0.7, 2.0 ** 53, 1e308, -1e308, sys.float_info.max]
    lo, hi = int_limits(code)
    return sorted({lo, lo + 1, hi - 1, hi, 0, 1} | ({-1} if lo < 0 else set()))


def stored_values(code: str):
    """Values an element holds (set values and initial values must fit the type)."""
    if code in ("f", "d"):
        return st.one_of(st.sampled_from(edge_values(code)),
                         st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False), st.integers(-100, 100))
    lo, hi = int_limits(code)
    return st.one_of(st.sampled_from(edge_values(code)), st.integers(lo, hi), st.integers(-3, 3).filter(
        lambda v: lo <= v <= hi))


def added_values(code: str):
    """add and transfer values: an integer below the span in magnitude wraps the element."""
    if code in ("f", "d"):
        return stored_values(code)
    lo, hi = int_limits(code)
    span = hi - lo + 1
    return st.one_of(st.sampled_from(edge_values(code) + [span - 1, -(span - 1), span // 2]),
                     st.integers(-(span - 1), span - 1), st.integers(-3, 3))


# -- scenarios ---------------------------------------------------------------------------------------------

@st.composite
def writer(draw, name: str, code: str, size: int, array_lock: bool, max_count: int, max_loops: int):
    op = draw(st.sampled_from(("add", "set", "stamp", "transfer", "snapshot")))
    w: dict = {"name": name, "op": op}
    start = draw(st.integers(0, size - 1))
    stop = draw(st.integers(start + 1, size))
    w["range"] = [start, stop]
    w["count"] = draw(st.integers(1, max_count))
    if w["count"] <= stop - start:
        w["partition"] = draw(st.booleans())
    w["loops"] = draw(st.integers(1, max_loops))
    if op == "set":
        w["value"] = draw(stored_values(code))
    elif op in ("add", "transfer"):
        w["value"] = draw(added_values(code))
    if op in ("set", "stamp"):
        w["write"] = draw(st.sampled_from(["element", "slice"]))
    if array_lock:
        w["lock"] = draw(st.sampled_from(["none", "element", "pass", "worker"]))
    return w


@st.composite
def scenarios(draw, max_size: int = 3, max_groups: int = 3, max_count: int = 2, max_loops: int = 3):
    code = draw(st.sampled_from(CODES))
    size = draw(st.integers(1, max_size))
    lock = draw(st.booleans())
    array = {"typecode": code, "init": draw(st.lists(stored_values(code), min_size=size, max_size=size)),
             "lock": lock}
    groups = draw(st.integers(1, max_groups))
    return {"array": array,
            "workers": [draw(writer(f"g{k}", code, size, lock, max_count, max_loops)) for k in range(groups)]}


def scenario(code: str, *workers: dict, init=(0,)) -> dict:
    """A hand-built scenario for an explicit example; workers are (name, op, **keys) dicts."""
    return {"array": {"typecode": code, "init": list(init), "lock": True}, "workers": list(workers)}


def group(name: str, op: str, **keys) -> dict:
    return {"name": name, "op": op, **keys}


# -- the contract's steps, run on the real array ------------------------------------------------------------

def ranges(w: dict, size: int) -> list[tuple[int, int]]:
    """Each process's [start, stop): partition gives contiguous chunks, the first ones longer."""
    start, stop = w.get("range", [0, size])
    count = w.get("count", 1)
    if not w.get("partition"):
        return [(start, stop)] * count
    n, out, lo = stop - start, [], start
    for k in range(count):
        length = n // count + (1 if k < n % count else 0)
        out.append((lo, lo + length))
        lo += length
    return out


def program(w: dict, start: int, stop: int) -> list[list[tuple]]:
    """One process's atomic units in program order; a unit is a list of (index, kind, value):
    kind 'add' is ``arr[i] = arr[i] + value`` (one read-modify-write), 'set' is ``arr[i] = value``.
    A slice write is one unit; a transfer step is two, each half its own read-modify-write."""
    op, value = w["op"], w.get("value", 1)
    units = []
    for pass_no in range(1, w.get("loops", 1) + 1):
        if op == "add":
            units += [[(i, "add", value)] for i in range(start, stop)]
        elif op in ("set", "stamp"):
            v = pass_no if op == "stamp" else value
            writes = [(i, "set", v) for i in range(start, stop)]
            units += [writes] if w.get("write") == "slice" else [[x] for x in writes]
        elif op == "transfer":
            for i in range(start, stop):
                j = i + 1 if i + 1 < stop else start
                units += [[(i, "add", -value)], [(j, "add", value)]]
    return units


def programs(data: dict) -> list[list[list[tuple]]]:
    size = len(data["array"]["init"])
    return [program(w, a, b) for w in data["workers"] for a, b in ranges(w, size)]


def run_unit(arr, unit) -> None:
    for i, kind, v in unit:
        if kind == "add":
            arr[i] = arr[i] + v
        else:
            arr[i] = v


def run_in_order(data: dict, choices: list[int]) -> list:
    """All units on a real array, one at a time; choice k picks the k-th (mod) process that
    still has units; once the choices run out, the lowest such process goes next."""
    arr = multiprocessing.Array(data["array"]["typecode"], data["array"]["init"], lock=False)
    progs = programs(data)
    pos = [0] * len(progs)
    for step in range(sum(len(p) for p in progs)):
        live = [k for k, p in enumerate(progs) if pos[k] < len(p)]
        k = live[choices[step] % len(live)] if step < len(choices) else live[0]
        run_unit(arr, progs[k][pos[k]])
        pos[k] += 1
    return list(arr)


def plan_of(data: dict):
    """The plan of a hand-built Scenario (no YAML: the loader's defaults are not under test
    here); the initial values are put in the C type by a real array."""
    array = data["array"]
    code = array["typecode"]
    init = tuple(multiprocessing.Array(code, array["init"], lock=False))
    groups = []
    for w in data["workers"]:
        start, stop = w.get("range", [0, len(init)])
        keys = {k: v for k, v in w.items() if k not in ("name", "op", "range")}
        groups.append(make_group(w["name"], w["op"], start, stop, typecode=code, **keys))
    return make_plan(Scenario("edge", "edge.yaml", ArraySpec(code, init, array.get("lock", True)), tuple(groups)))


MAXIMA = [scenario(code, group("max", "set", value=int_limits(code)[1], range=[0, 1]),
                   group("min", "set", value=int_limits(code)[0]), init=(0, 0)) for code in INTEGER_CODES]
REACH_MAX = [scenario(code, group("up", "add", value=1, lock="element", count=2),
                      init=(int_limits(code)[1] - 2, int_limits(code)[1] - 1)) for code in INTEGER_CODES]
WRAP_UP = [scenario(code, group("up", "add", value=1), group("s", "set", value=5, range=[1, 2]),
                    init=(int_limits(code)[1], int_limits(code)[1])) for code in INTEGER_CODES]
WRAP_DOWN = [scenario(code, group("down", "add", value=-1, loops=2), init=(int_limits(code)[0],))
             for code in INTEGER_CODES]


def examples(cases: list[dict]):
    """Apply one @example per hand-built scenario, run in program order."""
    def decorate(test):
        for case in cases:
            test = example(case, [])(test)
        return test
    return decorate


EDGES = MAXIMA + REACH_MAX + WRAP_UP + WRAP_DOWN + [
    # signed byte: adds wrapping past 127 beside competing setters of both extremes
    scenario("b", group("add", "add", value=100, loops=3, lock="element"),
             group("max", "set", value=127), group("min", "set", value=-128)),
    scenario("B", group("s", "stamp", loops=257, write="slice"), init=(0, 0)),
    scenario("b", group("s", "stamp", loops=128), group("t", "stamp", loops=127)),
    scenario("B", group("t", "transfer", value=255, loops=2, lock="element"), init=(0, 255, 1)),
    # single precision: every step rounds, overflow is inf
    scenario("f", group("a", "add", value=0.1, loops=3, count=2, lock="element"), init=(0.0, 1e6)),
    scenario("f", group("a", "add", value=3.0e38, loops=2), group("one", "add", value=1.0)),
    scenario("f", group("a", "add", value=3.0e38, loops=2, lock="element"),
             group("b", "add", value=-3.0e38, loops=2, lock="element")),
    scenario("f", group("s", "set", value=16777217), group("a", "add", value=1)),
    scenario("d", group("a", "add", value=0.1, loops=3), group("b", "add", value=0.7, loops=2)),
]


@SETTINGS
@examples(EDGES)
@given(scenarios(), st.lists(st.integers(0, 7), max_size=120))
def test_every_order_on_a_real_array_is_accepted_by_the_model(data, choices):
    final = run_in_order(data, choices)
    exp = plan_of(data).expectation
    assert exp.mismatches(final) == [], (final, exp.shown())


def index_orders(data: dict) -> set:
    """Every final value of index 0 over every order of the units, each unit run on a real
    one-element array (a one-index scenario: every unit touches index 0)."""
    code = data["array"]["typecode"]
    seqs = programs(data)
    cell = multiprocessing.Array(code, 1, lock=False)
    seen: dict = {}

    def finals(pos: tuple, x) -> frozenset:
        key = (pos, x, math.copysign(1.0, x) if isinstance(x, float) else 0)
        if key not in seen:
            out: set = set()
            for k, seq in enumerate(seqs):
                if pos[k] < len(seq):
                    cell[0] = x
                    run_unit(cell, [(0, kind, v) for _, kind, v in seq[pos[k]]])
                    out |= finals(pos[:k] + (pos[k] + 1,) + pos[k + 1:], cell[0])
            seen[key] = frozenset(out) if out else frozenset([x])
        return seen[key]

    cell[0] = data["array"]["init"][0]
    return set(finals(tuple(0 for _ in seqs), cell[0]))


@SETTINGS
@examples([case for case in EDGES if len(case["array"]["init"]) == 1])
@given(scenarios(max_size=1, max_loops=2), st.just([]))
def test_model_lists_exactly_the_values_some_order_leaves(data, _choices):
    (exp,) = plan_of(data).expectation.indices
    if not exp.checked:
        return  # too many orders for the model to list: it says so and checks nothing
    reachable = index_orders(data)
    assert all(exp.accepts(v) for v in reachable), (sorted(reachable), exp)
    if not exp.tolerance:
        assert set(exp.values) == reachable
