"""Stage 3, execute: a plan's processes on real shared memory, trial after trial.

Promise: :func:`execute` yields one :class:`~harness.results.TrialResult` per trial. The
processes of a scenario start once per start method (a :class:`WorkerSet`) and are reused:
each trial resets the array with one memmove, announces the trial in the control block
(:mod:`harness.control`; no message, unless a worker fell asleep waiting), lets the workers
start together at its start line, and waits for each worker's done word; only a worker with
something to say (a crash, a torn read, output) sends a report. Workers count steps and know
the trial of step 1, so a failed trial can be replayed again and again. A crash (an
exception, a worker that died, one that died holding the array lock) or a hang (a trial past
``timeout_s``; stacks dumped, processes killed) is an outcome, after which a fresh set of
processes, array, lock and control block replaces the old one. The array, its lock and the
control block come from the processes' own context (mixing contexts crashes silently on
3.10), and every wait is bounded by the trial's or the start-up's deadline. Workers are
always stopped when the generator is closed or interrupted, together with whatever their code
started: each worker leads a process group of its own (:func:`harness.worker.worker_main`), and
the whole group is killed when the worker is retired. Stopping is idempotent and holds off
SIGINT and SIGTERM until it is done; a set that an interrupt kept from stopping is stopped when
it is garbage collected, or at the latest when the interpreter exits. A start that the machine
refuses (too many open files or processes, no memory) is a :class:`WorkerStartError` saying
so. The array has a guard region of known bytes right after its elements: a worker's code that
writes past the end (through ctypes or a buffer) is a ``crash`` naming that, not corrupted
harness memory. Stack dumps go to a folder per worker set under ``TMPDIR/harness-UID``, named
by the harness's process id; folders whose process is gone are swept by the next start.
"""

from __future__ import annotations

import ctypes
import errno
import itertools
import os
import signal
import time
import warnings
import weakref
from multiprocessing.connection import wait

from .control import STOP, WAKE, ControlBlock, words_for
from .errors import HarnessError
from .messages import Ready, SetupFailed, WorkerConfig
from .ops import op_of
from .processes import (GUARD, GUARD_BYTES, context, dump_folder, end_all, end_leftovers, guarded_array,
                        signal_name, to_the_end)
from .anomalies import Anomaly
from .controlled import deadlock_anomaly, new_search, new_session as _session
from .records import record
from .stacks import trim_stack
from .trial import POLL_MAX_S, POLL_MIN_S, TrialRun, watch
from .worker import worker_main

FORK_WARNING = r".*use of fork\(\) may lead to deadlocks"
DUMP_WAIT_S = 0.3
START_TIMEOUT_S = 60.0
STOP_WAIT_S = 2.0  # how long stopped workers get to return (and save what they save at exit)
# what the machine says when it runs short, as the scenario's error says it
SHORTAGES = {errno.EMFILE: "too many open files (see `ulimit -n`)",
             errno.ENFILE: "too many open files in the system",
             errno.EAGAIN: "too many processes (see `ulimit -u`, or the container's pids limit)",
             errno.ENOMEM: "out of memory", errno.ENOSPC: "no space left on device"}


@record
class TrialOutcome:
    """What one trial of a worker set came to, before the detectors look at the array."""

    reports: list  # the workers' TrialReports, in worker order
    anomalies: list  # crashes and hangs the executor saw itself
    broken: bool = False  # this set must be replaced: the final array means nothing
    schedule: object = None  # under the controlled scheduler: its Schedule


def _no_stack(worker: int) -> str:
    return ""


class WorkerStartError(HarnessError):
    """The scenario's workers could not start (e.g. a call target that does not import)."""


class WorkerSet:
    """One scenario's processes under one start method, started once, reused across trials."""

    def __init__(self, plan, settings, search=None):
        self.plan = plan
        self.settings = settings
        # under the controlled scheduler: what each trial follows (a set started on its own
        # gets a search of its own)
        self.search = search if search is not None else new_search(settings, len(plan.processes))
        self.step = 0  # trials these workers have run: what the control block counts
        self.locks: dict = {}  # the scenario's $lock and $rlock, made by start()
        self.retired = False  # the processes ended with the trial, as real ones would have
        # filled by start() and emptied, in place, by stopping; the net stops what an
        # interrupt kept close() and kill() from stopping, when this object goes
        self.procs, self.conns, self.dumps, self.folders = [], [], [], []
        self.session = None  # the controlled scheduler's side of this set (harness.session)
        weakref.finalize(self, end_leftovers, os.getpid(), self.procs, self.conns, self.folders)

    def start(self) -> None:
        """Shared memory, processes, and the wait until each is ready; a failure stops what started."""
        try:
            self._start()
        except OSError as exc:  # the machine's limits, not a bug
            self.kill()
            raise WorkerStartError(f"{self.plan.scenario.path}: could not start its processes under "
                                   f"{self.settings.start_method}: {SHORTAGES.get(exc.errno) or exc.strerror or exc}"
                                   ) from None
        except BaseException:
            self.kill()
            raise

    def _start(self) -> None:
        plan, settings = self.plan, self.settings
        ctx = context(settings.start_method)
        spec = plan.scenario.array
        n = len(plan.processes)
        # shared memory from the same context as the processes; the control block apart from
        # the array, which an overrun by the user's code can only damage up to its guard
        self.control = ControlBlock(ctx.RawArray("q", words_for(n)), n)
        self.arr, self.raw, self.guard_at = guarded_array(ctx, spec)
        # each trial starts from a copy of this private buffer: one memmove, not n stores
        self.init = (self.raw._type_ * spec.size)(*spec.init)
        self.nbytes = ctypes.sizeof(self.init)
        # the scenario's own locks ($lock, $rlock), shared by every process like the array
        self.locks = {name: (ctx.Lock() if name == "$lock" else ctx.RLock()) for name in plan.locks}
        shared: dict = {"locks": self.locks}
        calls = any(op_of(p.op).user_code for p in plan.processes)
        if settings.timing.policy != "none" and calls:
            # where user code's accesses conflict, learned over the trials (harness.timing.contention)
            shared["contention"] = ctx.RawArray("i", spec.size)
        # only user code can return still holding a lock or write past the array's end
        self.check_lock, self.check_guard = (spec.lock or bool(self.locks)) and calls, calls
        if settings.timing.policy in ("controlled", "mixed"):
            # the session holds its way back to this set weakly: a cycle would keep the board's
            # shared memory (and its file descriptor) alive after a failed start until the GC ran
            stack_of = weakref.WeakMethod(self._stack_of)
            self.session = _session(ctx, plan, settings, lambda w: (stack_of() or _no_stack)(w), self.search)
            shared["board"] = self.session.shared()
        self.folders.append(dump_folder())
        for p in plan.processes:
            parent_end, child_end = ctx.Pipe()
            self.conns.append(parent_end)
            dump = os.path.join(self.folders[0], f"worker-{p.worker}.stack")
            config = WorkerConfig(p, settings.timing, settings.seed, n, settings.timeout_s)
            proc = ctx.Process(target=worker_main,
                               args=(config, self.arr, self.control.words, child_end, dump, shared),
                               name=f"harness-{p.group}-{p.index}", daemon=True)
            self.procs.append(proc)  # before it starts: an interrupt inside start() still finds it
            with warnings.catch_warnings():
                # 3.12+ warns when a multi-threaded process forks (a pytest-xdist worker is
                # one); fork was asked for, and the child only touches the array, its pipe and
                # the control block, so the warning is noise, or an error under -W error
                warnings.filterwarnings("ignore", message=FORK_WARNING, category=DeprecationWarning)
                proc.start()
            child_end.close()
            self.dumps.append(dump)
        self._await_ready()

    def _await_ready(self) -> None:
        pending = dict(zip(self.conns, range(len(self.conns))))
        limit = max(START_TIMEOUT_S, self.settings.timeout_s)
        deadline = time.monotonic() + limit
        while pending:
            remaining = deadline - time.monotonic()
            ready = wait(list(pending) + [self.procs[i].sentinel for i in pending.values()], max(0.0, remaining))
            if not ready or remaining <= 0:
                raise WorkerStartError(f"{self.plan.scenario.path}: workers did not start within "
                                       f"{limit:.0f} s under {self.settings.start_method}")
            for conn, i in list(pending.items()):
                if conn in ready or self.procs[i].sentinel in ready:
                    try:
                        message = conn.recv() if conn.poll() else None
                    except (EOFError, OSError):
                        message = None
                    if isinstance(message, SetupFailed):
                        raise WorkerStartError(message.message)
                    if not isinstance(message, Ready):  # it died
                        self.procs[i].join(1.0)
                        raise WorkerStartError(f"{self.plan.scenario.path}: worker {self.procs[i].name} "
                                               f"died while starting (exit code {self.procs[i].exitcode})")
                    del pending[conn]

    def run_trial(self, trial: int) -> TrialOutcome:
        """One trial on these workers (:mod:`harness.trial`), and what it came to."""
        ctypes.memmove(self.raw, self.init, self.nbytes)
        self.step += 1  # never repeats for these workers, even when the trial number does
        step = self.step
        session = self.session
        if session is not None:
            session.before(self.settings.seed, trial)
        run = watch(self.control, self.conns, self.procs, step, trial, self.settings.timeout_s,
                    session.monitor if session is not None else None)
        schedule = session.after(self.init, self.raw) if session is not None else None
        if schedule is not None and schedule.deadlock:  # every worker waits: the set is replaced
            self.kill()
            return TrialOutcome(run.reports, [deadlock_anomaly(self.plan, schedule.deadlock)], True, schedule)
        if run.clean and not self.check_lock and not self.check_guard:
            outcome = TrialOutcome([], [])
        else:
            outcome = self._judged(run)
        return outcome if schedule is None else self._controlled(outcome, schedule)

    def _controlled(self, outcome: TrialOutcome, schedule) -> TrialOutcome:
        """A controlled trial's outcome, judged as any other, carries its schedule, and is
        marked uncontrolled when it ran free."""
        if schedule.uncontrolled:
            outcome.anomalies.append(Anomaly("uncontrolled", {"error": schedule.uncontrolled}))
        outcome.schedule = schedule
        return outcome

    def _judged(self, run: TrialRun) -> TrialOutcome:
        overrun = self._overrun_crash()
        if overrun:  # whatever else went wrong, that write came first
            return TrialOutcome(run.reports, [overrun], True)
        # a worker that reported its process's end (daemon threads left) exits 0 right after
        ended = {r.worker for r in run.reports if r.retire}
        run.dead = [i for i in run.dead if not (i in ended and self.procs[i].exitcode == 0)]
        if not run.dead and not run.stuck and not run.crashed:
            return self._finished_clean(run.reports)
        return self._went_wrong(run)

    def _went_wrong(self, run: TrialRun) -> TrialOutcome:
        """Crashes (raised, died, died holding a lock) and hangs (stacks dumped): the set
        is stopped and replaced."""
        anomalies = [self._raised(rep) for rep in run.reports if rep.crashed]
        exitcodes = {i: self.procs[i].exitcode for i in run.dead}
        hung = bool(run.stuck) and not run.dead and not run.crashed
        stacks = self._dump_stacks(run.stuck) if hung else {}
        self.kill()
        held = self._held_locks()
        anomalies += [self._died(i, exitcodes[i], held, bool(run.stuck)) for i in run.dead]
        if hung:
            anomalies.append(Anomaly("hang", {
                "timeout_s": self.settings.timeout_s,
                "stuck": [f"{self.plan.processes[i].group}[{self.plan.processes[i].index}]" for i in run.stuck],
                "stacks": stacks,
            }))
        return TrialOutcome(run.reports, anomalies, True)

    def _raised(self, rep) -> Anomaly:
        p = self.plan.processes[rep.worker]
        detail = {"worker": rep.worker, "group": p.group, "error": rep.crashed}
        if rep.exit_code is not None:
            detail["exitcode"] = rep.exit_code
        return Anomaly("crash", detail)

    def _died(self, i: int, code, held: list, others_stopped: bool) -> Anomaly:
        p = self.plan.processes[i]
        how = f"killed by {signal_name(code)}" if code is not None and code < 0 else f"exited with code {code}"
        detail = {"worker": i, "group": p.group, "error": f"worker {p.group}[{p.index}] {how} during the trial",
                  "exitcode": code}
        if held:
            detail["lock_held"] = True
            # who held it is known only when no live worker had to be stopped as well
            detail["error"] += ("; it died holding the array lock" if not others_stopped else
                                "; the array lock was left held (by it, or by a worker stopped after it)")
            detail["error"] += ", so the next trial gets a fresh array and lock"
        return Anomaly("crash", detail)

    def _finished_clean(self, reports: list) -> TrialOutcome:
        """Every worker finished its trial without a crash. A process whose daemon threads
        still ran has ended itself as it reported (a real one exits there; its threads die
        with it), so the set is replaced; a lock still held then is the user code's, a crash."""
        if any(r.retire for r in reports):
            self.kill()
            self.retired = True
        held = self._held_locks() if self.check_lock else []
        if not held:
            return TrialOutcome(reports, [])
        which = " and ".join(held)
        return TrialOutcome(reports, [Anomaly("crash", {"worker": None, "group": None, "lock_held": True, "error": (
            f"a worker's code returned from its trial still holding {which} (an acquire without its "
            "release, or a daemon thread holding it when its process ended); the next trial gets a "
            "fresh array and locks")})], True)

    def _stack_of(self, worker: int) -> str:
        """One worker's stacks now (the controlled scheduler's watchdog)."""
        return "\n".join(self._dump_stacks([worker]).values())

    def _dump_stacks(self, stuck: list[int]) -> dict:
        if not hasattr(signal, "SIGUSR1"):
            return {}
        for i in stuck:
            try:
                os.kill(self.procs[i].pid, signal.SIGUSR1)
            except OSError:
                pass
        time.sleep(DUMP_WAIT_S)
        stacks = {}
        for i in stuck:
            p = self.plan.processes[i]
            try:
                with open(self.dumps[i]) as f:
                    stacks[f"{p.group}[{p.index}]"] = trim_stack(f.read())
            except OSError:
                pass
        return stacks

    def _held_locks(self) -> list[str]:
        """The shared locks that some process holds now: the array's, $lock, $rlock."""
        locks = dict(self.locks)
        if self.plan.scenario.array.lock:
            locks["the array lock"] = self.arr.get_lock()
        held = []
        for name, lock in locks.items():
            if lock.acquire(False):
                lock.release()
            else:
                held.append(name)
        return sorted(held, key=lambda n: n[0] == "$")

    def final(self) -> "FinalArray":
        return FinalArray(bytes(self.raw), self.raw)

    def _overrun(self) -> int:
        """How many bytes past the array's end the workers' code wrote (0: none), as far as
        the guard region shows: up to the last byte that lost its fill."""
        if not self.check_guard:
            return 0
        guard = ctypes.string_at(self.guard_at, GUARD_BYTES)
        return 0 if guard == GUARD else len(guard.rstrip(GUARD[:1]))  # a compare costs 10 us, a strip 400

    def _overrun_crash(self) -> Anomaly | None:
        overrun = self._overrun()
        if not overrun:
            return None
        past = f"at least {overrun}" if overrun == GUARD_BYTES else str(overrun)
        return Anomaly("crash", {"worker": None, "group": None, "overrun_bytes": overrun, "error": (
            f"a worker's code wrote past the end of the array ({past} bytes past it), through ctypes or "
            f"a buffer over its {self.nbytes} bytes; the next trial gets a fresh array")})

    def close(self) -> None:
        """Stop the workers politely (each returns, saving what it saves at exit), then firmly."""
        to_the_end(self._close)

    def _close(self) -> None:
        if self.procs:
            self.control.go(STOP)
            for c in self.conns:  # sleepers look at go when woken; spinners see it at once
                try:
                    c.send_bytes(WAKE)
                except (OSError, ValueError):
                    pass
            self._await_exit(STOP_WAIT_S)
        end_all(self.procs, self.conns, self.folders)

    def _await_exit(self, limit: float) -> None:
        """Wait until every worker has exited, looking at exit codes as well as sentinels (a
        process forked by the user's code holds a fork worker's sentinel open)."""
        deadline = time.monotonic() + limit
        pause = POLL_MIN_S
        running = [p for p in self.procs if p.pid is not None]
        while running:
            running = [p for p in running if p.exitcode is None]
            remaining = deadline - time.monotonic()
            if not running or remaining <= 0:
                return
            wait([p.sentinel for p in running], min(pause, remaining))
            pause = min(pause * 2, POLL_MAX_S)

    def kill(self) -> None:
        """Kill the workers and everything their code started; remove the stack-dump folder."""
        to_the_end(lambda: end_all(self.procs, self.conns, self.folders))


class FinalArray:
    """The array after a trial: its bytes (one copy, compared in bulk against the expected
    bytes) and, only when a detector asks, its values as a list."""

    def __init__(self, raw_bytes: bytes, raw):
        self.raw_bytes = raw_bytes
        self._raw = raw
        self._values = None

    @property
    def values(self) -> list:
        if self._values is None:
            arr = type(self._raw).from_buffer_copy(self.raw_bytes)
            self._values = arr[:]
        return self._values

    def __iter__(self):
        return iter(self.values)


@record(frozen=True)
class RawTrial:
    """One trial as the executor saw it, for the detectors: the workers' reports, the final
    array (None when a crash or hang made it meaningless), and the crashes and hangs."""

    trial: int
    reports: list
    final: object  # FinalArray | None
    anomalies: list
    schedule: object = None  # under the controlled scheduler: its Schedule (harness.session)


def trial_numbers(settings, search=None):
    """The trials a run takes: a replay's one trial again and again, else its shard's part of
    the budget (:func:`harness.shard.trial_numbers`; a search that predicts from trial 1 has
    it in every shard)."""
    from .shard import trial_numbers as of_shard

    if settings.replay:
        return itertools.repeat(settings.first_trial, settings.trials)
    return of_shard(settings.shard, settings.trials, recording=getattr(search, "records_first", False))


def execute(plan, settings, search=None):
    """Yield one RawTrial per trial, until the trials or the ``search`` (under the controlled
    scheduler: what each trial follows, :func:`harness.controlled.new_search`) end; workers
    are stopped however the caller stops."""
    workers = None
    try:
        for trial in trial_numbers(settings, search):
            if search is not None and search.finished:
                break  # the search has covered what it can
            if workers is None:
                workers = WorkerSet(plan, settings, search)
                workers.start()
            outcome = workers.run_trial(trial)
            final = None if outcome.broken else workers.final()  # a copy: the next trial reuses the array
            if outcome.broken or workers.retired:  # fresh processes for the next trial
                workers.kill()
                workers = None
            yield RawTrial(trial, outcome.reports, final, outcome.anomalies, outcome.schedule)
    finally:
        if workers is not None:
            workers.close()
