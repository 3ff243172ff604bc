"""The command line's own I/O: files written whole, and a standard output that cannot stop a run.

Promise: :func:`check_writable` says, before a run, what :func:`write_atomically` would fail
on. :func:`write_atomically` leaves either the old file or the whole new one (a
temporary file in the same folder, then a rename), with the mode an ordinary write would
give (an existing file keeps its mode; a new one gets ``0o666`` less the umask), so a CI
agent running as another user can read the reports; a symlink stays a symlink, except that
another user's symlink in a sticky world-writable folder is never followed (Linux's
``fs.protected_symlinks`` rule, applied by the harness itself). :class:`GuardedStdout` stands in for
``sys.stdout``: once writing fails (a reader that closed the pipe, as ``| head`` does, or a
full disk), further output is dropped, so the run still finishes, writes its reports and
exits with its real status; a failure other than a closed pipe is said once on stderr.
"""

from __future__ import annotations

import io
import os
import stat
import sys

from .errors import UsageError


def _stat(path: str):
    try:
        return os.stat(path)  # follows symlinks, /dev/stdout's /proc links included
    except OSError:
        return None


def _open_stream(st) -> object | None:
    """sys.stdout or sys.stderr when ``st`` is the file one of them writes to (a report sent
    to /dev/stdout while stdout goes to a log): written through it, the log keeps its lines."""
    for stream, fd in ((sys.stdout, 1), (sys.stderr, 2)):
        try:
            other = os.fstat(fd)
        except OSError:
            continue
        if stream is not None and (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
            return stream
    return None


def _direct(path: str, st) -> bool:
    """Whether ``path`` must be written in place: no regular file (a device, a pipe), one
    of this process's own output streams, or a file in a folder that cannot take a rename."""
    if st is None:
        return False
    if not stat.S_ISREG(st.st_mode) or _open_stream(st) is not None:
        return True
    return not os.access(os.path.dirname(os.path.realpath(path)), os.W_OK)


def _followed_symlinks(path: str):
    """(symlink, its folder, its lstat) for each symlink that resolving ``path`` follows, in
    order, as the kernel walks it (a ``..`` after a symlink leaves the folder it pointed to)."""
    parts = [p for p in path.split(os.sep) if p]
    current = os.sep if os.path.isabs(path) else os.getcwd()
    hops = 0
    while parts:
        name = parts.pop(0)
        if name == "..":
            current = os.path.dirname(current)
        elif name != ".":
            link = os.path.join(current, name)
            try:
                st = os.lstat(link)
            except OSError:  # nothing there: nothing more to follow
                return
            if not stat.S_ISLNK(st.st_mode):
                current = link
                continue
            hops += 1
            if hops > 40:  # a loop: the write itself says so
                return
            yield link, current, st
            target = os.readlink(link)
            parts[:0] = [p for p in target.split(os.sep) if p]
            if os.path.isabs(target):
                current = os.sep


def _protected_symlink(path: str) -> str | None:
    """Why ``path`` must not be followed: a symlink on its way that Linux's
    ``fs.protected_symlinks`` would refuse (one in a sticky world-writable folder such as /tmp,
    owned neither by this user nor by the folder's owner), which is how another user turns a
    report into an overwrite of one of this user's files. The harness resolves paths itself
    (to write a temporary file beside the real one), so it applies the rule itself."""
    if not hasattr(os, "geteuid"):
        return None
    for link, folder, st in _followed_symlinks(path):
        try:
            folder_st = os.stat(folder)
        except OSError:
            continue
        shared = folder_st.st_mode & stat.S_ISVTX and folder_st.st_mode & stat.S_IWOTH
        if shared and st.st_uid not in (os.geteuid(), folder_st.st_uid):
            return (f"{link} is a symlink owned by another user (uid {st.st_uid}) in the sticky world-writable "
                    f"folder {folder}; not followed, as fs.protected_symlinks would not")
    return None


def check_writable(path: str | None, what: str = "the report") -> None:
    """Raise UsageError, before anything runs, where :func:`write_atomically` would fail."""
    if path is None:
        return
    protected = _protected_symlink(path)
    if protected:
        raise UsageError(f"{path}: cannot write {what}: {protected}")
    st = _stat(path)
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise UsageError(f"{path}: cannot write {what}: it is a folder")
    if _direct(path, st):
        if not os.access(path, os.W_OK):
            raise UsageError(f"{path}: cannot write {what}: not writable")
        return
    folder = os.path.dirname(os.path.realpath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"{path}: cannot write {what}: no such folder {folder}")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"{path}: cannot write {what}: folder not writable")


def write_atomically(path: str, text: str) -> None:
    """Write a whole file or nothing: a temporary file in the same folder, then a rename.

    A symlink is followed (the link stays, its target is replaced). Where no rename can do
    (see :func:`_direct`: ``/dev/stdout``, a named pipe, a writable file in a read-only
    folder), the text is written in place, through the open stream when it is this
    process's own stdout or stderr. A symlink that :func:`check_writable` refuses is a UsageError
    here too (it may have been planted since)."""
    protected = _protected_symlink(path)
    if protected:
        raise UsageError(protected)
    st = _stat(path)
    if _direct(path, st):
        stream = _open_stream(st)
        if stream is not None:
            stream.write(text)
            stream.flush()
            return
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return
    real = os.path.realpath(path)
    folder = os.path.dirname(real)
    mode = st.st_mode & 0o7777 if st is not None else None  # an existing file keeps its mode
    while True:
        tmp = os.path.join(folder, f".harness-{os.urandom(6).hex()}.tmp")
        try:
            # 0o666 less the umask, applied by the kernel (mkstemp would give 0o600)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, real)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class GuardedStdout(io.TextIOBase):
    """``sys.stdout``, until writing to it fails; then nothing."""

    def __init__(self, stream):
        self._stream = stream
        self.failure: Exception | None = None

    def write(self, text: str) -> int:
        if self.failure is None:
            try:
                return self._stream.write(text)
            except (OSError, ValueError) as exc:  # ValueError: the stream was closed
                self._fail(exc)
        return len(text)

    def flush(self) -> None:
        if self.failure is None:
            try:
                self._stream.flush()
            except (OSError, ValueError) as exc:
                self._fail(exc)

    def isatty(self) -> bool:
        return self.failure is None and self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self) -> str:
        return getattr(self._stream, "encoding", "utf-8")

    def _fail(self, exc: Exception) -> None:
        self.failure = exc
        # what is still buffered would fail again when the interpreter flushes at exit
        # ("Exception ignored ... BrokenPipeError"): point the descriptor at /dev/null
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        except (OSError, ValueError, io.UnsupportedOperation):
            pass
        if not isinstance(exc, BrokenPipeError):
            print(f"harness: cannot write to standard output ({getattr(exc, 'strerror', None) or exc}); the run goes on, "
                  "and its reports and exit status are unaffected", file=sys.stderr)
