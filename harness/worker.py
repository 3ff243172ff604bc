"""The worker process: runs one ProcessSpec's steps, trial after trial, on the shared array.

Promise: a worker starts once per scenario and start method and then, for each trial
number the parent sends, waits at the start line with the other workers, runs its steps
with timing injection, and marks its done word; when it has something to report (a
traceback, a torn snapshot, captured output) it first sends one
:class:`~harness.messages.TrialReport`. An exception in a step is reported, never raised.
SIGINT is ignored so the parent alone decides when workers stop. Imports are kept to what a
spawned process needs: this module, the messages, the control block, the checks and the
timing policy.
"""

from __future__ import annotations

import faulthandler
import io
import os
import random
import signal
import sys
import time
import traceback

from .checks import CHECKS
from .control import ControlBlock, trial_of
from .messages import TornRead, TrialReport, WorkerConfig
from .timing import ACCESS, ACQUIRED, BETWEEN, LOCKED, RELEASING, make_injector

MAX_OUTPUT = 8192
MAX_SHOWN = 64  # values of a torn snapshot sent to the parent


class _NoLock:
    def acquire(self, *a, **k):
        return True

    def release(self):
        pass


_NO_LOCK = _NoLock()


def _locks(spec, arr):
    """(element lock, pass lock, worker lock): the real lock where the scope says, else no-op."""
    real = arr.get_lock() if spec.lock != "none" else _NO_LOCK
    return tuple(real if spec.lock == scope else _NO_LOCK for scope in ("element", "pass", "worker"))


class _Snapshots:
    """Runs checks on snapshots and keeps the first torn one."""

    def __init__(self, spec, trial: int):
        self.spec, self.trial = spec, trial
        self.check = CHECKS[spec.check] if spec.check else None
        self.previous = None
        self.count = 0
        self.torn = None
        self.torn_count = 0

    def see(self, snapshot, pass_no: int, where: str = "") -> None:
        self.count += 1
        if self.check is None:
            return
        spec = self.spec
        if not self.check(snapshot, self.previous, spec.check_sum, spec.typecode, spec.check_tolerance):
            self.torn_count += 1
            if self.torn is None:
                # a bounded message: the report shows MAX_SHOWN values and the true length
                prev = self.previous
                self.torn = TornRead(spec.worker, spec.group, pass_no, spec.check, tuple(snapshot[:MAX_SHOWN]),
                                     tuple(prev[:MAX_SHOWN]) if prev is not None else None, where,
                                     len(snapshot), sum(snapshot) if spec.check == "sum" else None)
        self.previous = snapshot


def _run_steps(spec, arr, inj, snaps: _Snapshots) -> None:
    el, ps, wk = _locks(spec, arr)
    on = inj.active
    at = inj.at
    start, stop, value, op = spec.start, spec.stop, spec.value, spec.op
    indices = range(start, stop)
    think = spec.think_us / 1e6
    # points inside a held lock carry the LOCKED flag: a long delay there only makes the
    # others wait. The ACCESS point of a step comes before its element lock is taken, so a
    # locked process can be delayed where it matters: before it enters the critical section.
    outer = LOCKED if spec.lock in ("pass", "worker") else 0
    inner = LOCKED if spec.lock != "none" else 0
    wk.acquire()
    if on and wk is not _NO_LOCK:
        at(ACQUIRED | LOCKED, -1)
    for p in range(1, spec.loops + 1):
        ps.acquire()
        if on and ps is not _NO_LOCK:
            at(ACQUIRED | LOCKED, -1)
        if op == "add":
            for i in indices:
                if on:
                    at(ACCESS | outer, i)
                el.acquire()
                x = arr[i]
                if on:
                    at(BETWEEN | inner, i)
                arr[i] = x + value
                el.release()
        elif op == "set" or op == "stamp":
            v = p if op == "stamp" else value
            if spec.write == "slice":
                if on:
                    at(ACCESS | outer, start)
                el.acquire()
                arr[start:stop] = [v] * (stop - start)
                el.release()
            else:
                for i in indices:
                    if on:
                        at(ACCESS | outer, i)
                    el.acquire()
                    arr[i] = v
                    el.release()
        elif op == "transfer":
            for i in indices:
                j = i + 1 if i + 1 < stop else start
                if on:
                    at(ACCESS | outer, i)
                el.acquire()
                x = arr[i]
                if on:
                    at(BETWEEN | inner, i)
                arr[i] = x - value
                if on:
                    at(ACCESS | inner, j)
                y = arr[j]
                if on:
                    at(BETWEEN | inner, j)
                arr[j] = y + value
                el.release()
        elif op == "snapshot":
            # one element step of a reader is one read: the slice, or one element
            if spec.read == "slice":
                if on:
                    at(ACCESS | outer, start)
                el.acquire()
                snapshot = arr[start:stop]
                el.release()
            else:
                snapshot = []
                for i in indices:
                    if on:
                        at(ACCESS | outer, i)
                    el.acquire()
                    snapshot.append(arr[i])
                    el.release()
            snaps.see(snapshot, p)
        if on and ps is not _NO_LOCK:
            at(RELEASING | LOCKED, -1)
        ps.release()
        if think:
            time.sleep(think)
    if on and wk is not _NO_LOCK:
        at(RELEASING | LOCKED, -1)
    wk.release()


_HARNESS_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _user_traceback(exc: BaseException) -> str:
    """The traceback from the first frame outside the harness: the user's code is the story."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None and tb.tb_frame.f_code.co_filename.startswith(_HARNESS_DIR):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


SPIN_BETWEEN_TRIALS_S = 0.005  # spin this long for the next trial before sleeping on the pipe


def _die_with_parent() -> None:
    """On Linux, ask the kernel to kill this worker when its parent dies, so a harness that is
    itself killed (SIGKILL, OOM) leaves no worker behind, even one stuck in user code."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def _own_group() -> None:
    """A process group of its own: whatever the user's code starts (a subprocess, a fork)
    joins it, and the parent kills the whole group when it retires this worker, so nothing
    outlives the run. The terminal's Ctrl-C no longer reaches the worker, which ignores SIGINT
    anyway: the parent decides. A group, not a session: a new session would also be a new
    scheduler autogroup on Linux, where a spinning worker's sched_yield no longer lets the
    parent run."""
    if hasattr(os, "setpgid"):
        try:
            os.setpgid(0, 0)
        except OSError:  # already a group leader: cannot happen to a started process
            pass


def _stacks_on_sigusr1(dump_path: str | None) -> None:
    """SIGUSR1 (the parent, at a hang) dumps every thread's stack into ``dump_path``."""
    if dump_path and hasattr(signal, "SIGUSR1"):
        try:
            faulthandler.register(signal.SIGUSR1, file=open(dump_path, "w"), all_threads=True)
        except OSError:  # out of file descriptors or disk: a hang shows no stack, nothing worse
            pass


def worker_main(config: WorkerConfig, arr, control_words, conn, dump_path: str | None = None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent alone decides when workers stop
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the command line's handler, under fork
    _die_with_parent()
    _own_group()
    _stacks_on_sigusr1(dump_path)
    spec = config.spec
    control = ControlBlock(control_words, config.nprocs)
    if spec.op == "call":
        from .calls import CallSetupError, prepare_call

        try:
            runner = prepare_call(spec, arr)
        except CallSetupError as exc:
            conn.send(("error", str(exc)))
            return
    else:
        def runner(inj, snaps):
            _run_steps(spec, arr, inj, snaps)
    conn.send(("ready", None))
    step = 0
    while True:
        step = control.next_step(spec.worker, step, SPIN_BETWEEN_TRIALS_S, conn)
        if step is None or step < 0:  # the parent is gone, or says stop
            return
        # the step drives the control block; the trial names the seeded delays
        trial = trial_of(step, config.first_trial, config.replay)
        inj = make_injector(config.timing, config.seed, trial, spec)
        if spec.op == "call":
            # the user's own `random` calls: distinct per process (under fork every worker
            # inherits one state) and named by the trial's seed, like the injected delays
            random.seed(f"{config.seed}:{trial}:{spec.worker}:user")
        snaps = _Snapshots(spec, trial)
        crashed = None
        # only user code prints; built-in steps skip the capture's cost
        captured = io.StringIO() if spec.op == "call" else None
        saved = sys.stdout, sys.stderr
        if captured is not None:
            sys.stdout = sys.stderr = captured
        try:
            control.start_together(spec.worker, step, config.barrier_timeout)
            runner(inj, snaps)
        except BaseException as exc:  # noqa: B036 - the user's code may raise anything; report it
            crashed = _user_traceback(exc)
            if len(crashed) > MAX_OUTPUT:  # a bounded message, keeping both ends
                crashed = crashed[:MAX_OUTPUT // 4] + "\n...(cut)...\n" + crashed[-MAX_OUTPUT // 2:]
        finally:
            sys.stdout, sys.stderr = saved
        output = captured.getvalue() if captured is not None else ""
        if len(output) > MAX_OUTPUT:
            output = "...(earlier output cut)\n" + output[-MAX_OUTPUT:]
        news = crashed is not None or snaps.torn is not None or bool(output)
        if news:
            try:
                conn.send(TrialReport(trial, spec.worker, crashed, snaps.torn, snaps.torn_count,
                                      snaps.count, output))
            except (BrokenPipeError, OSError):
                return
        control.mark_done(spec.worker, step, news)
