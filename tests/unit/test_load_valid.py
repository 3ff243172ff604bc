"""Valid scenarios: defaults, partitions, C-typed values, bundled files and the JSON Schema."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from harness.errors import ScenarioError
from harness.load import load_scenario, load_text
from harness.plan import make_plan, split
from harness.messages import TimingSpec
from harness.scenario import DEFAULT_TIMEOUT_S, DEFAULT_TRIALS, Expect
from harness.settings import RunOptions, resolve
from harness.schema import schema_json, scenario_schema

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))

MINIMAL = """\
array:
  typecode: i
  size: 4
workers:
  - name: adder
    op: add
  - name: setter
    op: set
    value: 3
  - name: stamper
    op: stamp
  - name: mover
    op: transfer
  - name: reader
    op: snapshot
"""


@pytest.fixture(scope="module")
def minimal():
    return load_text(MINIMAL, "some/dir/my_scenario.yaml")


def test_name_defaults_to_file_stem(minimal):
    assert minimal.name == "my_scenario"
    assert minimal.path == "some/dir/my_scenario.yaml"
    assert minimal.description == ""
    assert load_text(MINIMAL, "x.yml").name == "x"


def test_explicit_name_and_description_are_kept():
    s = load_text("name: seed-1.a_b\ndescription: hello\n" + MINIMAL, "other.yaml")
    assert (s.name, s.description) == ("seed-1.a_b", "hello")


def test_array_defaults(minimal):
    assert minimal.array.typecode == "i"
    assert minimal.array.init == (0, 0, 0, 0)
    assert minimal.array.size == 4
    assert minimal.array.lock is True


def test_worker_defaults(minimal):
    adder, setter, stamper, mover, reader = minimal.workers
    for g in minimal.workers:
        assert (g.start, g.stop) == (0, 4)
        assert g.count == 1 and g.partition is False and g.loops == 1
        assert g.lock == "none" and g.think_us == 0
        assert g.write == "element" and g.read == "slice"
        assert g.call is None and g.args == () and g.kwargs == () and g.time_scale == 1.0
    assert adder.value == 1 and isinstance(adder.value, int)
    assert mover.value == 1
    assert setter.value == 3
    assert stamper.value is None
    assert reader.value is None
    assert reader.check == "uniform"
    assert adder.check is None and setter.check is None
    assert [g.writes for g in minimal.workers] == [True, True, True, True, False]


def test_expect_and_run_defaults(minimal):
    assert minimal.expect.anomaly == "none"
    assert minimal.expect.final is None
    assert minimal.is_canary is False
    run = minimal.run  # what the file does not say stays None: the command line and the project have their say
    assert (run.trials, run.timeout_s, run.seed, run.start_methods, run.stop_on_detection, run.timing.inject) == (
        None, None, None, None, None, None)
    assert (run.timing.probability, run.timing.max_delay_us) == (0.5, 100)
    (job,) = resolve([minimal], RunOptions(start_methods=("fork",))).jobs
    settings = job.settings
    assert settings.trials == DEFAULT_TRIALS == 200
    assert settings.timeout_s == DEFAULT_TIMEOUT_S == 10
    assert settings.stop_on_detection is True
    assert settings.timing == TimingSpec("mixed", 0.5, 100)


def test_every_key_given_is_kept():
    text = """\
name: full
array: {typecode: h, init: [1, 2, 3, 4, 5, 6], lock: true}
workers:
  - {name: w, count: 2, range: [1, 5], partition: true, loops: 7, op: add, value: -2,
     lock: element, think_us: 30}
  - {name: r, op: snapshot, read: iterate, check: sum, lock: pass, loops: 3}
  - {name: s, op: stamp, write: slice, range: [0, 2]}
  - {name: c, op: call, call: "pkg.mod:fn", args: [$array, 1, [$index]], kwargs: {n: $loops, v: $value},
     value: 2.5, check: monotonic, time_scale: 0.001, range: [2, 6]}
expect: {anomaly: any, final: [1, null, 3, 4, 5, 6]}
run:
  trials: 9
  seed: 123
  timeout_s: 2.5
  start_methods: [spawn]
  stop_on_detection: false
  timing: {inject: none, probability: 0.25, max_delay_us: 7}
"""
    s = load_text(text, "f.yaml")
    assert s.array.init == (1, 2, 3, 4, 5, 6)
    w, r, st, c = s.workers
    assert (w.count, w.start, w.stop, w.partition, w.loops, w.value, w.lock, w.think_us) == (
        2, 1, 5, True, 7, -2, "element", 30)
    assert (r.read, r.check, r.lock, r.loops) == ("iterate", "sum", "pass", 3)
    assert (st.write, st.start, st.stop) == ("slice", 0, 2)
    assert c.call == "pkg.mod:fn"
    assert c.args == ("$array", 1, ("$index",))
    assert c.kwargs == (("n", "$loops"), ("v", "$value"))
    assert c.value == 2.5 and c.check == "monotonic" and c.time_scale == 0.001
    assert s.expect == Expect("any", (1, None, 3, 4, 5, 6))
    assert s.is_canary
    assert s.run.trials == 9 and s.run.seed == 123 and s.run.timeout_s == 2.5
    assert s.run.start_methods == ("spawn",) and s.run.stop_on_detection is False
    assert (s.run.timing.inject, s.run.timing.probability, s.run.timing.max_delay_us) == ("none", 0.25, 7)
    hash(s)  # frozen all the way down


def test_whole_floats_count_as_integers():
    text = """\
array: {typecode: i, size: 4.0}
workers:
  - {name: w, op: add, count: 2.0, loops: 3.0, range: [0.0, 4.0], partition: true}
run: {trials: 5.0, seed: 7.0}
"""
    s = load_text(text, "f.yaml")
    assert s.array.size == 4
    g = s.workers[0]
    assert (g.count, g.loops, g.start, g.stop) == (2, 3, 0, 4)
    assert all(type(x) is int for x in (g.count, g.loops, g.start, g.stop, s.run.trials, s.run.seed))
    assert [(p.start, p.stop) for p in make_plan(s).processes] == [(0, 2), (2, 4)]


def test_exponents_without_a_dot_are_numbers_as_in_yaml_1_2():
    text = """\
array: {typecode: d, init: [0.0, 1e16, -2E-3, +1e+2, 1.5e3, .5e1, !!float 2e0]}
workers:
  - {name: w, op: add, value: 1e3}
  - {name: s, op: set, value: 5e0, range: [0, 1]}
run: {trials: 1e3}
"""
    s = load_text(text, "f.yaml")
    assert list(s.array.init) == [0.0, 1e16, -2e-3, 100.0, 1500.0, 5.0, 2.0]
    assert s.workers[0].value == 1000.0 and s.workers[1].value == 5.0
    assert s.run.trials == 1000 and type(s.run.trials) is int
    with pytest.raises(ScenarioError, match=r"f.yaml:3:31: workers\[0\].value: found the string '1e3'"):
        load_text(text.replace("value: 1e3", "value: '1e3'"), "f.yaml")  # quoted: a string, as written
    with pytest.raises(ScenarioError, match=r"workers\[0\].value: found the string '1e3'"):
        load_text(text.replace("value: 1e3", "value: !!str 1e3"), "f.yaml")  # tagged: a string too


def test_exponents_are_numbers_in_large_files_too():
    """Files over FAST_ABOVE go through libyaml; they must read the same values."""
    from harness.yamlpos import FAST_ABOVE, parse

    padding = "".join(f"# {'x' * 70}\n" for _ in range(FAST_ABOVE // 70 + 10))
    data, _ = parse(padding + "a: 1e16\nb: '1e3'\nc: 2.5e2\n", "big.yaml")
    assert len(padding) > FAST_ABOVE and data == {"a": 1e16, "b": "1e3", "c": 250.0}


@pytest.mark.parametrize("start, stop, count, chunks", [
    (0, 10, 3, [(0, 4), (4, 7), (7, 10)]),
    (0, 9, 3, [(0, 3), (3, 6), (6, 9)]),
    (2, 7, 2, [(2, 5), (5, 7)]),
    (0, 5, 5, [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]),
    (3, 4, 1, [(3, 4)]),
])
def test_split(start, stop, count, chunks):
    assert split(start, stop, count) == chunks


def test_partition_gives_each_process_its_chunk():
    s = load_text("""\
array: {typecode: i, size: 10}
workers:
  - {name: p, op: add, count: 3, partition: true}
  - {name: q, op: add, count: 2, range: [2, 8]}
""", "p.yaml")
    procs = make_plan(s).processes
    assert [(p.group, p.index, p.worker, p.start, p.stop) for p in procs] == [
        ("p", 0, 0, 0, 4), ("p", 1, 1, 4, 7), ("p", 2, 2, 7, 10),
        ("q", 0, 3, 2, 8), ("q", 1, 4, 2, 8),
    ]


def test_each_process_of_a_call_group_gets_its_own_arguments():
    s = load_text("""\
array: {typecode: i, size: 4}
workers:
  - name: w
    op: call
    call: m:f
    count: 2
    args_each: [[$array, 0, 2], [$array, 2, 4]]
    kwargs: {scale: 1, tag: x}
    kwargs_each: [{tag: first}, {tag: second, extra: [$rlock]}]
  - {name: v, op: call, call: 'm:g', args: [$array, $lock], check: uniform, check_on: returns}
""", "e.yaml")
    plan = make_plan(s)
    first, second, third = plan.processes
    assert first.args == ("$array", 0, 2) and second.args == ("$array", 2, 4)
    assert dict(first.kwargs) == {"scale": 1, "tag": "first"}
    assert dict(second.kwargs) == {"scale": 1, "tag": "second", "extra": ("$rlock",)}
    assert third.check_on == "returns" and first.check_on == "reads"
    assert plan.locks == ("$lock", "$rlock")  # what the executor must create and share
    assert make_plan(load_text("array: {typecode: i, size: 2}\nworkers:\n  - {name: a, op: add}\n",
                               "n.yaml")).locks == ()


def test_init_and_final_are_stored_in_the_c_type():
    s = load_text("""\
array: {typecode: f, init: [0.1, 1, -2.5]}
workers: [{name: w, op: set, value: 0.1}]
expect: {final: [0.1, null, 3]}
""", "f.yaml")
    import ctypes

    tenth = ctypes.c_float(0.1).value
    assert tenth != 0.1
    assert s.array.init == (tenth, 1.0, -2.5)
    assert all(isinstance(v, float) for v in s.array.init)
    assert s.expect.final == (tenth, None, 3.0)
    ints = load_text("array: {typecode: B, init: [0, 255]}\nworkers: [{name: w, op: add}]\n", "b.yaml")
    assert ints.array.init == (0, 255) and all(type(v) is int for v in ints.array.init)
    doubles = load_text("array: {typecode: d, init: [1, 2]}\nworkers: [{name: w, op: add, value: 2}]\n", "d.yaml")
    assert doubles.array.init == (1.0, 2.0) and all(type(v) is float for v in doubles.array.init)


def test_anchors_and_merge_keys_are_accepted():
    s = load_text("""\
array: {typecode: i, size: 2}
workers:
  - &first {name: a, op: add, loops: 2}
  - {<<: *first, name: b}
""", "m.yaml")
    assert [(g.name, g.op, g.loops) for g in s.workers] == [("a", "add", 2), ("b", "add", 2)]


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_bundled_scenario_loads(path):
    s = load_scenario(path)
    assert s.name
    plan = make_plan(s)
    assert len(plan.expectation.indices) == s.array.size


@pytest.fixture(scope="module")
def validator():
    return jsonschema.Draft202012Validator(scenario_schema())


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_bundled_scenario_matches_json_schema(path, validator):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    errors = [e.message for e in validator.iter_errors(data)]
    assert errors == []


def test_there_are_bundled_scenarios():
    assert len(SCENARIOS) >= 10


def test_shipped_schema_file_is_current():
    shipped = (ROOT / "harness" / "scenario.schema.json").read_text(encoding="utf-8")
    assert shipped == schema_json()
    assert json.loads(shipped) == scenario_schema()
    jsonschema.Draft202012Validator.check_schema(json.loads(shipped))


VALID = {
    "array": {"typecode": "i", "size": 4},
    "workers": [{"name": "a", "op": "add", "value": 2}],
}


def _with(change):
    data = copy.deepcopy(VALID)
    change(data)
    return data


def test_schema_accepts_the_valid_base(validator):
    assert list(validator.iter_errors(VALID)) == []


@pytest.mark.parametrize("data, keyword", [
    pytest.param(_with(lambda d: d.update(extra=1)), "additionalProperties", id="unknown-top-key"),
    pytest.param(_with(lambda d: d["workers"][0].update(valu=1)), "additionalProperties", id="unknown-worker-key"),
    pytest.param(_with(lambda d: d["array"].update(typecode="x")), "enum", id="bad-typecode"),
    pytest.param(_with(lambda d: d["workers"][0].update(op="ad")), "enum", id="bad-op"),
    pytest.param(_with(lambda d: d.update(expect={"anomaly": "lost"})), "enum", id="bad-anomaly"),
    pytest.param(_with(lambda d: d["workers"][0].update(write="slice")), "false", id="write-on-add"),
    pytest.param(_with(lambda d: d["workers"][0].update(read="slice")), "false", id="read-on-add"),
    pytest.param(_with(lambda d: d["workers"][0].update(op="set", value=None) or d["workers"][0].pop("value")),
                 "required", id="set-without-value"),
    pytest.param(_with(lambda d: d.pop("workers")), "required", id="missing-workers"),
    pytest.param(_with(lambda d: d["workers"][0].pop("name")), "required", id="missing-worker-name"),
    pytest.param(_with(lambda d: d["array"].pop("size")), "oneOf", id="neither-size-nor-init"),
    pytest.param(_with(lambda d: d["array"].update(init=[1, 2, 3, 4])), "oneOf", id="both-size-and-init"),
    pytest.param(_with(lambda d: d["array"].update(size=0)), "minimum", id="size-zero"),
    pytest.param(_with(lambda d: d.update(run={"trials": 10**40})), "maximum", id="huge-trials"),
])
def test_schema_rejects(validator, data, keyword):
    errors = list(validator.iter_errors(data))
    assert errors, "the schema must reject this"
    found = {e.validator for e in errors} | {c.validator for e in errors for c in (e.context or ())}
    if keyword == "false":  # a forbidden op-specific key shows as an if/then failure
        assert any("then" in e.relative_schema_path or "allOf" in e.relative_schema_path for e in errors)
    else:
        assert keyword in found, [e.message for e in errors]


def test_a_large_generated_file_loads_fast_with_exact_positions():
    import pytest as _pytest

    from harness import yamlpos
    from harness.errors import ScenarioError

    values = ", ".join(["1"] * 30000)
    text = f"array:\n  typecode: i\n  init: [{values}]\nworkers: [{{name: a, op: ad}}]\n"
    assert len(text) > yamlpos.FAST_ABOVE
    with _pytest.raises(ScenarioError) as got:
        load_text(text, "big.yaml")
    (problem,) = got.value.problems
    assert (problem.line, problem.column) == (4, 25) and "found the string 'ad'" in problem.message
    scenario = load_text(text.replace("op: ad", "op: add"), "big.yaml")
    assert scenario.array.size == 30000


@pytest.mark.parametrize("path", SCENARIOS[:8] + [ROOT / "harness" / "templates" / "call.yaml"], ids=lambda p: p.name)
def test_libyaml_and_the_pure_python_composer_read_the_same_data_and_positions(path, monkeypatch):
    from harness import yamlpos

    if len(yamlpos._LOADERS) < 2:
        pytest.skip("PyYAML without libyaml")
    text = path.read_text(encoding="utf-8").replace("{name}", "n").replace("{file}", "f") + "x: 'caf\u00e9'\n"
    fast = yamlpos.parse(text, "s.yaml")
    monkeypatch.setattr(yamlpos, "_shallow", lambda text: False)  # libyaml is never asked
    slow = yamlpos.parse(text, "s.yaml")
    assert fast[0] == slow[0]
    assert (fast[1].values, fast[1].keys) == (slow[1].values, slow[1].keys)
