"""Worker processes and their shared memory: made, ended, and cleaned up after, whatever
interrupts.

Promise: :func:`context` is the start method's multiprocessing context (the forkserver
preloading the worker side); :func:`guarded_array` makes the scenario's array with a guard
region of known bytes after its elements, where an overrun by user code shows; :func:`end_all`
kills each worker's process group (the worker and whatever its code started), reaps the
workers, closes their pipes and removes their dump folders, each thing done leaving its list
so that running it again after an interrupt finishes the job; :func:`to_the_end` runs such a
cleanup to its end although SIGINT or SIGTERM arrive; :func:`dump_folder` gives a worker set a
folder for stack dumps under ``TMPDIR/harness-UID``, sweeping the folders of runs that were
killed. Parent side.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import shutil
import signal
import stat
import tempfile
import time
from multiprocessing import heap, sharedctypes

KILL_WAIT_S = 2.0
GROUP_GONE_WAIT_S = 1.0  # how long the processes user code started get to finish dying
GUARD_BYTES = 64 * 1024  # known bytes after the array's elements, where an overrun shows
GUARD_FILL = 0xA5
GUARD = bytes([GUARD_FILL]) * GUARD_BYTES
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def context(method: str):
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(["harness.worker"])
    return ctx


def signal_name(code: int) -> str:
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def to_the_end(cleanup) -> None:
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


def end_all(procs: list, conns: list, folders: list) -> None:
    """Kill each worker's process group (the worker and whatever its code started), reap the
    workers, close the pipes, remove the dump folders. Each thing done leaves its list, so
    running this again after an interrupt finishes the job."""
    groups = [pid for pid in map(_pid, procs) if pid is not None]
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
        remove_dump_folder(folders[-1])
        folders.pop()
    _await_groups_gone(groups)


def _pid(proc) -> int | None:
    try:
        return proc.pid
    except ValueError:  # closed: done already
        return None


def _await_groups_gone(groups: list[int]) -> None:
    """Wait, briefly, until no process of the killed groups exists: SIGKILL is delivered, not
    awaited, and a process that user code started is no child of ours to reap. Without this
    wait, the harness could exit while one still dies (its end closing a pipe the harness's
    reader waits on, as `harness run | cat` does)."""
    if not hasattr(os, "killpg"):
        return
    deadline = time.monotonic() + GROUP_GONE_WAIT_S
    while groups and time.monotonic() < deadline:
        groups = [pid for pid in groups if _group_exists(pid)]
        if groups:
            time.sleep(0.001)


def _group_exists(pgid: int) -> bool:
    return _exists(os.killpg, pgid)


def end_leftovers(owner: int, procs: list, conns: list, folders: list) -> None:
    """The net under close() and kill(), in the process that started the workers only (a fork
    worker carries a copy of the set that was starting it)."""
    if os.getpid() == owner:
        end_all(procs, conns, folders)


def _kill_group(proc) -> None:
    """SIGKILL the process group the worker leads, then the worker itself (it may have died,
    or been stopped, before it made its group)."""
    pid = _pid(proc)
    if pid is None:  # never started, or closed: done already
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


def guarded_array(ctx, spec):
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


def dump_folder() -> str:
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
    return _exists(os.kill, pid)


def _exists(send, target: int) -> bool:
    """Whether a process (``os.kill``) or a process group (``os.killpg``) exists: signal 0."""
    try:
        send(target, 0)
    except ProcessLookupError:
        return False
    except OSError:  # someone else's: it exists
        pass
    return True


def remove_dump_folder(folder: str) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    home = os.path.dirname(folder)
    if home == _dumps_home():
        try:
            os.rmdir(home)  # the last run out leaves no trace; fails while others use it
        except OSError:
            pass
