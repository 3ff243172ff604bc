"""Property tests: valid scenarios round-trip, any text fails cleanly, and the model agrees
with a real multiprocessing.Array driven sequentially in this process (no worker processes).
"""

from __future__ import annotations

import multiprocessing

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.cvalues import CTYPES, TYPECODES
from harness.errors import ScenarioError
from harness.explain import explain
from harness.load import load_text
from harness.plan import make_plan

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

OPS = ("add", "set", "stamp", "transfer", "snapshot")


def c_values(typecode: str, magnitude: int = 1000):
    """Values a typecode holds; floats kept moderate so sums never overflow to inf."""
    ct = CTYPES[typecode]
    if ct.is_float:
        return st.one_of(st.integers(-magnitude, magnitude),
                         st.floats(-magnitude, magnitude, allow_nan=False, allow_infinity=False))
    return st.integers(max(ct.lo, -magnitude) if ct.signed else 0, min(ct.hi, magnitude))


def add_values(typecode: str):
    """add/transfer values: anything fitting the type (integers may wrap, that is the point)."""
    ct = CTYPES[typecode]
    if ct.is_float:
        return c_values(typecode, 100)
    return st.one_of(st.integers(-3, 3), st.integers(ct.lo, ct.hi))


@st.composite
def worker(draw, name: str, typecode: str, size: int, array_lock: bool):
    op = draw(st.sampled_from(OPS))
    w: dict = {"name": name, "op": op}
    if draw(st.booleans()):
        start = draw(st.integers(0, size - 1))
        stop = draw(st.integers(start + 1, size))
        w["range"] = [start, stop]
    else:
        start, stop = 0, size
    count = draw(st.integers(1, 3))
    if count > 1 or draw(st.booleans()):
        w["count"] = count
    if count <= stop - start and draw(st.booleans()):
        w["partition"] = draw(st.booleans())
    if draw(st.booleans()):
        w["loops"] = draw(st.integers(1, 5))
    if op == "set":
        w["value"] = draw(c_values(typecode))
    elif op in ("add", "transfer") and draw(st.booleans()):
        w["value"] = draw(add_values(typecode))
    if op in ("set", "stamp") and draw(st.booleans()):
        w["write"] = draw(st.sampled_from(["element", "slice"]))
    if op == "snapshot":
        if draw(st.booleans()):
            w["read"] = draw(st.sampled_from(["slice", "iterate"]))
        if draw(st.booleans()):
            w["check"] = draw(st.sampled_from(["uniform", "sum", "monotonic"]))
    if draw(st.booleans()):
        w["lock"] = draw(st.sampled_from(["none", "element", "pass", "worker"] if array_lock else ["none"]))
    if draw(st.booleans()):
        w["think_us"] = draw(st.integers(0, 50))
    return w


@st.composite
def scenarios(draw):
    typecode = draw(st.sampled_from(TYPECODES))
    size = draw(st.integers(1, 20))
    array: dict = {"typecode": typecode}
    if draw(st.booleans()):
        array["size"] = size
    else:
        array["init"] = draw(st.lists(c_values(typecode), min_size=size, max_size=size))
    lock = draw(st.booleans())
    if not lock or draw(st.booleans()):
        array["lock"] = lock
    n = draw(st.integers(1, 3))
    data: dict = {"array": array, "workers": [draw(worker(f"g{k}", typecode, size, lock)) for k in range(n)]}
    if draw(st.booleans()):
        data["name"] = draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,20}", fullmatch=True))
    if draw(st.booleans()):
        data["description"] = draw(st.text(max_size=40))
    if draw(st.booleans()):
        anomaly = draw(st.sampled_from(["none", "lost_update", "any"]))
        data["expect"] = {"anomaly": anomaly}
    if draw(st.booleans()):
        data["run"] = {"trials": draw(st.integers(1, 1000)), "seed": draw(st.integers(0, 2**63 - 1))}
    return data


def _stored(typecode, value):
    """What a real shared array holds after storing value (not the project's own store)."""
    return multiprocessing.Array(typecode, [value], lock=False)[0]


# -- (1) valid scenarios load and round-trip -------------------------------------------------------

@SETTINGS
@given(scenarios())
def test_valid_scenarios_round_trip(data):
    text = yaml.safe_dump(data, sort_keys=False)
    s = load_text(text, "prop/some_file.yaml")
    array = data["array"]
    tc = array["typecode"]
    assert s.name == data.get("name", "some_file")
    assert s.description == data.get("description", "")
    assert s.array.typecode == tc
    assert s.array.lock == array.get("lock", True)
    if "init" in array:
        assert s.array.init == tuple(_stored(tc, v) for v in array["init"])
    else:
        assert s.array.init == (_stored(tc, 0),) * array["size"]
    assert len(s.workers) == len(data["workers"])
    for g, w in zip(s.workers, data["workers"]):
        op = w["op"]
        assert (g.name, g.op) == (w["name"], op)
        assert [g.start, g.stop] == w.get("range", [0, s.array.size])
        assert g.count == w.get("count", 1)
        assert g.partition == w.get("partition", False)
        assert g.loops == w.get("loops", 1)
        assert g.lock == w.get("lock", "none")
        assert g.think_us == w.get("think_us", 0)
        assert g.write == w.get("write", "element")
        assert g.read == w.get("read", "slice")
        assert g.check == w.get("check", "uniform" if op == "snapshot" else None)
        want = w.get("value", 1 if op in ("add", "transfer") else None)
        assert g.value == want
    assert s.expect.anomaly == data.get("expect", {}).get("anomaly", "none")
    assert s.run.trials == data.get("run", {}).get("trials")
    assert s.run.seed == data.get("run", {}).get("seed")
    # the plan never fails on a valid scenario
    plan = make_plan(s)
    assert len(plan.expectation.indices) == s.array.size
    assert len(plan.processes) == sum(g.count for g in s.workers)
    explain(plan)


# -- (2) nothing but ScenarioError, whatever the input -------------------------------------------------

def _load_must_not_crash(text: str) -> None:
    try:
        s = load_text(text, "fuzz.yaml")
    except ScenarioError as exc:
        assert exc.problems
        for p in exc.problems:
            assert p.line >= 1 and p.column >= 1
            assert "\n" not in str(p), str(p)
        return
    # it loaded: later stages must cope too (kept to small sizes so the test stays fast)
    if s.array.size <= 1000 and all(g.loops <= 1000 for g in s.workers):
        explain(make_plan(s))


@SETTINGS
@given(st.text(max_size=300))
def test_arbitrary_text_is_valid_or_a_scenario_error(text):
    _load_must_not_crash(text)


YAML_WORDS = ["array", "workers", "typecode", "size", "init", "lock", "name", "op", "value", "range",
              "count", "partition", "loops", "expect", "final", "anomaly", "run", "trials", "seed", "timing",
              "check", "read", "write", "call", "args", "kwargs", "add", "set", "stamp", "transfer", "snapshot",
              "i", "B", "f", "d", "none", "element", "pass", "$array", "$value", "$bogus", "<<", "&a", "*a"]
YAML_CHARS = ": -[]{},\n  #!&*?|>'\"0123456789.e+~"


@SETTINGS
@given(st.lists(st.one_of(st.sampled_from(YAML_WORDS), st.text(alphabet=YAML_CHARS, max_size=4)), max_size=40))
def test_yaml_like_text_is_valid_or_a_scenario_error(words):
    _load_must_not_crash(" ".join(words))


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(-10**40, 10**40), st.floats(),
    st.text(max_size=10), st.sampled_from(YAML_WORDS),
)
yaml_data = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(st.sampled_from(YAML_WORDS), st.text(max_size=6)),
                                            inner, max_size=4)),
    max_leaves=20,
)


@SETTINGS
@given(yaml_data)
def test_arbitrary_yaml_data_is_valid_or_a_scenario_error(data):
    _load_must_not_crash(yaml.safe_dump(data))


def _paths(data, path=()):
    yield path
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _paths(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _paths(v, path + (i,))


@SETTINGS
@given(scenarios(), st.data())
def test_mutated_scenarios_are_valid_or_a_scenario_error(data, draw):
    """One part of a valid scenario replaced by arbitrary data: deep, plausible wrong files."""
    paths = [p for p in _paths(data) if p]
    path = draw.draw(st.sampled_from(paths))
    new = draw.draw(yaml_data)
    target = data
    for part in path[:-1]:
        target = target[part]
    if draw.draw(st.booleans()) and isinstance(target, dict):
        target[draw.draw(st.sampled_from(YAML_WORDS))] = new  # add (or replace) a key
    else:
        target[path[-1]] = new
    _load_must_not_crash(yaml.safe_dump(data, sort_keys=False))


# -- (3) the model agrees with a sequential run on a real Array ------------------------------------------

def run_sequentially(plan) -> list:
    """Every process's steps in program order, one process after another, in this process."""
    s = plan.scenario
    arr = multiprocessing.Array(s.array.typecode, list(s.array.init), lock=s.array.lock)
    for p in plan.processes:
        indices = range(p.start, p.stop)
        for pass_no in range(1, p.loops + 1):
            if p.op == "add":
                for i in indices:
                    arr[i] = arr[i] + p.value
            elif p.op in ("set", "stamp"):
                v = pass_no if p.op == "stamp" else p.value
                if p.write == "slice":
                    arr[p.start:p.stop] = [v] * (p.stop - p.start)
                else:
                    for i in indices:
                        arr[i] = v
            elif p.op == "transfer":
                for i in indices:
                    j = i + 1 if i + 1 < p.stop else p.start
                    arr[i] = arr[i] - p.value
                    arr[j] = arr[j] + p.value
            elif p.op == "snapshot":
                arr[p.start:p.stop]
    return list(arr[:])


@SETTINGS
@given(scenarios())
def test_model_accepts_a_sequential_run_on_a_real_array(data):
    s = load_text(yaml.safe_dump(data), "seq.yaml")
    plan = make_plan(s)
    final = run_sequentially(plan)
    assert plan.expectation.mismatches(final) == [], (final, plan.expectation.shown())


@st.composite
def order_independent(draw):
    """One process per group, or only adds (whose result does not depend on the order)."""
    data = draw(scenarios())
    only_adds = draw(st.booleans())
    for w in data["workers"]:
        if only_adds and w["op"] not in ("add", "transfer", "snapshot"):
            w["op"] = "add"
            w.pop("value", None), w.pop("write", None)
        if not only_adds:
            w.pop("count", None), w.pop("partition", None)
    return data


@SETTINGS
@given(order_independent())
def test_model_is_exact_where_order_does_not_matter(data):
    s = load_text(yaml.safe_dump(data), "seq.yaml")
    plan = make_plan(s)
    final = run_sequentially(plan)
    exp = plan.expectation
    assert exp.mismatches(final) == []
    tc = CTYPES[s.array.typecode]
    integer_adds = not tc.is_float and all(g.op in ("add", "transfer", "snapshot") for g in s.workers)
    if integer_adds:  # integer adds commute: one exact expected array
        assert exp.simple == tuple(final)
    for e, observed in zip(exp.indices, final):
        if len(e.values) == 1 and not e.tolerance:
            assert e.values[0] == observed
