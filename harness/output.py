"""The command line's own I/O: files written whole, and a standard output that cannot stop a run.

Promise: :func:`write_atomically` leaves either the old file or the whole new one (a
temporary file in the same folder, then a rename), with the mode an ordinary write would
give (an existing file keeps its mode; a new one gets ``0o666`` less the umask), so a CI
agent running as another user can read the reports; a symlink stays a symlink. :class:`GuardedStdout` stands in for
``sys.stdout``: once writing fails (a reader that closed the pipe, as ``| head`` does, or a
full disk), further output is dropped, so the run still finishes, writes its reports and
exits with its real status; a failure other than a closed pipe is said once on stderr.
"""

from __future__ import annotations

import io
import os
import sys


def write_atomically(path: str, text: str) -> None:
    """Write a whole file or nothing: a temporary file in the same folder, then a rename.

    A symlink is followed (the link stays, its target is replaced); a path that is no
    regular file (``/dev/stdout``, a named pipe) is written to directly, as nothing else can
    be renamed over it."""
    real = os.path.realpath(path)
    if os.path.exists(real) and not os.path.isfile(real):
        with open(real, "w", encoding="utf-8") as f:
            f.write(text)
        return
    folder = os.path.dirname(real)
    try:
        mode = os.stat(real).st_mode & 0o7777  # an existing file keeps its mode
    except OSError:
        mode = None
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
