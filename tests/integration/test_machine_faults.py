"""A hostile user and a hostile machine: repeated Ctrl-C, too few file descriptors or
processes, a full disk, workers whose code starts processes or writes past the array. None of
it may lose a report, hang, print a traceback, or leave a process or a temporary folder behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
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
LONG = """\
name: long-run
array: {{typecode: i, size: 4}}
workers:
  - {{name: worker, count: 2, op: call, call: "machine_work:work", args: [$array, "{folder}"]}}
run: {{trials: 100000}}
"""


def alive(pid: int) -> bool:
    """A process that still exists and is no zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def recorded_pids(folder) -> list[int]:
    return [int(name.split("-")[1]) for name in os.listdir(folder) if name.startswith("pid-")]


def start_run(tmp_path, *extra, scenario=LONG, work=WORK):
    """A harness run in its own session with its own TMPDIR, returned once trials run."""
    pids = tmp_path / "pids"
    pids.mkdir()
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    (tmp_path / "machine_work.py").write_text(work)
    path = tmp_path / "s.yaml"
    path.write_text(scenario.format(folder=pids))
    cmd = [sys.executable, "-m", "harness", "run", str(path), "--seed", "1", "--start-method", "fork", *extra]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env=dict(os.environ, TMPDIR=str(tmp)))
    deadline = time.monotonic() + 60
    while not recorded_pids(pids):
        assert proc.poll() is None and time.monotonic() < deadline, "the run never started its trials"
        time.sleep(0.01)
    return proc, pids, tmp


# gaps between Ctrl-Cs: the second one lands in the trials, in the workers' shutdown, in the
# report writing or at exit, depending on the gap
CTRL_C_GAPS = [(), (0,), (0, 0, 0, 0), (0.001, 0), (0.005,), (0.01, 0.1), (0.03,), (0.03, 0.003), (0.1, 0.1)]


@pytest.mark.parametrize("gaps", CTRL_C_GAPS, ids=lambda g: "+".join(map(str, g)) or "once")
def test_ctrl_c_again_and_again_still_exits_130_with_both_reports(tmp_path, gaps):
    report, junit = tmp_path / "r.json", tmp_path / "j.xml"
    proc, pids, tmp = start_run(tmp_path, "--json", str(report), "--junit-xml", str(junit))
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal does: the whole foreground group
    for gap in gaps:
        time.sleep(gap)
        os.killpg(proc.pid, signal.SIGINT)  # the group outlives the harness until it is reaped
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    doc = json.loads(report.read_text())
    assert doc["interrupted"] is True
    (entry,) = doc["scenarios"]  # the scenario that was running, even before its first trial ended
    assert entry["interrupted"] is True and entry["passed"] is False
    assert ET.parse(junit).getroot().get("tests") == "1"
    assert os.listdir(tmp) == []  # no stack-dump folder left
    assert [p for p in recorded_pids(pids) if alive(p)] == []
