"""Hypothesis throws arbitrary scenario shapes and command lines at the harness: every
outcome is a clean verdict or a clean error, never an exception escaping."""

from __future__ import annotations

import os

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from harness.api import run_scenario
from harness.cli import main
from harness.errors import ScenarioError
from harness.explain import explain
from harness.load import load_text
from harness.plan import make_plan
from harness.settings import RunOptions, resolve

OPS = ["add", "set", "stamp", "transfer", "snapshot", "bogus"]
small_int = st.integers(min_value=-3, max_value=12)
value = st.one_of(small_int, st.floats(-4, 4, allow_nan=False).map(lambda x: round(x, 2)), st.text(max_size=3))


VALID_KEYS = {
    "count": st.integers(1, 3), "partition": st.booleans(), "loops": st.integers(1, 6),
    "lock": st.sampled_from(["none", "element", "pass", "worker"]), "write": st.sampled_from(["element", "slice"]),
    "read": st.sampled_from(["slice", "iterate"]), "check": st.sampled_from(["uniform", "sum", "monotonic"]),
    "think_us": st.integers(0, 50), "value": st.integers(-3, 12),
}
WILD_KEYS = {
    "count": st.integers(0, 4), "range": st.lists(small_int, min_size=1, max_size=3), "loops": st.integers(0, 6),
    "value": value, "lock": st.just("all"), "write": st.just("x"), "think_us": st.integers(-1, 0),
    "colour": st.just("red"), "op": st.just("bogus"), "name": st.just("a"),
}


@st.composite
def worker_shapes(draw, n, size):
    w = {"name": f"w{n}", "op": draw(st.sampled_from(OPS[:-1]))}
    for key in draw(st.lists(st.sampled_from(sorted(VALID_KEYS)), unique=True, max_size=5)):
        w[key] = draw(VALID_KEYS[key])
    if draw(st.booleans()):
        lo = draw(st.integers(0, max(0, size - 1)))
        w["range"] = [lo, draw(st.integers(lo + 1, max(lo + 1, size)))]
    if draw(st.integers(0, 3)) == 0:  # now and then, something wrong
        key = draw(st.sampled_from(sorted(WILD_KEYS)))
        w[key] = draw(WILD_KEYS[key])
    return w


@st.composite
def scenario_shapes(draw):
    array = {"typecode": draw(st.sampled_from(list("bBhHiIlLqQfd") + ["z"]))}
    size = draw(st.integers(0, 10))
    if draw(st.booleans()):
        array["size"] = size
    else:
        array["init"] = draw(st.lists(small_int, min_size=size, max_size=size))
    if draw(st.booleans()):
        array["lock"] = draw(st.booleans())
    n = draw(st.integers(0, 3))
    doc = {"array": array, "workers": [draw(worker_shapes(i, size)) for i in range(n)]}
    if draw(st.booleans()):
        doc["expect"] = {"anomaly": draw(st.sampled_from(["none", "lost_update", "torn_read", "any", "no"]))}
    doc["run"] = {"trials": 2, "timeout_s": 5}
    return doc


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_shapes())
def test_arbitrary_scenario_shapes_give_a_verdict_or_a_clean_error(doc):
    try:
        scenario = load_text(yaml.safe_dump(doc), "fuzz.yaml")
    except ScenarioError as exc:
        event("invalid")
        assert exc.problems and all(p.path == "fuzz.yaml" and p.line >= 1 for p in exc.problems)
        return
    event("valid: ran")
    plan = make_plan(scenario)
    assert "expected final array" in explain(plan)
    settings_ = resolve([scenario], RunOptions(trials=2, seed=1, start_methods=("fork",))).jobs[0].settings
    result = run_scenario(scenario, settings_, plan=plan)
    assert result.error is None
    assert result.trials_run >= 1
    assert sum(result.outcomes.values()) >= result.trials_run
    assert result.outcomes["crash"] == 0 and result.outcomes["hang"] == 0


TOKENS = ["run", "validate", "explain", "schema", "new", "--trials", "--seed", "--start-method", "all", "fork",
          "spawn", "--no-inject", "--json", "--junit-xml", "--template", "call", "--force", "--trial", "-q",
          "0", "1", "-5", "2", "abc", "99999999999999999999999", "good.yaml", "bad.yaml", "missing.yaml",
          "out.yaml", "report.json", "dir", "", "--", "-h"]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(TOKENS), max_size=7))
def test_arbitrary_command_lines_exit_cleanly(tmp_path_factory, argv):
    folder = tmp_path_factory.mktemp("cli")
    (folder / "good.yaml").write_text("array: {typecode: i, size: 2}\nworkers: [{name: a, op: add}]\n"
                                      "run: {trials: 1}\n")
    (folder / "bad.yaml").write_text("array: [\n")
    (folder / "dir").mkdir()
    here = os.getcwd()
    os.chdir(folder)
    try:
        code = main(argv)
    except SystemExit as exc:  # only -h/--help exits through argparse, with 0
        code = exc.code
    finally:
        os.chdir(here)
    assert code in (0, 1, 2)
