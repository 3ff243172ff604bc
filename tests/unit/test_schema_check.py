"""harness.schema_check agrees with jsonschema on the scenario schema.

The loader checks structure with the hand-written :mod:`harness.schema_check` (jsonschema costs
more to import than the rest of `harness validate`); jsonschema, a test dependency, is the
reference. Both must yield the same errors, in the order the loader reads them, for every
case the suite has: the invalid texts of test_load_invalid, the bundled scenarios, and
random damage done to a valid scenario.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.errors import InternalError, ScenarioError
from harness.load import _integral
from harness.schema import scenario_schema
from harness.schema_check import ANNOTATIONS, KEYWORDS, iter_errors, is_valid
from harness.yamlpos import parse

from test_load_invalid import CASES  # the same folder: pytest puts it on sys.path

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = scenario_schema()
REFERENCE = jsonschema.Draft202012Validator(SCHEMA)
VALID = {"array": {"typecode": "i", "size": 4}, "workers": [{"name": "a", "op": "add", "value": 2}]}


def _same(value):
    """A value compared across both: nan is not equal to itself, so compare its text."""
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return value


def as_loader_reads(errors) -> tuple[list[tuple], bool]:
    """Errors as harness.load reads them: deepest first, otherwise in the validator's order,
    and whether there was an op-specific (`then`) error, which the loader leaves to its own
    check (jsonschema leaves the last step out of a `false` schema's paths: nothing reads them)."""
    ordered = sorted(errors, key=lambda e: len(e.absolute_path), reverse=True)
    read = [(tuple(e.absolute_path), e.validator, e.validator_value, repr(_same(e.instance)), e.schema,
             tuple(e.relative_schema_path)) for e in ordered if "then" not in e.relative_schema_path]
    return read, len(read) < len(ordered)


def assert_agree(data) -> None:
    ours = as_loader_reads(iter_errors(SCHEMA, data))
    assert ours == as_loader_reads(REFERENCE.iter_errors(data))
    assert is_valid(SCHEMA, data) == (ours == ([], False))


def schema_keywords(schema) -> set[str]:
    if not isinstance(schema, dict):
        return set()
    found = set(schema)
    for key, value in schema.items():
        if key == "properties":
            for sub in value.values():
                found |= schema_keywords(sub)
        elif isinstance(value, dict):
            found |= schema_keywords(value)
        elif isinstance(value, list):
            for sub in value:
                found |= schema_keywords(sub)
    return found


def test_every_keyword_of_the_schema_is_covered():
    assert schema_keywords(SCHEMA) - ANNOTATIONS <= KEYWORDS


def test_a_keyword_it_does_not_know_is_a_bug_not_a_pass():
    with pytest.raises(InternalError, match="'multipleOf' is not supported"):
        list(iter_errors({"multipleOf": 2}, 3))


def loaded_data(text: str):
    try:
        data, _ = parse(text, "s.yaml")
    except ScenarioError:
        return None  # not YAML data at all: no structure check runs
    if isinstance(data, dict):
        _integral(data)  # as load_text does before the check
    return data


@pytest.mark.parametrize("text", [c.values[0] for c in CASES], ids=[c.id for c in CASES])
def test_agrees_on_every_invalid_case(text):
    data = loaded_data(text)
    if data is None:
        pytest.skip("not YAML data")
    assert_agree(data)


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")), ids=lambda p: p.name)
def test_agrees_on_the_bundled_scenarios(path):
    data = loaded_data(path.read_text(encoding="utf-8"))
    assert_agree(data)
    assert is_valid(SCHEMA, data)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 10**20) | st.floats(allow_nan=True) | st.sampled_from(
        ["", "a", "add", "call", "fork", "i", "none", "m:f", "two words", "$array", "x" * 250]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["name", "op", "size", "init", "value", "call", "write", "check", "lock", "typecode",
                         "trials", "start_methods", "timing", "inject", "range", "other"]), inner, max_size=3),
    max_leaves=8)
PLACES = [(), ("array",), ("workers",), ("workers", 0), ("expect",), ("run",), ("run", "timing")]
KEYS = ["array", "workers", "expect", "run", "name", "description", "typecode", "size", "init", "lock", "op",
        "value", "count", "range", "call", "args", "check", "check_on", "write", "read", "anomaly", "final",
        "trials", "seed", "timeout_s", "start_methods", "timing", "inject", "probability", "other"]


@settings(max_examples=400, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(PLACES), st.sampled_from(KEYS), JSON), min_size=1, max_size=4))
def test_agrees_on_random_damage_to_a_valid_scenario(changes):
    data = copy.deepcopy(VALID)
    for place, key, value in changes:
        target = data
        for step in place:
            if isinstance(target, dict) and isinstance(target.get(step), (dict, list)):
                target = target[step]
            elif isinstance(target, list) and isinstance(step, int) and step < len(target):
                target = target[step]
            else:
                break
        if isinstance(target, dict):
            target[key] = value
        elif isinstance(target, list):
            target.append(value)
    assert_agree(data)
