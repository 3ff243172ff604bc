"""Paths as the user named them: what they are, said plainly, and files read without waiting.

Promise: :func:`path_problem` says why a path is neither a regular file nor a folder ("a FIFO,
not a regular file", "a symlink loop (...)", "a symlink to X, which does not exist", "no such
file or folder"), or None. :func:`read_regular` reads the start of a regular file and raises
:class:`Unreadable` with such a sentence for anything else; it never waits, not even on a FIFO
that nobody writes to (the open does not block, and the kind is checked on the open file).
"""

from __future__ import annotations

import errno
import os
import stat

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


class Unreadable(Exception):
    """The path cannot be read as a file; ``str()`` says why, in one line."""


def _not_regular(mode: int) -> str:
    kind = next((name for test, name in _KINDS if test(mode)), "something else")
    return f"{kind}, not a regular file"


def _failure(path: str, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "a symlink loop (too many levels of symbolic links)"
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        if os.path.islink(path):
            return f"a symlink to {os.readlink(path)}, which does not exist"
        return "no such file or folder"
    return f"cannot read file: {exc.strerror or exc}"


def path_problem(path: str) -> str | None:
    """Why ``path`` is neither a regular file nor a folder, or None."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return _failure(path, exc)
    return None if stat.S_ISREG(mode) or stat.S_ISDIR(mode) else _not_regular(mode)


def read_regular(path: str, limit: int) -> tuple[bytes, int, int]:
    """At most ``limit + 1`` bytes from the start of the regular file ``path``, its size and
    its mtime_ns (both of the file that was read: the parsed-scenario cache keys on them)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise Unreadable(_failure(path, exc)) from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):  # before fdopen, which refuses a folder with its own error
        os.close(fd)
        raise Unreadable(_not_regular(st.st_mode))
    with os.fdopen(fd, "rb") as f:
        try:
            data = f.read(limit + 1)
        except OSError as exc:
            raise Unreadable(f"cannot read file: {exc.strerror or exc}") from None
    return data, max(st.st_size, len(data)), st.st_mtime_ns
