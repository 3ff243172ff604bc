"""harness mutate without processes: which mutants a scenario gets, what the plan says of
each, expect.survives in the loader, the search settings, the weakest lock and the reports."""

from __future__ import annotations

import json
import os

import pytest

from harness.errors import ScenarioError
from harness.load import load_text
from harness.messages import TimingSpec
from harness.mutate.derive import derive
from harness.mutate.run import (CONTROLLED_TRIALS, MIN_MUTANT_TRIALS, MutantOutcome, MutationReport, ScenarioMutation, check_survives,
                                mutant_settings)
from harness.report.mutation import mutation_footer, scenario_text, to_json
from harness.results import ScenarioResult
from harness.settings import ScenarioSettings


def scenario(text: str, path: str = "s.yaml"):
    return load_text(text, path)


def ids(s) -> dict:
    return {m.id: m.plan_says for m in derive(s).mutants}


WORKER_LOCK = """\
array: {typecode: i, size: 4}
workers:
  - {name: adder, count: 2, op: add, loops: 5, lock: worker}
  - {name: reader, op: snapshot, read: iterate, lock: pass, check: sum}
"""


def test_a_lock_scope_is_weakened_to_each_weaker_scope_and_a_snapshot_lock_dropped():
    found = ids(scenario(WORKER_LOCK))
    assert found == {"lock:adder:pass": "safe", "lock:adder:element": "race", "lock:adder:none": "race",
                     "lock:reader:none": "race"}
    m = next(m for m in derive(scenario(WORKER_LOCK)).mutants if m.id == "lock:adder:none")
    assert "-    lock: worker\n+    lock: none" in m.diff and "adder and adder can race" in m.reason
    assert m.scenario.workers[0].lock == "none" and m.kind == "lock scope weakened"


DISJOINT = """\
array: {typecode: i, size: 8, lock: false}
workers:
  - {name: left, op: add, range: [0, 4]}
  - {name: right, op: add, range: [4, 8]}
"""


def test_a_range_bound_moves_by_one_into_the_neighbour_it_touches():
    found = ids(scenario(DISJOINT))
    assert found == {"range:left:stop+1": "race", "range:right:start-1": "race"}
    moved = {m.id: m.scenario for m in derive(scenario(DISJOINT)).mutants}
    assert (moved["range:left:stop+1"].workers[0].stop, moved["range:right:start-1"].workers[1].start) == (5, 3)


def test_a_partitioned_group_is_split_into_one_group_per_process_for_its_moved_bound():
    text = "array: {typecode: i, size: 6, lock: false}\nworkers:\n  - {name: part, count: 3, partition: true, op: add}\n"
    found = ids(scenario(text))
    assert found == {"range:part.0:stop+1": "race", "range:part.1:start-1": "race",
                     "range:part.1:stop+1": "race", "range:part.2:start-1": "race"}
    m = derive(scenario(text)).mutants[0]
    assert [(g.name, g.start, g.stop, g.count) for g in m.scenario.workers] == [
        ("part.0", 0, 3, 1), ("part.1", 2, 4, 1), ("part.2", 4, 6, 1)]


def test_the_array_lock_is_removed_only_where_no_group_takes_it():
    sets = "array: {typecode: i, size: 4}\nworkers:\n  - {name: a, op: set, value: 1}\n  - {name: b, op: set, value: 2}\n"
    assert ids(scenario(sets)) == {"array-lock:false": "safe"}  # both only overwrite
    alone = "array: {typecode: i, size: 4}\nworkers:\n  - {name: a, op: add, range: [0, 2]}\n  - {name: b, op: add, range: [3, 4]}\n"
    assert ids(scenario(alone)) == {"array-lock:false": "alone"}
    assert "array-lock:false" not in ids(scenario(WORKER_LOCK))


WEAK = """\
array: {typecode: i, size: 8}
workers:
  - {name: left, op: add, range: [0, 4], lock: element}
  - {name: right, op: add, range: [4, 8], lock: element}
"""


def test_a_lock_over_indices_nobody_else_touches_guards_nothing():
    found = {m.id: m for m in derive(scenario(WEAK)).mutants}
    assert found["lock:left:none"].plan_says == "alone"
    assert found["lock:left:none"].reason == "no other process touches the indices left works on"
    assert found["range:left:stop+1"].equivalent  # both hold the lock on the shared index


MODULE = '''\
def bump(arr, lock, loops):
    for _ in range(loops):
        with lock:
            arr[0] += 1
        with arr.get_lock():
            arr[1] += 1
'''


def call_scenario(tmp_path, module=MODULE, call="bumpmod:bump"):
    (tmp_path / "bumpmod.py").write_text(module)
    path = tmp_path / "s.yaml"
    text = (f"array: {{typecode: i, size: 2}}\nworkers:\n  - {{name: bumper, count: 2, op: call, call: '{call}', "
            "args: [$array, $lock, $loops], loops: 3}\n")
    path.write_text(text)
    return load_text(text, str(path))


def test_call_worker_mutants_come_from_the_function_source_and_leave_its_file_alone(tmp_path):
    s = call_scenario(tmp_path)
    module = tmp_path / "bumpmod.py"
    before = (module.read_bytes(), os.stat(module).st_mtime_ns)
    d = derive(s)
    assert [(m.id, m.plan_says) for m in d.mutants] == [("with:bumper:3", "unknown"), ("with:bumper:5", "unknown")]
    assert d.notes == ("array-lock:false: not made: the function of call worker bumper uses get_lock()",)
    mutated = d.mutants[0].scenario.workers[0].params.source
    assert "with lock" not in mutated and "with arr.get_lock()" in mutated
    assert "-        with lock:" in d.mutants[0].diff
    assert (module.read_bytes(), os.stat(module).st_mtime_ns) == before


def test_a_call_target_that_is_not_a_top_level_function_is_a_note(tmp_path):
    d = derive(call_scenario(tmp_path, "def make():\n    return print\nbump = make()\n"))
    assert d.mutants == () and d.notes == (
        "array-lock:false: not made: the function of call worker bumper is not a top-level function the harness "
        "can read",
        "bumper: bumpmod:bump is not a top-level function of a Python source file the harness can read: its code "
        "is not mutated")


# -- expect.survives ---------------------------------------------------------------------------

def problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_text(text, "s.yaml")
    return str(info.value).splitlines()


def test_expect_survives_is_loaded_with_where_each_id_is():
    s = scenario(WEAK + 'expect:\n  survives: ["lock:left:none", "range:left:stop+1"]\n')
    assert s.expect.survives == ("lock:left:none", "range:left:stop+1")
    assert s.expect.survives_at == ((6, 14), (6, 32))
    check_survives([derive(s)])


@pytest.mark.parametrize("survives, message", [
    ('["bogus"]', "s.yaml:6:14: expect.survives[0]: found the string 'bogus', allowed: a mutant id as harness "
                  "mutate prints it"),
    ('["lock:nobody:none"]', "s.yaml:6:14: expect.survives[0]: found 'lock:nobody:none', but no worker group is "
                             "named 'nobody'; allowed: left, right"),
    ('["lock:left:pass"]', "s.yaml:6:14: expect.survives[0]: found 'lock:left:pass', but 'left' has lock: element; "
                           "allowed: a weaker scope (none)"),
    ('["with:left:3"]', "s.yaml:6:14: expect.survives[0]: found 'with:left:3', but 'left' is not a call worker"),
    ('["lock:left:none", "lock:left:none"]', "s.yaml:6:13: expect.survives: found duplicates"),
])
def test_a_bad_expect_survives_is_one_line_naming_where(survives, message):
    (line,) = problems(WEAK + f"expect:\n  survives: {survives}\n")
    assert line.startswith(message)


def test_expect_survives_on_a_canary_is_refused():
    (line,) = problems(WEAK + 'expect:\n  anomaly: lost_update\n  survives: ["lock:left:none"]\n')
    assert line.startswith("s.yaml:7:3: expect.survives: found 1 mutant id(s), but expect.anomaly is lost_update")


def test_an_id_that_names_no_mutant_of_the_scenario_stops_mutate_before_it_runs():
    s = scenario(WEAK + 'expect:\n  survives: ["range:right:stop+1"]\n')
    with pytest.raises(ScenarioError) as info:
        check_survives([derive(s)])
    assert str(info.value) == ("s.yaml:6:14: expect.survives[0]: found 'range:right:stop+1', but the scenario has "
                               "no such mutant; its mutants: lock:left:none, lock:right:none, range:left:stop+1, "
                               "range:right:start-1")


# -- the search, the verdicts and the reports ----------------------------------------------------

BASE = ScenarioSettings("fork", 50, 7, 3, 10.0, False, TimingSpec("none", 0.5, 100), replay=True)


def test_mutant_settings_search_under_control_then_with_timing_injection():
    s = scenario(WEAK)
    controlled, timed = mutant_settings(BASE, s)
    for chosen in (controlled, timed):
        assert (chosen.first_trial, chosen.replay, chosen.stop_on_detection, chosen.seed) == (1, False, True, 7)
        assert chosen.follow is None
    assert controlled.trials == CONTROLLED_TRIALS and controlled.timing == TimingSpec("controlled", 0.5, 100, "directed")
    assert timed.trials == MIN_MUTANT_TRIALS and timed.timing == TimingSpec("random", 0.5, 100)
    assert [c.trials for c in mutant_settings(BASE, s, trials=9)] == [9, 9]
    assert mutant_settings(BASE.__class__(**{**BASE.__dict__, "trials": 400}), s)[1].trials == 2000


def test_an_uncontrolled_trial_does_not_kill_a_mutant():
    from harness.mutate.run import MutantOutcome

    marked = MutantOutcome(None, result({"ok": 3, "uncontrolled": 1}))
    assert marked.status == "survived"


def result(outcomes: dict, error=None) -> ScenarioResult:
    r = ScenarioResult("weak", "s.yaml", "fork", "any", 7, 500)
    r.outcomes.update(outcomes)
    r.trials_run = sum(outcomes.values())
    r.error = error
    return r


def mutation(text=WEAK, statuses=None, expected=()):
    s = scenario(text)
    baseline = result({"ok": 50})
    baseline.expected_anomaly = "none"
    outcomes = []
    for m in derive(s).mutants:
        r = None if m.equivalent else statuses[m.id]
        outcomes.append(MutantOutcome(m, r, m.id in expected))
    return ScenarioMutation(s, "fork", baseline, outcomes)


def test_a_survivor_is_reported_with_its_diff_and_why_and_fails_unless_expected():
    sm = mutation(statuses={"lock:left:none": result({"ok": 500}), "lock:right:none": result({"ok": 500})})
    assert [o.status for o in sm.outcomes] == ["survived", "survived", "equivalent", "equivalent"]
    assert not sm.passed and sm.score == 0.0
    text = scenario_text(sm)
    assert "SURVIVED   lock:left:none" in text and "+    lock: none" in text
    assert "why: the lock guards nothing another process touches" in text
    assert "weakest safe lock: left: none (has element; no race in 500 trials)" in text
    expected = mutation(statuses={"lock:left:none": result({"ok": 500}), "lock:right:none": result({"ok": 500})},
                        expected=("lock:left:none", "lock:right:none"))
    assert expected.passed and "  survived   lock:left:none" in scenario_text(expected)
    assert "(listed in expect.survives)" in scenario_text(expected)


def test_a_killed_mutant_scores_and_the_weakest_lock_stops_above_it():
    sm = mutation(WORKER_LOCK, {"lock:adder:element": result({"torn_read": 1}),
                                "lock:adder:none": result({"ok": 2, "lost_update": 1}),
                                "lock:reader:none": result({"ok": 0, "torn_read": 1})})
    assert sm.passed and sm.score == 1.0 and sm.killed == 3
    assert sm.weakest_locks() == [
        {"group": "adder", "scope": "worker", "weakest": "pass", "basis": "the plan proves it cannot race"},
        {"group": "reader", "scope": "pass", "weakest": "pass", "basis": "its own scope"}]
    assert "killed     lock:adder:none" in scenario_text(sm) and "lost_update in 1/3 trials" in scenario_text(sm)
    report = MutationReport(7, [sm], skipped=["c.yaml"])
    assert mutation_footer(report).startswith("harness mutate: passed: 3/3 mutants killed in 1 scenario run(s), "
                                              "1 canary(ies) skipped")
    entry = json.loads(to_json(report))["scenarios"][0]
    assert entry["score"] == 1.0 and entry["mutants"][2]["status"] == "killed"
    assert entry["mutants"][2]["how"] == "lost_update in 1/3 trials" and entry["weakest_locks"][0]["weakest"] == "pass"


def test_a_mutant_that_cannot_run_and_a_failing_baseline_fail_the_report():
    sm = mutation(statuses={"lock:left:none": result({}, error="boom"), "lock:right:none": result({"ok": 5})})
    assert sm.outcomes[0].status == "error" and sm.outcomes[0].unexpected and not sm.passed
    assert "ERROR      lock:left:none" in scenario_text(sm) and "could not run: boom" in scenario_text(sm)
    failing = ScenarioMutation(scenario(WEAK), "fork", result({"ok": 1, "lost_update": 1}))
    failing.baseline.expected_anomaly = "none"
    assert not failing.passed and "its mutants were not run" in scenario_text(failing)
    assert "1 scenario run(s) failed as they are" in mutation_footer(MutationReport(7, [failing]))


def test_a_mutant_of_a_pair_that_could_race_already_is_run_not_called_equivalent():
    racing = ("array: {typecode: i, size: 4}\nworkers:\n  - {name: locked, op: add, lock: element}\n"
              "  - {name: bare, op: add}\n")
    m = derive(scenario(racing)).mutants[0]
    assert (m.id, m.plan_says, m.equivalent) == ("lock:locked:none", "race", False)
    assert m.reason.startswith("bare and bare can race") or m.reason.startswith("locked and bare can race")


def test_why_a_must_race_or_user_code_survivor_may_have_survived(tmp_path):
    (m,) = [m for m in derive(scenario(DISJOINT)).mutants if m.id == "range:left:stop+1"]
    assert MutantOutcome(m, result({"ok": 500})).why.startswith(
        "scenario too small or search too weak: not seen in 500 trials, but the plan says left and right can race "
        "on [4, 5)")
    call = derive(call_scenario(tmp_path)).mutants[0]
    assert MutantOutcome(call, result({"ok": 20})).why.startswith(
        "not seen in 20 trials; the plan cannot tell for user code whether the change lets another process in")
    assert MutantOutcome(call, result({"hang": 1})).status == "killed"
