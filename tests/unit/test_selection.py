"""-k expressions and the last-failed cache, on hand-built scenarios and results; nothing runs."""

from __future__ import annotations

import json
import os

import pytest

from harness.cache import CACHE_DIR, LAST_FAILED, job_key, read_failed, record
from harness.errors import UsageError
from harness.load import load_text
from harness.results import ScenarioResult
from harness.selection import keyword_matcher
from harness.settings import RunOptions, resolve

TEXT = "array: {typecode: i, size: 2}\nworkers: [{name: a, op: add}]\n"
SCENARIOS = [load_text(f"name: {name}\n" + TEXT, path) for name, path in (
    ("element-lock", "scenarios/seed000_element_lock.yaml"),
    ("unlocked-add-canary", "scenarios/seed000_unlocked_add_canary.yaml"),
    ("two-cars", "ci/races/two_cars.yaml"),
)]


def chosen(expr: str) -> list[str]:
    matches = keyword_matcher(expr)
    return [s.name for s in SCENARIOS if matches(s)]


@pytest.mark.parametrize("expr, names", [
    ("lock", ["element-lock", "unlocked-add-canary"]),
    ("LOCK", ["element-lock", "unlocked-add-canary"]),  # case-insensitive, as pytest's -k
    ("lock and not canary", ["element-lock"]),
    ("cars or element", ["element-lock", "two-cars"]),
    ("not (lock or cars)", []),
    ("races/", ["two-cars"]),  # the file's path counts too
    ("seed000 and not (canary)", ["element-lock"]),
    ("canary or element and not lock", ["unlocked-add-canary"]),  # and binds tighter than or
    ("not not cars", ["two-cars"]),
])
def test_keyword_expressions(expr, names):
    assert chosen(expr) == names


@pytest.mark.parametrize("expr, words", [
    ("", "-k needs an expression"),
    ("   ", "-k needs an expression"),
    ("lock and", "-k 'lock and': expected a name, found the end"),
    ("(lock", "-k '(lock': expected ')', found the end"),
    ("lock)", "-k 'lock)': expected 'and', 'or' or the end, found ')'"),
    ("lock cars", "expected 'and', 'or' or the end, found 'cars'"),
    ("or lock", "expected a name, found 'or'"),
])
def test_a_malformed_expression_is_one_usage_line(expr, words):
    with pytest.raises(UsageError) as info:
        keyword_matcher(expr)
    (line,) = str(info.value).splitlines()
    assert line.startswith("harness: error: ") and words in line


# -- the last-failed cache ------------------------------------------------------------------------------

def outcome(scenario, method: str, verdict: str) -> ScenarioResult:
    r = ScenarioResult(scenario.name, scenario.path, method, "none", 1, 1, trials_run=1)
    if verdict == "passed":
        r.outcomes["ok"] = 1
    elif verdict == "failed":
        r.outcomes["lost_update"] = 1
    elif verdict == "error":
        r.error = "boom"
    else:
        r.outcomes["ok"], r.interrupted = 1, True
    assert r.verdict == verdict
    return r


def test_record_adds_failures_strikes_off_passes_and_keeps_the_rest(tmp_path):
    a, b, c = SCENARIOS
    assert read_failed(str(tmp_path)) == (frozenset(), None)  # no cache yet
    assert record(str(tmp_path), frozenset(), [outcome(a, "fork", "failed"), outcome(b, "fork", "error"),
                                                outcome(c, "fork", "passed")]) is None
    failed, problem = read_failed(str(tmp_path))
    assert problem is None
    jobs = {job_key(job): job for job in resolve(SCENARIOS, RunOptions(start_methods=("fork", "spawn"))).jobs}
    assert {(jobs[k].scenario.name, jobs[k].settings.start_method) for k in failed} == {
        ("element-lock", "fork"), ("unlocked-add-canary", "fork")}
    # a rerun of a alone: it passes now; b is untouched; an interrupted c decides nothing
    record(str(tmp_path), failed, [outcome(a, "fork", "passed"), outcome(c, "spawn", "interrupted")])
    again, _ = read_failed(str(tmp_path))
    assert {jobs[k].scenario.name for k in again} == {"unlocked-add-canary"}
    folder = tmp_path / CACHE_DIR
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"  # git never sees it
    assert json.loads((folder / LAST_FAILED).read_text())["version"] == 1


def test_keys_do_not_depend_on_how_the_file_was_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a = load_text(TEXT, "s.yaml")
    b = load_text(TEXT, os.path.join(str(tmp_path), "sub", "..", "s.yaml"))
    ka, kb = (job_key(resolve([s], RunOptions(start_methods=("fork",))).jobs[0]) for s in (a, b))
    assert ka == kb


@pytest.mark.parametrize("content", ["not json", "[]", '{"version": 2, "failed": []}', '{"version": 1}'])
def test_an_unreadable_cache_counts_as_empty_and_says_so(tmp_path, content):
    (tmp_path / CACHE_DIR).mkdir()
    (tmp_path / CACHE_DIR / LAST_FAILED).write_text(content)
    failed, problem = read_failed(str(tmp_path))
    assert failed == frozenset()
    assert problem.startswith(f"harness: warning: ignoring the unreadable cache {tmp_path / CACHE_DIR / LAST_FAILED}")


def test_a_cache_that_cannot_be_written_is_a_warning(tmp_path):
    (tmp_path / CACHE_DIR).write_text("a file where the folder should be")
    problem = record(str(tmp_path), frozenset(), [outcome(SCENARIOS[0], "fork", "failed")])
    assert problem.startswith(f"harness: warning: cannot write the cache {tmp_path / CACHE_DIR}")
    assert "--last-failed will not know this run" in problem
