"""A hostile user and a hostile machine: repeated Ctrl-C, too few file descriptors or
processes, a full disk, workers whose code starts processes or writes past the array. None of
it may lose a report, hang, print a traceback, or leave a process or a temporary folder behind."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

import pytest

WORK = '''\
import os, time

def work(arr, folder):
    # each process leaves its pid (the test looks for leftovers) and the first one's file
    # tells the test that trials are running
    open(os.path.join(folder, "pid-%d" % os.getpid()), "a").close()
    with arr.get_lock():
        arr[0] += 1
    time.sleep(0.002)
'''


def alive(pid: int) -> bool:
    """A process that still exists and is no zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def recorded_pids(folder) -> list[int]:
    return [int(name.split("-")[1]) for name in os.listdir(folder) if name.startswith("pid-")]


@pytest.fixture
def tmp():
    """A TMPDIR of its own for the harness under test, short enough for forkserver's socket
    path in it (AF_UNIX paths end at 108 bytes; pytest's tmp_path can be longer)."""
    folder = tempfile.mkdtemp(prefix="h-")
    yield pathlib.Path(folder)
    shutil.rmtree(folder, ignore_errors=True)


def start_run(tmp_path, tmp, *extra, method="fork"):
    """test_cli_run's long run, in its own session with ``tmp`` as its TMPDIR, its workers
    leaving their pids; returned once trials run."""
    from test_cli_run import LONG

    pids = tmp_path / "pids"
    pids.mkdir()
    (tmp_path / "long_work.py").write_text(WORK)
    path = tmp_path / "s.yaml"
    path.write_text(LONG.format(marker=pids))
    cmd = [sys.executable, "-m", "harness", "run", str(path), "--seed", "1", "--start-method", method, *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env=dict(os.environ, TMPDIR=str(tmp)))
    deadline = time.monotonic() + 60
    while not recorded_pids(pids):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the run never started its trials: {proc.communicate()}")
        time.sleep(0.01)
    return proc, pids


# gaps between Ctrl-Cs: the second one lands in the trials, in the workers' shutdown, in the
# report writing or at exit, depending on the gap
CTRL_C_GAPS = [(), (0,), (0, 0, 0, 0), (0.001, 0), (0.005,), (0.01, 0.1), (0.03,), (0.03, 0.003), (0.1, 0.1)]


@pytest.mark.parametrize("method, gaps", [("fork", g) for g in CTRL_C_GAPS] + [
    (m, g) for m in ("spawn", "forkserver") for g in ((0,), (0.03, 0.003))],
    ids=lambda v: v if isinstance(v, str) else "+".join(map(str, v)) or "once")
def test_ctrl_c_again_and_again_still_exits_130_with_both_reports(tmp_path, tmp, method, gaps):
    report, junit = tmp_path / "r.json", tmp_path / "j.xml"
    proc, pids = start_run(tmp_path, tmp, "--json", str(report), "--junit-xml", str(junit), method=method)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: the whole foreground group
    for gap in gaps:
        time.sleep(gap)
        os.killpg(proc.pid, signal.SIGINT)  # the group outlives the harness until it is reaped
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert "leaked" not in err  # spawn, forkserver: the resource tracker found no semaphore left
    doc = json.loads(report.read_text())
    assert doc["interrupted"] is True
    (entry,) = doc["scenarios"]  # the scenario that was running, even before its first trial ended
    assert entry["interrupted"] is True and entry["passed"] is False
    assert ET.parse(junit).getroot().get("tests") == "1"
    assert os.listdir(tmp) == []  # no stack-dump folder left
    assert [p for p in recorded_pids(pids) if alive(p)] == []


SMALL = """\
array: {typecode: i, size: 4}
workers:
  - {name: adder, op: add, loops: 2}
run: {trials: 5}
"""
MANY = """\
array: {typecode: i, size: 64}
workers:
  - {name: adder, count: 40, op: add, partition: true}
run: {trials: 5}
"""


def small_many_small(folder):
    folder.mkdir()
    for name, text in (("a_small.yaml", SMALL), ("b_many.yaml", MANY), ("c_small.yaml", SMALL)):
        (folder / name).write_text(text)
    return folder


def check_many_could_not_start(report, what):
    entries = {e["name"]: e for e in json.loads(report.read_text())["scenarios"]}
    assert entries["a_small"]["passed"] is True and entries["c_small"]["passed"] is True  # the run went on
    assert entries["b_many"]["passed"] is False
    assert f"could not start its processes under fork: {what}" in entries["b_many"]["error"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs resource limits")
def test_too_few_file_descriptors_is_an_error_for_that_scenario_not_a_traceback(tmp_path):
    import resource

    folder = small_many_small(tmp_path / "s")
    report = tmp_path / "r.json"

    def few_descriptors():  # `ulimit -n 24`: enough for one process, not for forty
        resource.setrlimit(resource.RLIMIT_NOFILE, (24, 24))

    done = subprocess.run([sys.executable, "-m", "harness", "run", str(folder), "--json", str(report), "--seed", "1",
                           "--start-method", "fork"], preexec_fn=few_descriptors, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    check_many_could_not_start(report, "too many open files")
    assert "could not run" in done.stdout and "too many open files" in done.stdout


def test_too_few_processes_is_an_error_for_that_scenario_and_the_run_goes_on(tmp_path, monkeypatch, capsys):
    # a pids limit (RLIMIT_NPROC does not bind root, so fork's EAGAIN is simulated): at most
    # three processes of the harness may run at once
    import errno
    import multiprocessing
    from multiprocessing.process import BaseProcess

    from harness.cli import main

    real_start = BaseProcess.start

    def start(self):
        if len(multiprocessing.active_children()) >= 3:
            raise BlockingIOError(errno.EAGAIN, os.strerror(errno.EAGAIN))
        real_start(self)

    monkeypatch.setattr(BaseProcess, "start", start)
    folder = small_many_small(tmp_path / "s")
    report = tmp_path / "r.json"
    assert main(["run", str(folder), "--json", str(report), "--seed", "1", "--start-method", "fork"]) == 1
    assert "Traceback" not in capsys.readouterr().err
    check_many_could_not_start(report, "too many processes")
    assert multiprocessing.active_children() == []


def test_a_report_on_a_full_disk_is_said_with_its_path_and_the_other_report_is_still_written(tmp_path, capsys):
    from harness.cli import main

    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    (tmp_path / "a.yaml").write_text(SMALL)
    junit = tmp_path / "j.xml"
    assert main(["run", str(tmp_path / "a.yaml"), "--json", "/dev/full", "--junit-xml", str(junit)]) == 2
    err = capsys.readouterr().err
    assert "harness: cannot write the JSON report /dev/full: No space left on device" in err
    assert "Traceback" not in err
    assert ET.parse(junit).getroot().get("tests") == "1"  # still tried, and written


SPAWNER = '''\
import os, subprocess, time

started = False

def spawn(arr, folder):
    global started
    if started:
        return
    started = True
    sleeper = subprocess.Popen(["sleep", "60"])
    open(os.path.join(folder, "pid-%d" % sleeper.pid), "a").close()
    child = os.fork()
    if child == 0:
        time.sleep(60)
        os._exit(0)
    open(os.path.join(folder, "pid-%d" % child), "a").close()
'''
SPAWNING = """\
array: {{typecode: i, size: 2}}
workers:
  - {{name: spawner, count: 2, op: call, call: "machine_work:spawn", args: [$array, "{folder}"]}}
run: {{trials: 3}}
"""


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_processes_started_by_a_call_worker_do_not_outlive_the_run(tmp_path, method):
    pids = tmp_path / "pids"
    pids.mkdir()
    (tmp_path / "machine_work.py").write_text(SPAWNER)
    path = tmp_path / "s.yaml"
    path.write_text(SPAWNING.format(folder=pids))
    # stdout is a pipe, as in `harness run ... | cat`: it closes when every process holding it has ended
    proc = subprocess.Popen([sys.executable, "-m", "harness", "run", str(path), "--start-method", method],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=30)  # far less than the children's 60 s
        assert proc.returncode == 0, (out, err)
        assert len(recorded_pids(pids)) == 4
        assert [p for p in recorded_pids(pids) if alive(p)] == []
    finally:
        proc.kill()
        for pid in recorded_pids(pids):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def test_a_killed_runs_stack_dump_folder_is_swept_by_the_next_run(tmp_path, tmp):
    proc, _ = start_run(tmp_path, tmp)
    proc.kill()  # SIGKILL: no cleanup at all; its workers die with it
    proc.communicate(timeout=30)
    assert os.listdir(tmp)  # what it left
    (tmp_path / "small.yaml").write_text(SMALL)
    done = subprocess.run([sys.executable, "-m", "harness", "run", str(tmp_path / "small.yaml")], capture_output=True,
                          text=True, timeout=120, env=dict(os.environ, TMPDIR=str(tmp)))
    assert done.returncode == 0, done.stderr
    assert os.listdir(tmp) == []


OVERRUN = '''\
import ctypes

def overrun(arr, past):
    obj = arr.get_obj()
    ctypes.memset(ctypes.addressof(obj), 1, ctypes.sizeof(obj) + past)

def add(arr):
    with arr.get_lock():
        arr[0] += 1
'''


@pytest.mark.parametrize("past", [64, 4096])
def test_a_write_past_the_end_of_the_array_is_the_users_crash_not_a_hang(tmp_path, past):
    from harness.api import run_scenario
    from harness.load import load_scenario
    from harness.settings import RunOptions, resolve

    (tmp_path / "overrun_mod.py").write_text(OVERRUN)
    path = tmp_path / "s.yaml"
    path.write_text("array: {typecode: i, size: 4}\nworkers:\n"
                    "  - {name: bad, op: call, call: 'overrun_mod:overrun', args: [$array, %d]}\n"
                    "  - {name: good, op: call, call: 'overrun_mod:add', args: [$array]}\n"
                    "run: {trials: 3, timeout_s: 3}\n" % past)
    scenario = load_scenario(path)
    result = run_scenario(scenario, resolve([scenario], RunOptions(seed=1, start_methods=("fork",))).jobs[0].settings)
    assert result.outcomes["crash"] == 3 and result.outcomes["hang"] == 0, result
    assert f"wrote past the end of the array ({past} bytes past it)" in result.example["error"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("command", ["validate DIR", "run DIR", "validate FIFO", "explain FIFO"])
def test_a_fifo_named_yaml_is_a_one_line_error_not_a_wait(tmp_path, command):
    (tmp_path / "ok.yaml").write_text(SMALL)
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    verb, target = command.split()
    # nobody ever writes to the FIFO: opening it to read would wait forever
    done = subprocess.run([sys.executable, "-m", "harness", verb, str(tmp_path if target == "DIR" else fifo)],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [f"{fifo}:1:1: a FIFO, not a regular file"]


def test_cleanup_hit_by_an_interrupt_already_on_its_way_runs_again_then_raises_it():
    from harness.processes import to_the_end as _to_the_end

    runs = []

    def cleanup():
        runs.append(len(runs))
        if len(runs) == 1:
            raise KeyboardInterrupt  # as a signal that arrived just before the mask
    with pytest.raises(KeyboardInterrupt):
        _to_the_end(cleanup)
    assert runs == [0, 1]
    assert signal.pthread_sigmask(signal.SIG_BLOCK, ()) == set()  # nothing left held


@pytest.mark.skipif(not hasattr(os, "lchown") or os.geteuid() != 0, reason="needs root, to give a folder away")
def test_a_dump_home_that_is_not_ours_is_neither_used_nor_swept(tmp_path, monkeypatch):
    from harness import processes as execute

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    home = tmp_path / f"harness-{os.geteuid()}"
    home.mkdir()
    (home / "1-left").mkdir()  # pid 1 lives: kept in any case; 999999999 does not
    (home / "999999999-left").mkdir()
    os.chown(home, 65534, 65534)  # someone else made it first
    folder = execute.dump_folder()
    assert os.path.dirname(folder) == str(tmp_path) and os.path.basename(folder).startswith("harness-")
    assert sorted(os.listdir(home)) == ["1-left", "999999999-left"]
    execute.remove_dump_folder(folder)
    os.chown(home, 0, 0)
    os.chmod(home, 0o700)
    folder = execute.dump_folder()  # ours now: the dead run's folder is swept, the live one's kept
    assert os.path.dirname(folder) == str(home) and sorted(os.listdir(home)) == sorted(
        ["1-left", os.path.basename(folder)])
    execute.remove_dump_folder(folder)
    assert home.exists()  # not empty: left to its other users
