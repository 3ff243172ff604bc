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

from .control import ControlBlock
from .frames import user_traceback
from .messages import Ready, SetupError, SetupFailed, TrialReport, WorkerConfig
from .ops import op_of
from .snapshots import Snapshots
from .timing import make_policy
from .timing.contention import ContentionMap

MAX_OUTPUT = 8192


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
    return _bounded(f"{user_traceback(exc)}{why}\n"), exit_code


def _new_threads(before: set) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t not in before and t.is_alive()]


HOOKS_AFTER_S = 0.05  # threads left that long with none ending: maybe waiting for threading's exit hooks


def _end_threads(before: set) -> bool:
    """End the trial as a process ends: every non-daemon thread the trial started is waited
    for (a hang, if one never ends, is the parent's to see). A process runs threading's exit
    hooks first, which is how an executor never shut down stops its idle threads: when threads
    are left that no longer end by themselves and such hooks exist, they run here too. True
    when the process must now end, as a real one would: exit hooks ran, or daemon threads
    still run (a real process ends them by exiting)."""
    ran_hooks = False
    while True:
        left = _new_threads(before)
        waiting = [t for t in left if not t.daemon]
        if not waiting:
            return ran_hooks or bool(left)
        for t in waiting:
            t.join(HOOKS_AFTER_S / len(waiting))
        hooks = getattr(threading, "_threading_atexits", [])
        if not ran_hooks and hooks and all(t.is_alive() for t in waiting):
            for hook in reversed(list(hooks)):
                hook()
            ran_hooks = True


def _user_trial(runner, policy, snaps, start) -> tuple[str | None, int | None, bool, str]:
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
                runner(policy, snaps)
            except SystemExit as exc:
                crashed, exit_code = _system_exit(exc)
            except BaseException as exc:  # noqa: B036 - the user's code may raise anything; report it
                crashed = _bounded(user_traceback(exc))
            finally:
                policy.done()  # under control: its threads get their turns from here
                retire = _end_threads(before)  # their prints are the trial's too
                if retire:
                    # from here to this process's exit no other thread may run Python (a
                    # daemon's late write must not land): only a blocking call yields the GIL
                    sys.setswitchinterval(1e6)
    finally:
        sys.stdout, sys.stderr = saved
    output = captured.getvalue()
    if len(output) > MAX_OUTPUT:
        output = "...(earlier output cut)\n" + output[-MAX_OUTPUT:]
    return crashed, exit_code, retire, output


def _builtin_trial(runner, policy, snaps, start) -> str | None:
    try:
        start()
        runner(policy, snaps)
    except BaseException as exc:  # noqa: B036 - e.g. the start line timing out
        return _bounded(user_traceback(exc))
    finally:
        policy.done()
    return None


def _trial_report(config, control, runner, step: int, trial: int, contention, board) -> TrialReport | None:
    """Run one trial; the report to send, or None when there is nothing to say."""
    spec = config.spec
    op = op_of(spec.op)
    policy = make_policy(config.timing, config.seed, trial, spec, contention, board)

    def start():
        policy.start_line(lambda: control.start_together(spec.worker, step, config.barrier_timeout))

    if op.user_code:
        # the user's own `random` calls: distinct per process (under fork every worker
        # inherits one state) and named by the trial's seed, like the injected delays
        random.seed(f"{config.seed}:{trial}:{spec.worker}:user")
        snaps = Snapshots(spec, trial, op.unit(spec))
        crashed, exit_code, retire, output = _user_trial(runner, policy, snaps, start)
    else:  # built-in steps print nothing and start no threads: no capture to pay for
        snaps = Snapshots(spec, trial)
        crashed, exit_code, retire, output = _builtin_trial(runner, policy, snaps, start), None, False, ""
    policy.finish()
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


def _board(shared_board, worker: int, nprocs: int, typecode: str):
    """This process's side of the controlled scheduler's board (None: not under control)."""
    if shared_board is None:
        return None
    from .scheduler.board import Board

    words, sems = shared_board
    return Board(words, sems, worker, nprocs, floats=typecode in "fd")


def worker_main(config: WorkerConfig, arr, control_words, conn, dump_path: str | None = None,
                shared: dict | None = None) -> None:
    """``shared``: the scenario's other shared objects: ``locks`` ({"$lock": Lock, ...}) and
    ``contention`` (a call worker's contention words, when timing injection is on) and ``board``
    (the controlled scheduler's words and semaphores, under the controlled policy)."""
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
    board = _board(shared.get("board"), spec.worker, config.nprocs, spec.typecode)
    try:
        runner = op_of(spec.op).runner(spec, arr, shared)
    except SetupError as exc:
        conn.send(SetupFailed(str(exc)))
        return
    conn.send(Ready())
    step = 0
    while True:
        step = control.next_step(spec.worker, step, SPIN_BETWEEN_TRIALS_S, conn)
        if step is None or step < 0:  # the parent is gone, or says stop
            return
        # the step drives the control block; the trial (written before it) names the seeded delays
        trial = control.trial()
        report = _trial_report(config, control, runner, step, trial, contention, board)
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
