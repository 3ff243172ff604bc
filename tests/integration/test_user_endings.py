"""Call workers end their trials the way real processes end, on real processes under every
start method: sys.exit by its code, threads waited for (or, daemon ones, ended with the
process), exit hooks run; threads race like processes do; a separate $lock is shared and
checked; what a function returns can be what gets checked."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from harness.api import run_scenario
from harness.load import load_scenario
from harness.report.console import failure_text
from harness.settings import RunOptions, resolve
from test_calls import inline

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
METHODS = tuple(m for m in ("fork", "spawn", "forkserver") if m in multiprocessing.get_all_start_methods())


def run(scenario, *, method="fork", seed=1, **options):
    settings = resolve([scenario], RunOptions(seed=seed, start_methods=(method,), **options)).jobs[0].settings
    return run_scenario(scenario, settings)


ENDINGS = """
import sys, threading, time
from concurrent.futures import ThreadPoolExecutor

def late_daemon(arr):
    arr[0] = 1
    def later():
        time.sleep(0.3)
        arr[1] = 99  # a real process has exited by now: this never happens
    threading.Thread(target=later, daemon=True).start()

def late_daemon_beside_a_slow_one(arr, slot):
    # one process returns at once, leaving a daemon that writes 50 ms later; the other returns
    # after 300 ms: a real first process has exited long before, its daemon with it
    if slot == 1:
        threading.Thread(target=lambda: (time.sleep(0.05), arr.__setitem__(0, 99)), daemon=True).start()
    else:
        time.sleep(0.3)
    arr[slot] = 1

def executor_left_open(arr):
    pool = ThreadPoolExecutor(max_workers=2)
    for i in range(len(arr)):
        pool.submit(arr.__setitem__, i, 5)

def exit_with(arr, code):
    arr[0] = 1
    sys.exit(code)

def thread_never_ends(arr):
    def spin_here():
        while True:
            time.sleep(0.01)
    threading.Thread(target=spin_here, name="stuck-helper").start()

def keep_lock(arr, lock):
    lock.acquire()
    arr[0] = 1

def return_nothing(arr):
    arr[0] = 1
"""


def endings(tmp_path, func, args="[$array]", trials=4, final="[1, 0]", timeout=10):
    return inline(tmp_path, f"""
        array: {{typecode: i, size: 2}}
        workers:
          - {{name: w, op: call, call: "endings_mod:{func}", args: {args}}}
        expect: {{final: {final}}}
        run: {{trials: {trials}, timeout_s: {timeout}}}
        """, endings_mod=ENDINGS)


@pytest.mark.parametrize("method", METHODS)
def test_a_daemon_thread_ends_with_its_process_before_the_array_is_read(tmp_path, method):
    result = run(endings(tmp_path, "late_daemon"), method=method)
    assert result.passed, failure_text(result)  # arr[1] stays 0, in every trial


@pytest.mark.parametrize("method", METHODS)
def test_a_daemon_thread_dies_when_its_process_returns_not_when_the_others_do(tmp_path, method):
    scenario = inline(tmp_path, """
        array: {typecode: i, size: 3}
        workers:
          - {name: w, count: 2, op: call, call: "endings_mod:late_daemon_beside_a_slow_one",
             args_each: [[$array, 1], [$array, 2]]}
        expect: {final: [0, 1, 1]}
        run: {trials: 3}
        """, endings_mod=ENDINGS)
    result = run(scenario, method=method)
    assert result.passed, failure_text(result)


@pytest.mark.parametrize("method", METHODS)
def test_an_executor_never_shut_down_finishes_its_work_as_at_exit(tmp_path, method):
    result = run(endings(tmp_path, "executor_left_open", final="[5, 5]"), method=method)
    assert result.passed, failure_text(result)


@pytest.mark.parametrize("method", METHODS)
def test_a_nonzero_exit_is_a_crash_with_its_exit_code(tmp_path, method):
    result = run(endings(tmp_path, "exit_with", args="[$array, 3]", trials=2), method=method)
    assert not result.passed and result.outcomes["crash"] == 2
    assert result.example["exitcode"] == 3
    assert "sys.exit(3): a process ending this way exits with code 3" in result.example["error"]


def test_an_exit_with_a_message_is_code_1(tmp_path):
    result = run(endings(tmp_path, "exit_with", args="[$array, bye]", trials=1))
    assert result.example["exitcode"] == 1 and "prints it and exits with code 1" in result.example["error"]


@pytest.mark.parametrize("code", ["0", "null", "false"])
def test_a_clean_exit_keeps_the_writes(tmp_path, code):
    result = run(endings(tmp_path, "exit_with", args=f"[$array, {code}]", trials=3))
    assert result.passed, failure_text(result)


def test_a_thread_that_never_ends_is_a_hang_with_its_stack(tmp_path):
    result = run(endings(tmp_path, "thread_never_ends", trials=1, timeout=1))
    assert result.outcomes["hang"] == 1
    stack = result.example["stacks"]["w[0]"]
    assert "spin_here" in stack and "endings_mod.py" in stack  # the thread's own frames
    assert "main thread: the function returned; its process waits for the threads it started" in stack


def test_returning_while_holding_the_dollar_lock_is_a_crash_naming_it(tmp_path):
    result = run(endings(tmp_path, "keep_lock", args="[$array, $lock]", trials=2))
    assert result.outcomes["crash"] == 2 and result.outcomes["hang"] == 0
    assert result.example["lock_held"] is True and "still holding $lock" in result.example["error"]


def test_check_on_returns_needs_values_back(tmp_path):
    scenario = inline(tmp_path, """
        array: {typecode: i, size: 2}
        workers:
          - {name: w, op: call, call: "endings_mod:return_nothing", args: [$array], check: uniform, check_on: returns}
        expect: {final: [1, 0]}
        run: {trials: 1}
        """, endings_mod=ENDINGS)
    result = run(scenario)
    assert result.outcomes["crash"] == 1
    assert "check_on: returns, but endings_mod:return_nothing returned NoneType" in result.example["error"]


# -- the bundled user-code patterns under every start method -------------------------------------

def bundled(name: str):
    return load_scenario(SCENARIOS / name)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", ["user_threads_unjoined.yaml", "user_sys_exit.yaml", "user_dollar_lock.yaml",
                                  "user_args_each.yaml", "user_seqlock_returns.yaml"])
def test_safe_user_patterns_stay_clean(method, name):
    result = run(bundled(name), method=method, trials=20)
    assert result.passed, failure_text(result)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("name", ["user_threads_race_canary.yaml", "user_large_array_shared_index_canary.yaml",
                                  "user_seqlock_no_retry_canary.yaml"])
def test_racy_user_patterns_are_detected(method, name):
    # detection.py over 30 seeds per start method: worst first detection well inside the
    # default 200 trials (README), so a miss here is not a matter of luck
    result = run(bundled(name), method=method)
    assert result.passed, failure_text(result)


def test_a_call_workers_torn_read_counts_reads_or_returned_values():
    result = run(bundled("user_seqlock_no_retry_canary.yaml"))
    assert result.example["unit"] == "returned value"
    assert "reader (worker 1) returned value " in failure_text(result)
    result = run(bundled("seed003_article_writer_reader_canary.yaml"))
    assert result.example["unit"] == "read" and " read " in failure_text(result)


def test_arguments_that_do_not_fit_the_function_are_the_scenarios_error_said_once(tmp_path):
    result = run(endings(tmp_path, "exit_with", args="[$array, 1, 2]", trials=3))
    assert result.trials_run == 0 and not result.passed
    assert result.error.startswith("call 'endings_mod:exit_with': the scenario's arguments do not fit "
                                   "exit_with(arr, code): too many positional arguments")
