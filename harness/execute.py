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
import multiprocessing
import os
import shutil
import signal
import stat
import tempfile
import time
import warnings
import weakref
from multiprocessing import heap, sharedctypes
from multiprocessing.connection import wait

from .control import STOP, WAKE, ControlBlock, trial_of, words_for
from .detect import DETECTORS, detect_all
from .errors import HarnessError, InternalError
from .messages import Ready, SetupFailed, TrialReport, WorkerConfig
from .ops import op_of
from .results import Anomaly, TrialResult
from .worker import worker_main

FORK_WARNING = r".*use of fork\(\) may lead to deadlocks"
CRASH_GRACE_S = 0.5  # after one worker dies, how long the others get to finish
DUMP_WAIT_S = 0.3
START_TIMEOUT_S = 60.0
SPIN_FOR_REPORTS_S = 0.002  # spin this long for the workers' reports before sleeping on the pipes
POLL_MIN_S, POLL_MAX_S = 0.0005, 0.05  # then look at the done words this often, backing off
MAX_STACK_LINES = 40  # frames kept per thread of a stuck worker
STOP_WAIT_S = 2.0  # how long stopped workers get to return (and save what they save at exit)
KILL_WAIT_S = 2.0
GUARD_BYTES = 64 * 1024  # known bytes after the array's elements, where an overrun shows
GUARD_FILL = 0xA5
GUARD = bytes([GUARD_FILL]) * GUARD_BYTES
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
# what the machine says when it runs short, as the scenario's error says it
SHORTAGES = {errno.EMFILE: "too many open files (see `ulimit -n`)",
             errno.ENFILE: "too many open files in the system",
             errno.EAGAIN: "too many processes (see `ulimit -u`, or the container's pids limit)",
             errno.ENOMEM: "out of memory", errno.ENOSPC: "no space left on device"}


class WorkerStartError(HarnessError):
    """The scenario's workers could not start (e.g. a call target that does not import)."""


def _context(method: str):
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(["harness.worker"])
    return ctx


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


WAITING_FOR_THREADS = ("main thread: the function returned; its process waits for the threads it started, "
                      "as a real process does before it exits")


def _thread_sections(dump: str) -> list[tuple[str, list[str]]]:
    """faulthandler's dump as (header, frame lines) per thread, the interrupted (main) one
    named so."""
    sections: list[tuple[str, list[str]]] = []
    for line in dump.splitlines():
        if line.startswith(("Thread 0x", "Current thread 0x")):
            name = "main thread" if line.startswith("Current") else "thread " + line.split()[1]
            sections.append((name + ":", []))
        elif line.strip():
            if not sections:
                sections.append(("", []))
            sections[-1][1].append(line)
    return sections


def _trim_stack(dump: str) -> str:
    """faulthandler's dump, innermost frame first, each thread cut after the worker's entry
    point, ``worker_main`` (the frames below it are multiprocessing's start-up, or under fork the parent's own
    stack); a main thread that only waits for the user's threads says so in one line."""
    out = []
    for header, frames in _thread_sections(dump):
        kept = []
        for line in frames:
            kept.append(line)
            if line.rstrip().endswith(" in worker_main"):
                break
        if any(line.rstrip().endswith(" in _end_threads") for line in kept):
            out.append(WAITING_FOR_THREADS)
            continue
        out.extend(([header] if header else []) + kept[:MAX_STACK_LINES])
    return "\n".join(out) + "\n"


class WorkerSet:
    """One scenario's processes under one start method, started once, reused across trials."""

    def __init__(self, plan, settings, first_trial: int):
        self.plan = plan
        self.settings = settings
        self.first_trial = first_trial  # the trial of step 1
        self.step = 0  # trials these workers have run: what the control block counts
        self.locks: dict = {}  # the scenario's $lock and $rlock, made by start()
        self.retired = False  # the processes ended with the trial, as real ones would have
        # filled by start() and emptied, in place, by stopping; the net stops what an
        # interrupt kept close() and kill() from stopping, when this object goes
        self.procs, self.conns, self.dumps, self.folders = [], [], [], []
        weakref.finalize(self, _end_leftovers, os.getpid(), self.procs, self.conns, self.folders)

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
        ctx = _context(settings.start_method)
        spec = plan.scenario.array
        n = len(plan.processes)
        # shared memory from the same context as the processes; the control block apart from
        # the array, which an overrun by the user's code can only damage up to its guard
        self.control = ControlBlock(ctx.RawArray("q", words_for(n)), n)
        self.arr, self.raw, self.guard_at = _guarded_array(ctx, spec)
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
        self.folders.append(_dump_folder())
        for p in plan.processes:
            parent_end, child_end = ctx.Pipe()
            self.conns.append(parent_end)
            dump = os.path.join(self.folders[0], f"worker-{p.worker}.stack")
            config = WorkerConfig(p, settings.timing, settings.seed, n, settings.timeout_s, self.first_trial,
                                  settings.replay)
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

    def run_trial(self, trial: int) -> tuple[list, list[Anomaly], bool]:
        """(reports, crash and hang anomalies, broken); broken: this set must be replaced."""
        ctypes.memmove(self.raw, self.init, self.nbytes)
        self.step += 1  # never repeats for these workers, even when the trial number does
        step = self.step
        if trial != trial_of(step, self.first_trial, self.settings.replay):
            raise InternalError(f"trial {trial} run as step {step} of workers started at trial {self.first_trial}")
        reports, dead = [], []
        for i in self.control.go(step):  # only a worker asleep on its pipe needs a message
            try:
                self.conns[i].send_bytes(WAKE)
            except OSError:  # it died between trials
                self.procs[i].join(1.0)
                dead.append(i)
        timeout = self.settings.timeout_s
        clean = self.control.wait_done(step, SPIN_FOR_REPORTS_S)
        if clean == len(self.conns) and not dead and not self.check_lock and not self._overrun():
            return reports, [], False  # the usual trial: every worker done, nobody had news
        deadline = time.monotonic() + timeout
        pending = {i: c for i, c in enumerate(self.conns) if i not in dead}
        received: dict[int, object] = {}  # reports read before their done word was seen
        poll_s = POLL_MIN_S
        while pending:
            # a worker with nothing to say (the usual case) only marks its done word; one with
            # a report (a crash, a torn read, output) sends it first and marks -step
            done = self.control.done_words()
            for i in [i for i in pending if abs(done[i]) == step]:
                conn = pending.pop(i)
                if done[i] > 0:
                    reports.append(TrialReport(trial, i))
                    continue
                try:
                    reports.append(received.pop(i) if i in received else conn.recv())
                except (EOFError, OSError):
                    self.procs[i].join(1.0)
                    dead.append(i)
            if not pending:
                break
            if any(r.crashed for r in reports):  # the others may wait on a lock it held
                deadline = min(deadline, time.monotonic() + CRASH_GRACE_S)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            # sleep until a report, a death or the next look at the done words
            ready = wait([self.procs[i].sentinel for i in pending] + list(pending.values()), min(remaining, poll_s))
            poll_s = min(poll_s * 2, POLL_MAX_S)
            for i, conn in list(pending.items()):
                if conn in ready and i not in received:
                    # read now, even before the done word: a report larger than the pipe's
                    # buffer would otherwise keep its writer from ever marking done
                    try:
                        received[i] = conn.recv()
                        if received[i].crashed:  # the others may wait on a lock it held
                            deadline = min(deadline, time.monotonic() + CRASH_GRACE_S)
                        continue
                    except (EOFError, OSError):
                        pass
                if self.procs[i].sentinel in ready or (conn in ready and i not in received):
                    if i in received:
                        reports.append(received.pop(i))  # it reported, then died
                    self.procs[i].join(1.0)
                    dead.append(i)
                    del pending[i]
            if dead:
                deadline = min(deadline, time.monotonic() + CRASH_GRACE_S)
        reports.extend(received.values())
        overrun = self._overrun_crash()
        if overrun:  # whatever else went wrong, that write came first
            return sorted(reports, key=lambda r: r.worker), [overrun], True
        # a worker that reported its process's end (daemon threads left) exits 0 right after
        ended = {r.worker for r in reports if r.retire}
        dead = [i for i in dead if not (i in ended and self.procs[i].exitcode == 0)]
        if not dead and not pending and not any(r.crashed for r in reports):
            return self._finished_clean(reports)
        anomalies = []
        for rep in reports:
            if rep.crashed:
                p = self.plan.processes[rep.worker]
                detail = {"worker": rep.worker, "group": p.group, "error": rep.crashed}
                if rep.exit_code is not None:
                    detail["exitcode"] = rep.exit_code
                anomalies.append(Anomaly("crash", detail))
        exitcodes = {i: self.procs[i].exitcode for i in dead}
        lock_held = False
        stacks = {}
        if dead or pending:
            if pending and not dead and not any(r.crashed for r in reports):
                stacks = self._dump_stacks(sorted(pending))
            self.kill()
            lock_held = self._lock_held()
        for i in dead:
            p = self.plan.processes[i]
            code = exitcodes[i]
            how = (f"killed by {_signal_name(code)}" if code is not None and code < 0
                   else f"exited with code {code}")
            detail = {"worker": i, "group": p.group, "error": f"worker {p.group}[{p.index}] {how} during the trial",
                      "exitcode": code}
            if lock_held:
                detail["lock_held"] = True
                # who held it is known only when no live worker had to be stopped as well
                detail["error"] += ("; it died holding the array lock" if not pending else
                                    "; the array lock was left held (by it, or by a worker stopped after it)")
                detail["error"] += ", so the next trial gets a fresh array and lock"
            anomalies.append(Anomaly("crash", detail))
        if pending and not dead and not any(r.crashed for r in reports):
            stuck = sorted(pending)
            anomalies.append(Anomaly("hang", {
                "timeout_s": timeout,
                "stuck": [f"{self.plan.processes[i].group}[{self.plan.processes[i].index}]" for i in stuck],
                "stacks": stacks,
            }))
        reports.sort(key=lambda r: r.worker)
        broken = bool(anomalies and any(a.kind in ("crash", "hang") for a in anomalies))
        return reports, anomalies, broken

    def _finished_clean(self, reports: list) -> tuple[list, list[Anomaly], bool]:
        """Every worker finished its trial without a crash. A process whose daemon threads
        still ran has ended itself as it reported (a real one exits there; its threads die
        with it), so the set is replaced; a lock still held then is the user code's, a crash."""
        if any(r.retire for r in reports):
            self.kill()
            self.retired = True
        held = self._held_locks() if self.check_lock else []
        if not held:
            return reports, [], False
        which = " and ".join(held)
        return reports, [Anomaly("crash", {"worker": None, "group": None, "lock_held": True, "error": (
            f"a worker's code returned from its trial still holding {which} (an acquire without its "
            "release, or a daemon thread holding it when its process ended); the next trial gets a "
            "fresh array and locks")})], True

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
                    stacks[f"{p.group}[{p.index}]"] = _trim_stack(f.read())
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

    def _lock_held(self) -> bool:
        return bool(self._held_locks())

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
        _to_the_end(self._close)

    def _close(self) -> None:
        if self.procs:
            self.control.go(STOP)
            for c in self.conns:  # sleepers look at go when woken; spinners see it at once
                try:
                    c.send_bytes(WAKE)
                except (OSError, ValueError):
                    pass
            self._await_exit(STOP_WAIT_S)
        _end_all(self.procs, self.conns, self.folders)

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
        _to_the_end(lambda: _end_all(self.procs, self.conns, self.folders))


def _to_the_end(cleanup) -> None:
    """Run ``cleanup`` (idempotent) to its end although SIGINT or SIGTERM arrive meanwhile:
    they are held until it is done, and one already on its way when it began, which Python
    may still raise inside it, makes it run again; the interrupt is raised afterwards."""
    hold = hasattr(signal, "pthread_sigmask")
    before = signal.pthread_sigmask(signal.SIG_BLOCK, ()) if hold else None
    interrupt = None
    try:
        if hold:
            signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        for _ in range(len(STOP_SIGNALS) + 1):
            try:
                cleanup()
                break
            except KeyboardInterrupt as exc:
                interrupt = exc
    finally:
        if hold:
            signal.pthread_sigmask(signal.SIG_SETMASK, before)
    if interrupt is not None:
        raise interrupt


def _end_all(procs: list, conns: list, folders: list) -> None:
    """Kill each worker's process group (the worker and whatever its code started), reap the
    workers, close the pipes, remove the dump folders. Each thing done leaves its list, so
    running this again after an interrupt finishes the job."""
    for p in procs:
        _kill_group(p)
    while procs:
        p = procs[-1]
        try:
            if p.pid is not None:
                p.join(KILL_WAIT_S)
            p.close()
        except ValueError:  # closed before an interrupt, or (never seen) alive after SIGKILL
            pass
        procs.pop()
    while conns:
        conns[-1].close()
        conns.pop()
    while folders:
        _remove_dump_folder(folders[-1])
        folders.pop()


def _end_leftovers(owner: int, procs: list, conns: list, folders: list) -> None:
    """The net under close() and kill(), in the process that started the workers only (a fork
    worker carries a copy of the set that was starting it)."""
    if os.getpid() == owner:
        _end_all(procs, conns, folders)


def _kill_group(proc) -> None:
    """SIGKILL the process group the worker leads, then the worker itself (it may have died,
    or been stopped, before it made its group)."""
    try:
        pid = proc.pid
    except ValueError:  # closed: done already
        return
    if pid is None:  # never started
        return
    if hasattr(os, "killpg"):
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:  # no such group: not made yet, or every member gone
            pass
    try:
        if proc.is_alive():
            proc.kill()
    except (OSError, ValueError):
        pass


def _guarded_array(ctx, spec):
    """(array, raw ctypes array, guard address): the scenario's array as ``ctx.Array`` makes it,
    in a shared block with GUARD_BYTES of GUARD_FILL right after its elements. A write past the
    end lands there, where the parent sees it, instead of in other shared memory (the heap packs
    blocks together: the control block could be next)."""
    ctype = sharedctypes.typecode_to_type[spec.typecode]
    nbytes = ctypes.sizeof(ctype) * spec.size
    raw = sharedctypes.rebuild_ctype(ctype, heap.BufferWrapper(nbytes + GUARD_BYTES), spec.size)
    ctypes.memset(ctypes.addressof(raw), 0, nbytes)
    ctypes.memset(ctypes.addressof(raw) + nbytes, GUARD_FILL, GUARD_BYTES)
    arr = sharedctypes.synchronized(raw, ctx.RLock(), ctx) if spec.lock else raw
    return arr, raw, ctypes.addressof(raw) + nbytes


def _dumps_home() -> str | None:
    """This user's folder for stack dumps, where there are user ids."""
    return os.path.join(tempfile.gettempdir(), f"harness-{os.geteuid()}") if hasattr(os, "geteuid") else None


def _dump_folder() -> str:
    """A new folder for one worker set's stack dumps: ``TMPDIR/harness-UID/PID-xxxxxxxx``, after
    removing the folders there whose process no longer exists (a run killed before it could
    clean up). Where that home is not this user's private folder, a plain temporary folder."""
    home = _dumps_home()
    for _ in range(3 if home else 0):  # another run may remove the home, empty, between mkdir and mkdtemp
        try:
            os.mkdir(home, 0o700)
        except FileExistsError:
            pass
        st = os.lstat(home)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o077:
            break  # someone else's, or a symlink: not a place to write to, or to sweep
        for name in os.listdir(home):
            pid = name.split("-", 1)[0]
            if pid.isdigit() and int(pid) > 0 and int(pid) != os.getpid() and not _running(int(pid)):
                shutil.rmtree(os.path.join(home, name), ignore_errors=True)
        try:
            return tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=home)
        except FileNotFoundError:
            continue
    return tempfile.mkdtemp(prefix="harness-")


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # someone else's: it exists
        pass
    return True


def _remove_dump_folder(folder: str) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    home = os.path.dirname(folder)
    if home == _dumps_home():
        try:
            os.rmdir(home)  # the last run out leaves no trace; fails while others use it
        except OSError:
            pass


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


def execute(plan, settings):
    """Yield one TrialResult per trial; workers are stopped however the caller stops."""
    workers = None
    try:
        first = settings.first_trial
        numbers = itertools.repeat(first, settings.trials) if settings.replay else range(first, first + settings.trials)
        for trial in numbers:
            if workers is None:
                workers = WorkerSet(plan, settings, trial)
                workers.start()
            reports, anomalies, broken = workers.run_trial(trial)
            if not broken:
                anomalies = detect_all(plan, workers.final(), reports)
                if workers.retired:  # its processes ended with the trial: fresh ones next
                    workers.kill()
                    workers = None
            else:  # the final array means nothing after a crash or hang; what was read still does
                anomalies += detect_all(plan, None, reports, [d for d in DETECTORS if not d.needs_final])
                workers.kill()
                workers = None
            output = tuple((r.worker, r.output) for r in reports if r.output) if anomalies else ()
            yield TrialResult(trial, tuple(anomalies), output)
    finally:
        if workers is not None:
            workers.close()
