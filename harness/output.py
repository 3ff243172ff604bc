"""The command line's own I/O: files written whole, and a standard output that cannot stop a run.

Promise: :func:`write_atomically` leaves either the old file or the whole new one (a
temporary file in the same folder, then a rename), with the mode an ordinary write would
give (an existing file keeps its mode; a new one gets ``0o666`` less the umask), so a CI
agent running as another user can read the reports. :class:`GuardedStdout` stands in for
``sys.stdout``: once writing fails (a reader that closed the pipe, as ``| head`` does, or a
full disk), further output is dropped, so the run still finishes, writes its reports and
exits with its real status; a failure other than a closed pipe is said once on stderr.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile


def _mode_for(path: str) -> int:
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomically(path: str, text: str) -> None:
    """Write a whole file or nothing: a temporary file in the same folder, then a rename."""
    folder = os.path.dirname(os.path.abspath(path))
    mode = _mode_for(path)
    fd, tmp = tempfile.mkstemp(prefix=".harness-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, mode)  # mkstemp makes it 0600, whatever the umask
        os.replace(tmp, path)
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
        self.failure: OSError | None = None

    def write(self, text: str) -> int:
        if self.failure is None:
            try:
                return self._stream.write(text)
            except OSError as exc:
                self._fail(exc)
        return len(text)

    def flush(self) -> None:
        if self.failure is None:
            try:
                self._stream.flush()
            except OSError as exc:
                self._fail(exc)

    def isatty(self) -> bool:
        return self.failure is None and self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self) -> str:
        return getattr(self._stream, "encoding", "utf-8")

    def _fail(self, exc: OSError) -> None:
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
            print(f"harness: cannot write to standard output ({exc.strerror or exc}); the run goes on, "
                  "and its reports and exit status are unaffected", file=sys.stderr)
