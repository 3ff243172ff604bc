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


@pytest.fixture
def sticky(tmp_path):
    """A sticky world-writable folder, like /tmp, and a file of ours outside it."""
    if not hasattr(os, "lchown") or os.geteuid() != 0:
        pytest.skip("needs root, to give a symlink to another user")
    folder = tmp_path / "shared"
    folder.mkdir()
    os.chmod(folder, 0o1777)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    return folder, victim


def test_another_users_symlink_in_a_sticky_folder_is_not_followed(sticky, capsys):
    from harness.cli import main

    folder, victim = sticky
    link = folder / "report.json"
    link.symlink_to(victim)
    os.lchown(link, 65534, 65534)  # planted by someone else, as in /tmp
    refusal = (f"{link}: cannot write the report: {link} is a symlink owned by another user (uid 65534) in the "
               f"sticky world-writable folder {folder}; not followed, as fs.protected_symlinks would not")
    with pytest.raises(UsageError) as got:
        check_writable(str(link))
    assert str(got.value) == refusal
    with pytest.raises(UsageError):
        write_atomically(str(link), "overwritten\n")
    scenario = folder.parent / "s.yaml"
    scenario.write_text("array: {typecode: i, size: 2}\nworkers: [{name: w, op: add}]\n")
    assert main(["run", str(scenario), "--json", str(link)]) == 2
    assert capsys.readouterr().err.splitlines() == [refusal]
    assert victim.read_text() == "precious\n" and os.path.islink(link)


def test_a_symlink_planted_during_the_run_is_not_followed_either(sticky, capsys, monkeypatch):
    from harness import cli, output

    folder, victim = sticky
    link = folder / "report.json"
    monkeypatch.setattr(output, "check_writable", lambda *args: None)  # as if planted after the check
    link.symlink_to(victim)
    os.lchown(link, 65534, 65534)
    scenario = folder.parent / "s.yaml"
    scenario.write_text("array: {typecode: i, size: 2}\nworkers: [{name: w, op: add}]\n")
    junit = folder.parent / "j.xml"
    assert cli.main(["run", str(scenario), "--json", str(link), "--junit-xml", str(junit), "-q"]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"harness: cannot write the JSON report {link}: {link} is a symlink owned by another user (uid 65534) in "
        f"the sticky world-writable folder {folder}; not followed, as fs.protected_symlinks would not")
    assert victim.read_text() == "precious\n" and junit.exists()


def test_a_symlink_in_a_sticky_folder_owned_by_us_or_the_folders_owner_is_followed(sticky):
    folder, victim = sticky
    ours = folder / "ours.json"
    ours.symlink_to(victim)
    write_atomically(str(ours), "one\n")
    os.chown(folder, 65534, 65534)
    theirs = folder / "theirs.json"
    theirs.symlink_to(victim)
    os.lchown(theirs, 65534, 65534)  # the folder's owner's link: its own folder, its own business
    check_writable(str(theirs))
    write_atomically(str(theirs), "two\n")
    assert victim.read_text() == "two\n"


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
