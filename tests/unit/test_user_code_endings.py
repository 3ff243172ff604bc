"""How a call worker's trial ends, in-process: sys.exit by multiprocessing's own rules, the
threads a trial started waited for as a process waits for them, and what a function returns
checked when it asks for that. Threads, but no processes."""

from __future__ import annotations

import threading
import time

import pytest

from harness.calls import _returned_snapshots
from harness.worker import _end_threads, _system_exit


@pytest.fixture(autouse=True)
def no_exit_hooks_of_this_process(monkeypatch):
    """The real hooks would shut down every executor of this test process: none here, unless
    a test puts its own."""
    monkeypatch.setattr(threading, "_threading_atexits", [])


def exit_of(code):
    try:
        raise SystemExit(code)
    except SystemExit as exc:
        return _system_exit(exc)


@pytest.mark.parametrize("code", [None, 0, False])
def test_a_clean_exit_is_no_crash(code):
    assert exit_of(code) == (None, None)


def test_a_nonzero_exit_is_a_crash_that_says_the_code():
    text, code = exit_of(3)
    assert code == 3
    assert "SystemExit: 3" in text and "sys.exit(3): a process ending this way exits with code 3" in text


def test_an_exit_with_a_message_exits_1_as_a_process_would():
    text, code = exit_of("bye")
    assert code == 1 and "sys.exit('bye')" in text and "prints it and exits with code 1" in text


def snapshot_threads():
    return set(threading.enumerate())


def test_a_trial_waits_for_the_threads_it_started():
    before = snapshot_threads()
    done = []
    threading.Thread(target=lambda: (time.sleep(0.05), done.append(1))).start()
    assert _end_threads(before) is False  # nothing left: the process goes on
    assert done == [1]


def test_threads_started_by_threads_are_waited_for_too():
    before = snapshot_threads()
    done = []

    def parent():
        threading.Thread(target=lambda: (time.sleep(0.05), done.append("child"))).start()

    threading.Thread(target=parent).start()
    assert _end_threads(before) is False and done == ["child"]


def test_a_daemon_thread_still_running_ends_the_process():
    before = snapshot_threads()
    stop = threading.Event()
    threading.Thread(target=stop.wait, daemon=True).start()
    try:
        assert _end_threads(before) is True  # a real process would exit and end it
    finally:
        stop.set()


def test_exit_hooks_run_when_threads_wait_for_them(monkeypatch):
    # concurrent.futures stops an executor's idle threads from such a hook; the real one would
    # shut down every executor of this test process, so a stand-in plays its part
    before = snapshot_threads()
    stop = threading.Event()
    monkeypatch.setattr(threading, "_threading_atexits", [stop.set])
    threading.Thread(target=stop.wait).start()  # idle until the exit hook runs
    assert _end_threads(before) is True  # hooks ran: the process must end now
    assert stop.is_set() and not [t for t in threading.enumerate() if t not in before]


def test_exit_hooks_do_not_run_for_threads_that_end_by_themselves(monkeypatch):
    # concurrent.futures imported anywhere registers a hook: threads that finish on their own
    # must not cost the process its life (it would be replaced after every trial)
    ran = []
    monkeypatch.setattr(threading, "_threading_atexits", [lambda: ran.append(1)])
    before = snapshot_threads()
    for _ in range(3):
        threading.Thread(target=time.sleep, args=(0.01,)).start()
    assert _end_threads(before) is False and ran == []


def test_exit_hooks_do_not_run_when_no_thread_is_left(monkeypatch):
    ran = []
    monkeypatch.setattr(threading, "_threading_atexits", [lambda: ran.append(1)])
    assert _end_threads(snapshot_threads()) is False and ran == []


def test_threads_that_existed_before_the_trial_are_not_its_own():
    stop = threading.Event()
    old = threading.Thread(target=stop.wait)
    old.start()
    try:
        before = snapshot_threads()
        assert _end_threads(before) is False  # returns at once: not waited for
    finally:
        stop.set()
        old.join()


# -- check_on: returns -------------------------------------------------------------------------

def test_a_list_of_numbers_is_one_snapshot():
    assert _returned_snapshots([1, 2, 3], "m:f") == [[1, 2, 3]]
    assert _returned_snapshots((1.5,), "m:f") == [[1.5]]
    assert _returned_snapshots([], "m:f") == []


def test_sequences_of_sequences_and_generators_are_one_snapshot_each():
    assert _returned_snapshots([[1, 1], (2, 2)], "m:f") == [[1, 1], [2, 2]]
    assert _returned_snapshots((x for x in ([3, 3], [4, 4])), "m:f") == [[3, 3], [4, 4]]


def test_numpy_values_count_as_numbers():
    numpy = pytest.importorskip("numpy")
    assert _returned_snapshots(numpy.array([1, 2]), "m:f") == [[1, 2]]
    assert _returned_snapshots(numpy.zeros((2, 3)), "m:f") == [[0.0] * 3] * 2


@pytest.mark.parametrize("value", [None, 5, "text", {"a": 1}])
def test_returning_no_values_is_a_clear_error(value):
    with pytest.raises(TypeError, match=r"check_on: returns, but m:f returned \w+, not the values it read"):
        _returned_snapshots(value, "m:f")


def test_a_mix_of_numbers_and_sequences_is_a_clear_error():
    with pytest.raises(TypeError, match="returned a mix of numbers and other values"):
        _returned_snapshots([1, [2, 3]], "m:f")


# -- the stack of a stuck worker, thread by thread ------------------------------------------------

DUMP = """\
Thread 0x00007f00000002 (most recent call first):
  File "/u/mod.py", line 9 in spin_here
  File "/py/threading.py", line 982 in run

Current thread 0x00007f00000001 (most recent call first):
  File "/py/threading.py", line 1119 in join
  File "/h/harness/worker.py", line 244 in _end_threads
  File "/h/harness/worker.py", line 265 in _user_trial
  File "/h/harness/worker.py", line 341 in worker_main
  File "/py/multiprocessing/process.py", line 108 in run
"""


def test_a_stuck_workers_stack_shows_each_thread_and_why_main_waits():
    from harness.stacks import WAITING_FOR_THREADS
    from harness.stacks import trim_stack as _trim_stack

    assert _trim_stack(DUMP).splitlines() == [
        "thread 0x00007f00000002:", '  File "/u/mod.py", line 9 in spin_here', '  File "/py/threading.py", line 982 in run',
        WAITING_FOR_THREADS]
    stuck_in_user_code = 'Current thread 0x1 (most recent call first):\n  File "/u/m.py", line 3 in f\n' \
                         '  File "/h/harness/worker.py", line 341 in worker_main\n  File "/py/x.py", line 1 in y\n'
    assert _trim_stack(stuck_in_user_code).splitlines() == [
        "main thread:", '  File "/u/m.py", line 3 in f', '  File "/h/harness/worker.py", line 341 in worker_main']
