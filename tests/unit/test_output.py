"""The command line's own I/O: atomic files with ordinary modes, and a stdout whose failure
cannot stop a run (no processes; the run itself is in tests/integration/test_cli_run.py)."""

from __future__ import annotations

import errno
import io
import os
import stat
import threading

import pytest

from harness.errors import UsageError
from harness.output import GuardedStdout, check_writable, write_atomically


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_file_gets_the_umasks_mode_not_mkstemps(tmp_path, umask_022):
    path = tmp_path / "r.json"
    write_atomically(str(path), "{}\n")
    assert path.read_text() == "{}\n" and mode(path) == 0o644


def test_an_existing_file_keeps_its_mode(tmp_path, umask_022):
    path = tmp_path / "r.json"
    path.write_text("old")
    os.chmod(path, 0o640)
    write_atomically(str(path), "new")
    assert path.read_text() == "new" and mode(path) == 0o640


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "r.json"
    path.write_text("old")
    with pytest.raises(UnicodeEncodeError):
        write_atomically(str(path), "\udcff")  # a lone surrogate cannot be written as UTF-8
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["r.json"]


def test_a_symlink_stays_a_symlink_and_its_target_is_replaced(tmp_path, umask_022):
    (tmp_path / "archive").mkdir()
    target = tmp_path / "archive" / "run1.json"
    target.write_text("{}")
    os.chmod(target, 0o640)
    link = tmp_path / "latest.json"
    link.symlink_to(target)
    write_atomically(str(link), "new")
    assert link.is_symlink() and target.read_text() == "new" and mode(target) == 0o640


def test_a_path_that_is_no_regular_file_is_written_directly(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo).read()))
    reader.start()
    write_atomically(str(fifo), "through the pipe")
    reader.join(10)
    assert got == ["through the pipe"] and stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_the_check_before_a_run_follows_symlinks_as_the_write_does(tmp_path):
    dangling = tmp_path / "latest.json"
    dangling.symlink_to(tmp_path / "gone" / "r.json")
    with pytest.raises(UsageError, match=f"latest.json: cannot write the report: no such folder {tmp_path / 'gone'}"):
        check_writable(str(dangling))
    with pytest.raises(UsageError, match="cannot write the scenario: it is a folder"):
        check_writable(str(tmp_path), "the scenario")
    check_writable(str(tmp_path / "new.json"))
    check_writable(os.devnull)  # no regular file: written in place


class Failing(io.StringIO):
    def __init__(self, error: OSError, after: int = 0):
        super().__init__()
        self.error, self.after = error, after

    def write(self, text):
        if self.after <= 0:
            raise self.error
        self.after -= 1
        return super().write(text)


def test_a_closed_pipe_silently_drops_the_rest(capsys):
    out = GuardedStdout(Failing(BrokenPipeError(errno.EPIPE, "Broken pipe"), after=1))
    print("first", file=out)
    print("second", file=out)  # fails: the reader went away
    print("third", file=out)
    out.flush()
    assert out._stream.getvalue() == "first"  # print writes the text and the newline apart
    assert isinstance(out.failure, BrokenPipeError)
    assert capsys.readouterr().err == ""


def test_a_full_disk_is_said_once_on_stderr(capsys):
    out = GuardedStdout(Failing(OSError(errno.ENOSPC, "No space left on device")))
    for _ in range(3):
        print("line", file=out)
    err = capsys.readouterr().err.splitlines()
    assert err == ["harness: cannot write to standard output (No space left on device); the run goes on, "
                   "and its reports and exit status are unaffected"]
    assert not out.isatty()
