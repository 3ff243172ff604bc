"""harness mutate on real processes: bundled safe scenarios kill their must-race mutants, a
deliberately weak scenario shows its survivor and why, a call worker's file is never touched,
and the error paths are one line each."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from harness.cli import main

ROOT = Path(__file__).resolve().parents[2]

# one loop over disjoint ranges, with a lock that does not matter
WEAK = """\
name: weak-disjoint-lock
array: {typecode: i, size: 8}
workers:
  - {name: left, op: add, range: [0, 4], lock: element}
  - {name: right, op: add, range: [4, 8], lock: element}
run: {trials: 5}
"""

MODULE = '''\
def bump(arr, lock, loops):
    for _ in range(loops):
        for i in range(len(arr)):
            with lock:
                arr[i] += 1
'''

CALLER = """\
name: locked-call
array: {typecode: i, size: 4, lock: false}
workers:
  - {name: bumper, count: 2, op: call, call: "bumpmod:bump", args: [$array, $lock, $loops], loops: 50}
expect: {final: [100, 100, 100, 100]}
run: {trials: 5}
"""


def test_the_must_race_mutants_of_bundled_safe_scenarios_are_killed(tmp_path, capsys):
    # unlocked adds by 2 processes x 50 loops (and 20 loops on one shared index of a lock: false
    # array) under timing injection lose an update in trial 1 or 2 of the 500 each mutant may use
    files = [str(ROOT / "scenarios" / f) for f in ("seed000_worker_lock.yaml", "pattern_split_ranges.yaml",
                                                    "seed000_lock_false_partition.yaml")]
    out = tmp_path / "m.json"
    assert main(["mutate", *files, "--start-method", "fork", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    mutants = {m["id"]: m for s in report["scenarios"] for m in s["mutants"]}
    assert {i for i, m in mutants.items() if m["plan"] == "race"} == {
        "lock:adder:none", "range:left:stop+1", "range:right:start-1", "range:part.0:stop+1", "range:part.1:start-1"}
    assert all(m["status"] == "killed" for m in mutants.values() if m["plan"] == "race")
    assert mutants["lock:adder:pass"]["status"] == "equivalent"
    text = capsys.readouterr().out
    assert "weakest safe lock: adder: element (has worker; the plan proves it cannot race)" in text
    assert "harness mutate: passed: 5/5 mutants killed in 3 scenario run(s)" in text


def test_a_weak_scenario_reports_its_surviving_mutant_and_explains_it(tmp_path, capsys):
    weak = tmp_path / "weak.yaml"
    weak.write_text(WEAK)
    out = tmp_path / "m.json"
    assert main(["mutate", str(weak), "--start-method", "fork", "--trials", "30", "--json", str(out)]) == 1
    text = capsys.readouterr().out
    assert "mutation score 0/2 (0%): 0 killed, 2 survived (0 expected), 2 equivalent (not run)" in text
    assert "SURVIVED   lock:left:none" in text and "+    lock: none" in text
    assert ("why: the lock guards nothing another process touches: no other process touches the indices left "
            "works on") in text
    assert "no race in 30 trials" in text
    (entry,) = json.loads(out.read_text())["scenarios"]
    assert [(m["id"], m["status"]) for m in entry["mutants"]] == [
        ("lock:left:none", "survived"), ("lock:right:none", "survived"),
        ("range:left:stop+1", "equivalent"), ("range:right:start-1", "equivalent")]
    # marked as expected, the same survivors pass
    weak.write_text(WEAK + 'expect:\n  survives: ["lock:left:none", "lock:right:none"]\n')
    assert main(["mutate", str(weak), "--start-method", "fork", "--trials", "5"]) == 0


def test_mutating_a_call_worker_never_changes_the_users_file(tmp_path, capsys):
    module = tmp_path / "bumpmod.py"
    module.write_text(MODULE)
    scenario = tmp_path / "caller.yaml"
    scenario.write_text(CALLER)
    before = (module.read_bytes(), os.stat(module).st_mtime_ns)
    out = tmp_path / "m.json"
    # spawn and forkserver: the worker gets the mutated source in its frozen parameters
    assert main(["mutate", str(scenario), "--start-method", "spawn", "--start-method", "forkserver",
                 "--json", str(out)]) == 0
    assert (module.read_bytes(), os.stat(module).st_mtime_ns) == before
    entries = json.loads(out.read_text())["scenarios"]
    assert [(e["start_method"], [(m["id"], m["status"]) for m in e["mutants"]]) for e in entries] == [
        ("spawn", [("with:bumper:4", "killed")]), ("forkserver", [("with:bumper:4", "killed")])]
    assert "-            with lock:" in entries[0]["mutants"][0]["diff"]


def one_error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1, err
    return err[0]


def test_a_path_that_is_not_there_is_one_line(tmp_path, capsys):
    missing = str(tmp_path / "nope.yaml")
    assert one_error(capsys, ["mutate", missing]).startswith(f"{missing}:1:1: ")


def test_no_safe_scenario_is_one_line(tmp_path, capsys):
    canary = tmp_path / "canary.yaml"
    canary.write_text("array: {typecode: i, size: 2}\nworkers:\n  - {name: a, count: 2, op: add}\n"
                      "expect: {anomaly: lost_update}\n")
    assert one_error(capsys, ["mutate", str(canary)]) == (
        f"harness: error: no safe scenario (expect.anomaly: none) in {canary}; mutate calibrates safe scenarios "
        "(a canary already proves its race)")


def test_an_expect_survives_naming_no_mutant_is_one_line_before_anything_runs(tmp_path, capsys):
    weak = tmp_path / "weak.yaml"
    weak.write_text(WEAK + 'expect:\n  survives: ["lock:nobody:none"]\n')
    assert one_error(capsys, ["mutate", str(weak)]).startswith(
        f"{weak}:8:14: expect.survives[0]: found 'lock:nobody:none', but no worker group is named 'nobody'")
    weak.write_text(WEAK + 'expect:\n  survives: ["range:right:stop+1"]\n')
    assert one_error(capsys, ["mutate", str(weak)]).startswith(
        f"{weak}:8:14: expect.survives[0]: found 'range:right:stop+1', but the scenario has no such mutant")


def test_pytest_harness_mutate_adds_an_item_per_mutant_that_fails_when_it_survives(tmp_path):
    (tmp_path / "weak.yaml").write_text(WEAK)
    run = subprocess.run([sys.executable, "-m", "pytest", "weak.yaml", "--harness-mutate", "--harness-start-method",
                          "fork", "-p", "no:cacheprovider", "-rA"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=240)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "PASSED weak.yaml::weak-disjoint-lock[fork]" in run.stdout
    assert "FAILED weak.yaml::weak-disjoint-lock[fork]-mutant-lock:left:none" in run.stdout
    assert "mutant lock:left:none survived 500 trials" in run.stdout
    assert "why: the lock guards nothing another process touches" in run.stdout
    assert "accept it: add lock:left:none to expect.survives" in run.stdout
    assert "2 failed, 1 passed" in run.stdout
