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
import threading
import time
import traceback

from .checks import CHECKS
from .control import ControlBlock, trial_of
from .messages import TornRead, TrialReport, WorkerConfig
from .timing import ACCESS, ACQUIRED, BETWEEN, LOCKED, RELEASING, make_injector
from .timing.contention import ContentionMap

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
    """Runs checks on snapshots and keeps the first torn one. ``monotonic`` compares a
    snapshot with the previous one read by the same thread: the reads of two threads have
    no order between them. ``unit`` names what a snapshot is in reports: a pass of a
    built-in reader, a read of user code, or a value the user's function returned."""

    def __init__(self, spec, trial: int, unit: str = "pass"):
        self.spec, self.trial, self.unit = spec, trial, unit
        self.check = CHECKS[spec.check] if spec.check else None
        self.previous: dict[int, object] = {}
        self.count = 0
        self.torn = None
        self.torn_count = 0

    def see(self, snapshot, pass_no: int, where: str = "") -> None:
        self.count += 1
        if self.check is None:
            return
        spec = self.spec
        thread = threading.get_ident()
        prev = self.previous.get(thread)
        if not self.check(snapshot, prev, spec.check_sum, spec.typecode, spec.check_tolerance):
            self.torn_count += 1
            if self.torn is None:
                # a bounded message: the report shows MAX_SHOWN values and the true length
                self.torn = TornRead(spec.worker, spec.group, pass_no, spec.check, tuple(snapshot[:MAX_SHOWN]),
                                     tuple(prev[:MAX_SHOWN]) if prev is not None else None, where,
                                     len(snapshot), sum(snapshot) if spec.check == "sum" else None, self.unit)
        self.previous[thread] = snapshot


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


def _bounded(text: str) -> str:
    """A bounded message, keeping both ends."""
    if len(text) > MAX_OUTPUT:
        return text[:MAX_OUTPUT // 4] + "\n...(cut)...\n" + text[-MAX_OUTPUT // 2:]
    return text


def _system_exit(exc: SystemExit) -> tuple[str | None, int | None]:
    """(crash text, exit code) for ``sys.exit(code)`` in the user's code, by the rule a
    multiprocessing Process applies: None or 0 is a clean end whose writes stand; another
    integer is that exit code; anything else is printed and exits 1."""
    code = exc.code
    if code is None or (isinstance(code, int) and code == 0):
        return None, None
    if isinstance(code, int):
        why = f"the worker's code called sys.exit({code}): a process ending this way exits with code {code}"
        exit_code = code
    else:
        why = (f"the worker's code called sys.exit({code!r}): a process ending this way prints it and "
               "exits with code 1")
        exit_code = 1
    return _bounded(f"{_user_traceback(exc)}{why}\n"), exit_code


def _new_threads(before: set) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t not in before and t.is_alive()]


def _end_threads(before: set) -> bool:
    """End the trial as a process ends: every non-daemon thread the trial started is waited
    for (a hang, if one never ends, is the parent's to see). A process runs threading's exit
    hooks first, which is how an executor never shut down stops its idle threads; when
    threads are still running and such hooks exist, they run here too. True when the process
    must now end, as a real one would: exit hooks ran, or daemon threads still run (a real
    process ends them by exiting)."""
    left = _new_threads(before)
    if not any(not t.daemon for t in left):
        return bool(left)
    hooks = list(getattr(threading, "_threading_atexits", []))
    for hook in reversed(hooks):
        hook()
    while True:
        left = _new_threads(before)
        waiting = [t for t in left if not t.daemon]
        if not waiting:
            return bool(hooks) or bool(left)
        for t in waiting:
            t.join()


def _user_trial(runner, inj, snaps, start) -> tuple[str | None, int | None, bool, str]:
    """Run user code for one trial with its prints captured and its threads ended:
    (crash text, exit code, retire, output)."""
    captured = io.StringIO()
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = captured
    before = set(threading.enumerate())
    crashed = exit_code = None
    try:
        with runner.scope:  # held until the trial's threads have ended: they sleep scaled too
            try:
                start()
                runner(inj, snaps)
            except SystemExit as exc:
                crashed, exit_code = _system_exit(exc)
            except BaseException as exc:  # noqa: B036 - the user's code may raise anything; report it
                crashed = _bounded(_user_traceback(exc))
            finally:
                retire = _end_threads(before)  # their prints are the trial's too
    finally:
        sys.stdout, sys.stderr = saved
    output = captured.getvalue()
    if len(output) > MAX_OUTPUT:
        output = "...(earlier output cut)\n" + output[-MAX_OUTPUT:]
    return crashed, exit_code, retire, output


def _builtin_trial(runner, inj, snaps, start) -> str | None:
    try:
        start()
        runner(inj, snaps)
    except BaseException as exc:  # noqa: B036 - e.g. the start line timing out
        return _bounded(_user_traceback(exc))
    return None


def _trial_report(config, control, runner, step: int, trial: int, contention) -> TrialReport | None:
    """Run one trial; the report to send, or None when there is nothing to say."""
    spec = config.spec
    inj = make_injector(config.timing, config.seed, trial, spec, contention)

    def start():
        control.start_together(spec.worker, step, config.barrier_timeout)

    if spec.op == "call":
        # the user's own `random` calls: distinct per process (under fork every worker
        # inherits one state) and named by the trial's seed, like the injected delays
        random.seed(f"{config.seed}:{trial}:{spec.worker}:user")
        snaps = _Snapshots(spec, trial, "returned value" if spec.check_on == "returns" else "read")
        crashed, exit_code, retire, output = _user_trial(runner, inj, snaps, start)
    else:  # built-in steps print nothing and start no threads: no capture to pay for
        snaps = _Snapshots(spec, trial)
        crashed, exit_code, retire, output = _builtin_trial(runner, inj, snaps, start), None, False, ""
    inj.finish()
    if crashed is None and snaps.torn is None and not output and not retire:
        return None
    return TrialReport(trial, spec.worker, crashed, snaps.torn, snaps.torn_count, snaps.count, output,
                       exit_code, retire)


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


def worker_main(config: WorkerConfig, arr, control_words, conn, dump_path: str | None = None,
                shared: dict | None = None) -> None:
    """``shared``: the scenario's other shared objects: ``locks`` ({"$lock": Lock, ...}) and
    ``contention`` (a call worker's contention words, when timing injection is on)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent alone decides when workers stop
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the command line's handler, under fork
    _die_with_parent()
    _own_group()
    _stacks_on_sigusr1(dump_path)
    spec = config.spec
    shared = shared or {}
    control = ControlBlock(control_words, config.nprocs)
    words = shared.get("contention")
    contention = ContentionMap(words) if words is not None else None
    if spec.op == "call":
        from .calls import CallSetupError, prepare_call

        try:
            runner = prepare_call(spec, arr, shared.get("locks", {}))
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
        report = _trial_report(config, control, runner, step, trial, contention)
        if report is not None:
            try:
                conn.send(report)
            except (BrokenPipeError, OSError):
                return
        control.mark_done(spec.worker, step, report is not None)
        if report is not None and report.retire:
            # a real process ends here, and its daemon threads with it, at once: a daemon's
            # later write must not land, nor a lock be taken by one while the parent waits
            os._exit(0)
