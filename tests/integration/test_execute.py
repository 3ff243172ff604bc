"""The executor on real processes: every op, lock scope, typecode and start method, verdicts,
hangs, reruns. Safe scenarios must stay clean; canaries must be found (timing injection and a
trial budget that makes a miss astronomically unlikely)."""

from __future__ import annotations

import itertools

import pytest

from harness.api import run_all, run_scenario
from harness.load import load_text
from harness.settings import RunOptions, resolve

METHODS = ("fork", "spawn", "forkserver")


def run(text: str, *, method: str = "fork", seed: int = 1, **options):
    scenario = load_text(text, "t.yaml")
    settings = resolve([scenario], RunOptions(seed=seed, start_methods=(method,), **options)).jobs[0].settings
    return run_scenario(scenario, settings)


SAFE_MATRIX = [
    pytest.param(op, lock, tc, id=f"{op}-{lock}-{tc}")
    for (op, lock), tc in zip(
        itertools.product(("add", "set", "stamp", "transfer"), ("element", "pass", "worker")),
        itertools.cycle("bBhHiIlLqQfd"),
    )
]


@pytest.mark.parametrize("op,lock,typecode", SAFE_MATRIX)
def test_locked_writers_never_lose_updates(op, lock, typecode):
    value = "" if op == "stamp" else f", value: {3 if op != 'set' else 7}"
    text = f"""
array: {{typecode: {typecode}, size: 6}}
workers:
  - {{name: w, count: 2, op: {op}, loops: 20, lock: {lock}{value}}}
run: {{trials: 15}}
"""
    result = run(text)
    assert result.passed, result
    assert result.outcomes["ok"] == 15


@pytest.mark.parametrize("method", METHODS)
def test_every_method_disjoint_lock_false_and_slices(method):
    text = """
array: {typecode: d, size: 12, lock: false}
workers:
  - {name: setters, count: 3, partition: true, op: set, value: 2.5, loops: 5}
  - {name: slicer, op: stamp, write: slice, range: [9, 12], loops: 4}
  - {name: reader, op: snapshot, read: slice, range: [0, 3], check: monotonic, loops: 5}
run: {trials: 20}
"""
    # setters write [0,4) [4,8) [8,12); slicer overlaps [9,12): every final there is 2.5 or 4
    result = run(text, method=method)
    assert result.passed, result


@pytest.mark.parametrize("method", METHODS)
def test_unlocked_increments_lose_updates(method):
    text = """
array: {typecode: i, size: 4}
workers:
  - {name: adder, count: 2, op: add, loops: 100}
expect: {anomaly: lost_update}
run: {trials: 200}
"""
    result = run(text, method=method)
    assert result.passed, result
    assert result.first_detection is not None
    example = result.example
    assert example["kind"] == "lost_update"
    assert example["expected"] == [200] * 4
    assert example["observed"] != [200] * 4
    assert example["indices"]


@pytest.mark.parametrize("method", METHODS)
def test_iterating_reader_beside_pass_locked_writer_tears(method):
    text = """
array: {typecode: i, size: 8}
workers:
  - {name: writer, op: stamp, loops: 200, lock: pass}
  - {name: reader, op: snapshot, read: iterate, loops: 200}
expect: {anomaly: torn_read}
"""
    result = run(text, method=method)
    assert result.passed, result
    snap = result.example["snapshot"]
    assert len(set(snap)) > 1 and result.example["check"] == "uniform"


def test_torn_sum_with_unlocked_transfers():
    text = """
array: {typecode: q, init: [100, 100, 100, 100]}
workers:
  - {name: mover, count: 2, op: transfer, value: 5, loops: 100}
  - {name: auditor, op: snapshot, read: iterate, check: sum, loops: 100}
expect: {anomaly: any}
"""
    result = run(text)
    assert result.passed, result


def test_safe_scenario_that_races_fails_with_details():
    text = """
array: {typecode: i, size: 3}
workers:
  - {name: adder, count: 2, op: add, loops: 50}
run: {trials: 12, stop_on_detection: false}
"""
    result = run(text)
    assert not result.passed
    assert result.outcomes["lost_update"] >= 1
    assert result.trials_run == 12  # a safe scenario never stops early
    # the default, mixed: a controlled trial's failure replays its interleaving, a free one's its delays
    example = result.example
    assert result.rerun.endswith(f"--replay {example['replay']}" if "replay" in example
                                 else f"--trial {example['trial']} --inject random")


def test_canary_without_stop_runs_every_trial():
    text = """
array: {typecode: i, size: 3}
workers:
  - {name: adder, count: 2, op: add, loops: 100}
expect: {anomaly: lost_update}
run: {trials: 12}
"""
    result = run(text, stop_on_detection=False)
    assert result.trials_run == 12 and result.passed


def test_no_inject_and_single_trial_rerun():
    text = """
array: {typecode: H, init: [65535, 1]}
workers:
  - {name: a, op: add, value: 2, loops: 3}
"""
    result = run(text, inject="none", trial=37)
    assert result.passed and result.trials_run == 20  # trial 37 replayed, 20 times by default
    assert result.replayed_trial == 37 and result.first_detection is None
    assert run(text, inject="none", trial=37, trials=1).trials_run == 1


def test_replaying_a_trial_never_confuses_the_workers():
    # one trial number again and again: each replay must still wait for every worker (a
    # protocol keyed on trial numbers would see the previous replay's done words and read the
    # array mid-trial, reporting lost updates that never happened)
    text = """
array: {typecode: i, init: [5, 5, 5, 5, 5, 5, 5, 5]}
workers:
  - {name: mover, count: 3, op: transfer, loops: 20, lock: element}
  - {name: reader, op: snapshot, read: slice, lock: pass, check: sum, loops: 20}
"""
    result = run(text, trial=5, trials=60)
    assert result.passed, result.example
    assert result.trials_run == 60 and result.replayed_trial == 5


def test_a_replay_stops_when_the_failure_shows_again():
    text = """
array: {typecode: i, size: 4}
workers:
  - {name: adder, count: 2, op: add, loops: 200}
expect: {anomaly: none}
"""
    # 2 x 200 unlocked increments per index with injected read-to-write delays: every
    # replay loses updates, so the first one is the last
    result = run(text, trial=3, trials=50)
    assert not result.passed and result.outcomes["lost_update"] == 1
    assert result.trials_run == 1 and result.example["trial"] == 3
    counted = run(text, trial=3, trials=5, stop_on_detection=False)  # --all-trials: every replay runs
    assert counted.trials_run == 5 and counted.outcomes["lost_update"] >= 1


def test_hang_is_an_outcome_and_the_run_goes_on():
    text = """
array: {typecode: i, size: 2}
workers:
  - {name: sleeper, op: set, value: 1, think_us: 5000000}
  - {name: other, op: add, range: [1, 2]}
run: {trials: 2, timeout_s: 0.5}
"""
    result = run(text)
    assert result.outcomes["hang"] == 2 and not result.passed
    assert result.example["kind"] == "hang"
    assert result.example["stuck"] == ["sleeper[0]"]
    stack = result.example["stacks"]["sleeper[0]"]
    assert "harness/ops/base.py" in stack and stack.rstrip().endswith("in worker_main")  # in the step loop


def test_run_all_shares_one_seed_across_scenarios():
    a = load_text("array: {typecode: i, size: 2}\nworkers: [{name: a, op: add}]\nrun: {trials: 3}\n", "a.yaml")
    b = load_text("array: {typecode: i, size: 2}\nworkers: [{name: b, op: set, value: 4}]\nrun: {trials: 3}\n",
                  "b.yaml")
    report = run_all(resolve([a, b], RunOptions(start_methods=("fork", "spawn")), run_seed=99))
    assert report.seed == 99 and report.passed
    assert [(r.name, r.start_method) for r in report.results] == [
        ("a", "fork"), ("a", "spawn"), ("b", "fork"), ("b", "spawn")]
    assert {r.seed for r in report.results} == {99}


# -- the control block: sleeping workers and their wake-up ------------------------------------

SLEEPY = """
array: {typecode: i, size: 4}
workers:
  - {name: adder, count: 2, op: add, loops: 3, lock: element}
"""


def worker_set(method="fork"):
    from harness.execute import WorkerSet
    from harness.plan import make_plan

    scenario = load_text(SLEEPY, "t.yaml")
    settings = resolve([scenario], RunOptions(seed=1, start_methods=(method,))).jobs[0].settings
    workers = WorkerSet(make_plan(scenario), settings)
    workers.start()
    return workers


def asleep(ws) -> list[int]:
    n = ws.control.n
    return ws.control.words[1 + 2 * n:1 + 3 * n]


def wait_until_asleep(ws):
    import time

    deadline = time.monotonic() + 30
    while asleep(ws) != [1] * ws.control.n:
        assert time.monotonic() < deadline, "workers never went to sleep between trials"
        time.sleep(0.01)


@pytest.mark.parametrize("method", METHODS)
def test_workers_asleep_between_slow_trials_are_woken(method):
    # a parent slow between trials (a progress bar, a busy machine) lets the workers spin out
    # and sleep on their pipes: the next trial must wake them and run clean
    ws = worker_set(method)
    try:
        for trial in (1, 2, 3):
            outcome = ws.run_trial(trial)
            anomalies, broken = outcome.anomalies, outcome.broken
            assert anomalies == [] and not broken
            assert bytes(ws.raw) == bytes((ws.raw._type_ * 4)(6, 6, 6, 6))
            wait_until_asleep(ws)
    finally:
        ws.close()


def test_a_lost_wake_up_costs_a_nap_not_a_hang():
    # the parent can read a worker's asleep word just before the worker writes it; then no
    # wake-up byte is sent, and the worker must still see the new step on its own
    ws = worker_set()
    procs = list(ws.procs)
    try:
        ws.run_trial(1)
        wait_until_asleep(ws)
        real_go = ws.control.go
        ws.control.go = lambda step, trial=0: (real_go(step, trial), [])[1]  # as if nobody were asleep
        outcome = ws.run_trial(2)
        anomalies, broken = outcome.anomalies, outcome.broken
        assert anomalies == [] and not broken
    finally:
        ws.close()
    assert procs and ws.procs == []  # close() joined (or killed) and forgot every worker
