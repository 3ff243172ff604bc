"""Misbehaving user code never takes the harness down: crashes and hangs are outcomes, the
run goes on to the next trial and the next scenario, and nothing is leaked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

MODULE = '''\
import os, signal, time

def sleep_forever(arr):
    while True:
        time.sleep(1)

def raise_error(arr):
    arr[0] = 1
    raise ValueError("boom from user code")

def exit_hard(arr):
    os._exit(3)

def kill_self(arr):
    os.kill(os.getpid(), signal.SIGKILL)

def die_holding_lock(arr):
    arr.get_lock().acquire()
    os._exit(0)

def locked_adds(arr, loops):
    for _ in range(loops):
        with arr.get_lock():
            arr[1] += 1

def chatty(arr):
    print("hello from the worker")
    raise RuntimeError("after printing")
'''

BAD_PAIR = """\
array: {{typecode: i, size: 3}}
workers:
  - {{name: bad, op: call, call: "misbehave:{func}", args: [$array]}}
  - {{name: good, op: add, range: [2, 3], loops: 10, lock: element}}
run: {{trials: 2, timeout_s: {timeout}}}
"""
LOCK_HOLDER = """\
array: {typecode: i, size: 3}
workers:
  - {name: bad, op: call, call: "misbehave:die_holding_lock", args: [$array]}
  - {name: waiter, op: call, call: "misbehave:locked_adds", args: [$array, 100000]}
run: {trials: 2, timeout_s: 5}
"""
HEALTHY = """\
array: {typecode: i, size: 3}
workers:
  - {name: good, op: add, count: 2, loops: 10, lock: element}
run: {trials: 30}
"""


def make_folder(tmp_path):
    (tmp_path / "misbehave.py").write_text(MODULE)
    for func, timeout in [("sleep_forever", 1), ("raise_error", 5), ("exit_hard", 5), ("kill_self", 5),
                          ("chatty", 5)]:
        (tmp_path / f"a_{func}.yaml").write_text(BAD_PAIR.format(func=func, timeout=timeout))
    (tmp_path / "a_die_holding_lock.yaml").write_text(LOCK_HOLDER)
    (tmp_path / "z_healthy.yaml").write_text(HEALTHY)
    return tmp_path


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_a_folder_of_misbehaving_scenarios_runs_to_the_end(tmp_path, method):
    folder = make_folder(tmp_path)
    report = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-m", "harness", "run", str(folder), "--seed", "1", "--json",
                           str(report), "--start-method", method], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    entries = {e["name"]: e for e in json.loads(report.read_text())["scenarios"]}
    assert entries["z_healthy"]["passed"] is True
    assert entries["z_healthy"]["outcomes"]["ok"] == 30
    for name in ("a_raise_error", "a_exit_hard", "a_kill_self", "a_die_holding_lock", "a_chatty"):
        assert entries[name]["outcomes"]["crash"] == 2, entries[name]
        assert entries[name]["passed"] is False
    assert entries["a_sleep_forever"]["outcomes"]["hang"] == 2
    assert "sleep_forever" in entries["a_sleep_forever"]["example"]["stacks"]["bad[0]"]
    assert "ValueError: boom from user code" in entries["a_raise_error"]["example"]["error"]
    assert "code 3" in entries["a_exit_hard"]["example"]["error"]
    assert "SIGKILL" in entries["a_kill_self"]["example"]["error"]
    assert entries["a_die_holding_lock"]["example"]["lock_held"] is True
    # output is captured, kept in the report of the failed trial, never spilled on the console
    assert entries["a_chatty"]["output"][0]["text"] == "hello from the worker\n"
    assert "hello from the worker" in done.stdout  # in the failure text...
    assert done.stdout.count("hello from the worker") == 1  # ...once, not as raw worker output


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_no_leaks_and_no_resource_tracker_warnings(tmp_path, method):
    # the resource tracker (spawn, forkserver) warns of every semaphore or shared memory
    # block left behind; under fork, semaphores are unlinked as soon as they are created
    folder = make_folder(tmp_path)
    done = subprocess.run([sys.executable, "-W", "error::UserWarning", "-m", "harness", "run",
                           str(folder / "a_kill_self.yaml"), str(folder / "a_die_holding_lock.yaml"),
                           str(folder / "z_healthy.yaml"), "--seed", "2", "--start-method", method],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "resource_tracker" not in done.stderr and "leaked" not in done.stderr, done.stderr


def test_children_are_gone_after_a_run(tmp_path):
    from harness.api import run_scenario
    from harness.load import load_scenario
    from harness.settings import RunOptions, resolve
    import multiprocessing

    folder = make_folder(tmp_path)
    scenario = load_scenario(folder / "a_sleep_forever.yaml")
    result = run_scenario(scenario, resolve([scenario], RunOptions(trials=1, start_methods=("fork",)), run_seed=1).jobs[0].settings)
    assert result.outcomes["hang"] == 1
    assert multiprocessing.active_children() == []


def _run_text(tmp_path, text, module="", method="fork", **options):
    from harness.api import run_scenario
    from harness.load import load_scenario
    from harness.settings import RunOptions, resolve

    if module:
        (tmp_path / "usermod.py").write_text(module)
    path = tmp_path / "s.yaml"
    path.write_text(text)
    scenario = load_scenario(path)
    settings = resolve([scenario], RunOptions(seed=1, start_methods=(method,), **options)).jobs[0].settings
    began = time.monotonic()
    result = run_scenario(scenario, settings)
    return result, time.monotonic() - began


def test_a_worker_dying_while_it_starts_is_an_error_not_a_busy_wait(tmp_path):
    result, took = _run_text(tmp_path, "array: {typecode: i, size: 2}\nworkers:\n"
                             "  - {name: a, op: call, call: 'usermod:f', args: [$array]}\n",
                             module="import os\nos._exit(3)\ndef f(arr):\n    pass\n")
    assert result.error and "died while starting (exit code 3)" in result.error
    assert not result.passed  # said at once: a busy wait would end in 'did not start within 60 s'


def test_a_torn_read_of_a_huge_array_is_a_torn_read_not_a_hang(tmp_path):
    text = """\
array: {typecode: i, size: 300000}
workers:
  - {name: writer, op: stamp, write: slice, loops: 40}
  - {name: reader, op: snapshot, read: iterate, loops: 2}
expect: {anomaly: torn_read}
run: {trials: 20, timeout_s: 60}
"""
    result, _ = _run_text(tmp_path, text)
    assert result.passed, result
    assert result.outcomes["hang"] == 0
    assert result.example["snapshot_length"] == 300000 and len(result.example["snapshot"]) == 64


def test_raising_with_the_lock_held_is_one_crash_found_fast(tmp_path):
    module = ("def grab(arr):\n    arr.get_lock().acquire()\n    raise RuntimeError('left it locked')\n\n"
              "def wait(arr):\n    with arr.get_lock():\n        arr[0] += 1\n")
    text = """\
array: {typecode: i, size: 2}
workers:
  - {name: grab, op: call, call: 'usermod:grab', args: [$array]}
  - {name: wait, op: call, call: 'usermod:wait', args: [$array]}
run: {trials: 1, timeout_s: 8}
"""
    result, took = _run_text(tmp_path, text, module=module)
    # the crash grace ended the waiting worker: a wait for the 8 s timeout would be a hang
    assert result.outcomes["crash"] == 1 and result.outcomes["hang"] == 0
    assert "left it locked" in result.example["error"]


def test_a_process_group_sigterm_leaves_no_worker_tracebacks(tmp_path):
    import signal

    from test_cli_run import start_long_run

    proc, report = start_long_run(tmp_path, "--start-method", "fork")
    os.killpg(proc.pid, signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    doc = json.loads(report.read_text())
    assert doc["interrupted"] is True
    assert doc["scenarios"][0]["outcomes"]["crash"] == 0


def test_returning_with_the_lock_held_is_a_crash_not_a_hang_blamed_on_another(tmp_path):
    module = "def keep(arr):\n    arr.get_lock().acquire()\n"
    text = """\
array: {typecode: i, size: 2}
workers:
  - {name: keep, op: call, call: 'usermod:keep', args: [$array]}
run: {trials: 3, timeout_s: 8}
"""
    result, took = _run_text(tmp_path, text, module=module)
    assert result.outcomes["crash"] == 3 and result.outcomes["hang"] == 0
    assert result.example["lock_held"] is True and "still holding the array lock" in result.example["error"]
