"""`harness run` as a CI gate: exit codes, the JSON report, JUnit XML, interruption."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import pytest

from harness.cli import main

SAFE = """\
name: safe-one
array: {typecode: i, size: 4}
workers:
  - {name: adder, count: 2, op: add, loops: 10, lock: element}
run: {trials: 20}
"""
RACY_LABELLED_SAFE = """\
name: mislabelled
array: {typecode: i, size: 4}
workers:
  - {name: adder, count: 2, op: add, loops: 100}
run: {trials: 30}
"""
LONG = """\
name: long-run
array: {{typecode: i, size: 4}}
workers:
  - {{name: worker, count: 2, op: call, call: "long_work:work", args: [$array, "{marker}"]}}
run: {{trials: 100000}}
"""
LONG_WORK = """\
import time

def work(arr, marker):
    open(marker, "a").close()  # the test signals only once trials are running
    with arr.get_lock():
        arr[0] += 1
    time.sleep(0.002)
"""


pytestmark = pytest.mark.usefixtures("elsewhere")  # tests/conftest.py


def start_long_run(tmp_path, *extra):
    """A run of 100,000 trials, returned once its trials are under way (not after a guessed
    sleep: under coverage on a busy machine start-up takes a while)."""
    marker = tmp_path / "started"
    (tmp_path / "long_work.py").write_text(LONG_WORK)
    path = write(tmp_path, "long.yaml", LONG.format(marker=marker))
    report = tmp_path / "r.json"
    proc = subprocess.Popen([sys.executable, "-m", "harness", "run", path, "--json", str(report), "--seed", "1",
                             *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None and time.monotonic() < deadline, "the long run never started its trials"
        time.sleep(0.05)
    time.sleep(0.5)
    return proc, report


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_passing_run_exits_0_and_writes_both_reports(tmp_path, capsys):
    path = write(tmp_path, "safe.yaml", SAFE)
    report, junit = tmp_path / "r.json", tmp_path / "j.xml"
    code = main(["run", path, "--seed", "7", "--json", str(report), "--junit-xml", str(junit)])
    assert code == 0
    doc = json.loads(report.read_text())
    assert doc["version"] == 1 and doc["seed"] == 7 and doc["passed"] is True
    (entry,) = doc["scenarios"]
    assert entry["name"] == "safe-one" and entry["trials_run"] == 20
    assert entry["outcomes"] == {"ok": 20, "lost_update": 0, "torn_read": 0, "crash": 0, "hang": 0, "deadlock": 0,
                                 "uncontrolled": 0}
    assert entry["first_detection"] is None and "example" not in entry
    suite = ET.parse(junit).getroot()
    assert suite.get("tests") == "1" and suite.get("failures") == "0"
    out = capsys.readouterr().out
    assert "PASS" in out and "1 passed, 0 failed" in out


def test_failed_verdict_exits_1_with_expected_observed_and_rerun(tmp_path, capsys):
    path = write(tmp_path, "bad.yaml", RACY_LABELLED_SAFE)
    report = tmp_path / "r.json"
    code = main(["run", path, "--seed", "3", "--json", str(report), "--start-method", "spawn"])
    assert code == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "expected:" in out and "observed:" in out
    entry = json.loads(report.read_text())["scenarios"][0]
    assert entry["passed"] is False and entry["example"]["kind"] == "lost_update"
    # the default (mixed): a controlled trial's failure replays its interleaving, a free one's its delays
    example = entry["example"]
    again = (f"--replay {example['replay']}" if "replay" in example
             else f"--seed 3 --start-method spawn --trial {example['trial']} --inject random")
    assert f"rerun: harness run {path}" in out and entry["rerun"].endswith(again) and f"rerun: {entry['rerun']}" in out
    assert entry["first_detection"] == entry["example"]["trial"]


@pytest.mark.parametrize("stdout", ["closed pipe", "full disk", "no stdout at all"])
def test_a_failing_stdout_changes_neither_the_verdict_nor_the_reports(tmp_path, stdout):
    # `harness run ... | head -1` in a CI step must still fail the step and leave its reports
    path = write(tmp_path, "bad.yaml", RACY_LABELLED_SAFE)
    report, junit = tmp_path / "r.json", tmp_path / "j.xml"
    cmd = [sys.executable, "-m", "harness", "run", path, "--seed", "3", "--json", str(report),
           "--junit-xml", str(junit)]
    if stdout == "closed pipe":
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        proc.stdout.close()  # the reader is gone before the first line
        err = proc.stderr.read()
        code = proc.wait(timeout=120)
    elif stdout == "no stdout at all":  # started with descriptor 1 closed: sys.stdout is None
        done = subprocess.run(["sh", "-c", " ".join(shlex.quote(w) for w in cmd) + " >&-"], stderr=subprocess.PIPE,
                              text=True, timeout=120)
        code, err = done.returncode, done.stderr
    else:
        if not os.path.exists("/dev/full"):
            pytest.skip("no /dev/full here")
        with open("/dev/full", "w") as full:
            done = subprocess.run(cmd, stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
        code, err = done.returncode, done.stderr
        assert "cannot write to standard output (No space left on device)" in err
    assert code == 1, err
    assert "Traceback" not in err and "Exception ignored" not in err
    assert json.loads(report.read_text())["passed"] is False
    assert ET.parse(junit).getroot().get("failures") == "1"


def test_a_report_to_dev_stdout_joins_the_log_instead_of_replacing_it(tmp_path):
    path = write(tmp_path, "safe.yaml", SAFE)
    log = tmp_path / "log.txt"
    with open(log, "w") as out:
        done = subprocess.run([sys.executable, "-m", "harness", "run", path, "--seed", "2", "--json", "/dev/stdout"],
                              stdout=out, stderr=subprocess.PIPE, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    text = log.read_text()
    assert text.startswith("harness: 1 scenario file(s), seed 2\n") and "1 passed, 0 failed" in text
    report = json.loads(text[text.index("{"):text.rindex("}") + 1])
    assert report["passed"] is True


def test_a_report_may_not_overwrite_a_scenario_or_the_other_report(tmp_path, capsys):
    path = write(tmp_path, "safe.yaml", SAFE)
    assert main(["run", path, "--json", path]) == 2
    assert capsys.readouterr().err.strip() == f"{path}: --json would overwrite the scenario file {path}"
    assert "workers:" in open(path).read()
    both = str(tmp_path / "r.out")
    assert main(["run", path, "--json", both, "--junit-xml", both]) == 2
    assert "--json and --junit-xml name the same file" in capsys.readouterr().err


def test_invalid_file_exits_2_before_running_and_writes_no_report(tmp_path, capsys):
    good = write(tmp_path, "good.yaml", SAFE)
    bad = write(tmp_path, "bad.yaml", "array: {typecode: z, size: 3}\nworkers: []\n")
    report = tmp_path / "r.json"
    assert main(["run", good, bad, "--json", str(report)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"{bad}:1:19: array.typecode: found the string 'z', allowed: b, B, h, H, i, I, l, L, q, Q, f, d",
                   f"{bad}:2:10: workers: found 0 items, allowed: 1 to 256 items"]
    assert not report.exists()


def test_report_into_missing_folder_is_a_usage_error(tmp_path, capsys):
    path = write(tmp_path, "safe.yaml", SAFE)
    assert main(["run", path, "--json", str(tmp_path / "no" / "r.json")]) == 2
    assert "no such folder" in capsys.readouterr().err


def test_start_method_all_runs_each(tmp_path):
    path = write(tmp_path, "safe.yaml", SAFE)
    report = tmp_path / "r.json"
    assert main(["run", path, "--start-method", "all", "--trials", "3", "--json", str(report)]) == 0
    methods = [e["start_method"] for e in json.loads(report.read_text())["scenarios"]]
    assert methods == ["fork", "spawn", "forkserver"]


def _interrupt(tmp_path, sig):
    proc, report = start_long_run(tmp_path)
    os.killpg(proc.pid, sig) if sig == signal.SIGINT else proc.send_signal(sig)
    began = time.monotonic()
    out, err = proc.communicate(timeout=30)
    stopped_in = time.monotonic() - began
    return proc.returncode, out, err, report, stopped_in


def test_ctrl_c_stops_within_seconds_and_keeps_the_report(tmp_path):
    code, out, err, report, stopped_in = _interrupt(tmp_path, signal.SIGINT)
    assert code == 130, (out, err)
    assert stopped_in < 5
    assert "Traceback" not in err
    doc = json.loads(report.read_text())
    assert doc["interrupted"] is True and doc["passed"] is False
    (entry,) = doc["scenarios"]
    assert entry["interrupted"] is True and 0 < entry["trials_run"] < 100000
    assert entry["passed"] is False  # no verdict: a gate reading entries must not see a pass
    assert entry["outcomes"]["ok"] == entry["trials_run"], entry  # the example says what a non-ok trial was
    # every trial so far was clean: interrupted, not failed
    assert "0 passed, 0 failed, 1 interrupted" in out and re.search(r"^STOP +long-run \[", out, re.MULTILINE), out


def test_sigterm_is_handled_like_ctrl_c(tmp_path):
    code, out, err, report, stopped_in = _interrupt(tmp_path, signal.SIGTERM)
    assert code == 130 and "Traceback" not in err
    assert json.loads(report.read_text())["interrupted"] is True


def test_a_call_target_that_cannot_be_found_stops_the_run_before_it_starts(tmp_path, capsys):
    path = write(tmp_path, "call.yaml", "array: {typecode: i, size: 2}\nworkers:\n"
                 "  - {name: a, op: call, call: \"nowhere_to_be_found:f\"}\n")
    report = tmp_path / "r.json"
    assert main(["run", path, "--json", str(report)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"{path}:3:31: workers[0].call: found 'nowhere_to_be_found:f'")
    assert not report.exists()
    assert main(["validate", path]) == 2  # validate stops where run would
    assert capsys.readouterr().err.strip().splitlines() == err


def test_a_call_to_a_function_its_module_lacks_stops_the_run_before_it_starts(tmp_path, capsys):
    (tmp_path / "tally.py").write_text("def bump(arr):\n    arr[0] += 1\n")
    path = write(tmp_path, "call.yaml", "array: {typecode: i, size: 2}\nworkers:\n"
                 "  - {name: a, op: call, call: \"tally:bmup\", args: [$array]}\n")
    assert main(["run", path]) == 2
    out, err = capsys.readouterr()
    assert err.strip() == (f"{path}:3:31: workers[0].call: found 'tally:bmup', but "
                           f"{os.path.relpath(tmp_path / 'tally.py')} defines no 'bmup'; did you mean tally:bump?")
    assert "passed" not in out


def test_html_report_shows_the_failure_first_with_its_rerun_and_the_command_line(tmp_path):
    safe, bad = write(tmp_path, "safe.yaml", SAFE), write(tmp_path, "bad.yaml", RACY_LABELLED_SAFE)
    page_path = tmp_path / "run report.html"
    # timing injection: a failure without a trace, rerun by its seed and trial
    assert main(["run", safe, bad, "--seed", "3", "--inject", "random", "--html", str(page_path)]) == 1
    page = page_path.read_text()
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<title>harness FAILED: 1 of 2 not passed, seed 3</title>" in page
    assert f"harness run {safe} {bad} --seed 3 --inject random --html &#x27;{page_path}&#x27;</code>" in page
    first = re.search(r'<section class="result r-(\w+)" id="r\d" [^>]*>\n<details open><summary><h3 [^>]*>'
                      r'<span [^>]*>\w+</span> ([\w-]+)', page)
    assert first.groups() == ("fail", "mislabelled")
    assert f"<code id=\"r2-rerun\">harness run {bad} --seed 3 --start-method fork --trial " in page
    assert 'class="strip k-lost_update"' in page and "No trace: this failure was found by timing injection" in page


def test_html_report_is_checked_before_the_run_and_spares_the_inputs(tmp_path, capsys):
    path = write(tmp_path, "safe.yaml", SAFE)
    assert main(["run", path, "--html", str(tmp_path / "no" / "r.html")]) == 2
    assert "cannot write the report: no such folder" in capsys.readouterr().err
    assert main(["run", path, "--html", path]) == 2
    assert capsys.readouterr().err.strip() == f"{path}: --html would overwrite the scenario file {path}"
    same = str(tmp_path / "r.out")
    assert main(["run", path, "--json", same, "--html", same]) == 2
    assert capsys.readouterr().err.strip() == f"{same}: --json and --html name the same file"
    assert main(["run", path, "--junit-xml", same, "--html", same]) == 2
    assert "--junit-xml and --html name the same file" in capsys.readouterr().err
    assert not os.path.exists(same)


def test_an_interrupted_run_still_writes_its_html_report(tmp_path):
    page_path = tmp_path / "r.html"
    proc, _ = start_long_run(tmp_path, "--html", str(page_path))
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, (out, err)
    page = page_path.read_text()
    assert "<span class=\"badge big v-interrupted\">INTERRUPTED</span>" in page
    assert "Interrupted: no verdict; the counts are the trials that finished." in page


# -- the controlled scheduler on the command line ---------------------------------------------------

def test_a_controlled_failure_prints_its_trace_and_a_replay_that_fails_the_same_way(tmp_path, capsys):
    path = write(tmp_path, "racy.yaml", RACY_LABELLED_SAFE)
    report = tmp_path / "r.json"
    assert main(["run", path, "--inject", "controlled", "--seed", "3", "--json", str(report)]) == 1
    out = capsys.readouterr().out
    assert "the accesses that conflicted, in the order they ran:" in out and "<- acted on a stale read" in out
    example = json.loads(report.read_text())["scenarios"][0]["example"]
    rerun = re.search(r"rerun: (harness run .*--replay (s1\.\S+))", out)
    assert rerun and rerun.group(2) == example["replay"]
    again = tmp_path / "again.json"
    assert len(example["replay"]) < 40  # a few numbers: the seed, the trial, the strategy
    assert main(shlex.split(rerun.group(1))[1:] + ["--json", str(again)]) == 1
    replayed = json.loads(again.read_text())["scenarios"][0]
    assert replayed["trials_run"] == 1 and replayed["example"]["observed"] == example["observed"]
    assert replayed["example"]["trace"] == example["trace"]


@pytest.mark.parametrize("words, message", [
    (["--replay", "s1.!!"], "--replay 's1.!!': not a replay token: it is not base64url text"),
    (["--replay", "x"], "not a replay token: a replay token starts with 's1.'"),
    (["--replay", "s1.AAAA", "--trial", "3"], "--replay and --trial both name the trial to rerun"),
    (["--replay", "s1.AAAA", "--inject", "none"], "--replay reruns a controlled trial; --inject none contradicts it"),
])
def test_a_bad_replay_is_one_line_and_exit_2(tmp_path, capsys, words, message):
    path = write(tmp_path, "safe.yaml", SAFE)
    assert main(["run", path, *words]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_a_replay_names_one_scenario_file(tmp_path, capsys):
    one, two = write(tmp_path, "one.yaml", SAFE), write(tmp_path, "two.yaml", SAFE.replace("safe-one", "safe-two"))
    assert main(["run", one, two, "--replay", "s1.AAAA"]) == 2
    assert "--replay reruns one scenario's trial, but 2 scenario files were given" in capsys.readouterr().err


def test_run_inject_and_run_timing_inject_must_agree(tmp_path, capsys):
    path = write(tmp_path, "both.yaml", SAFE.replace("run: {trials: 20}",
                                                     "run: {trials: 20, inject: controlled, timing: {inject: none}}"))
    assert main(["run", path]) == 2
    assert "run.timing.inject: found 'none', but run.inject says 'controlled'" in capsys.readouterr().err


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_shrink_writes_the_smallest_race_beside_the_scenario_with_a_replay_that_shows_it(tmp_path, capsys, method):
    path = tmp_path / "race.yaml"
    path.write_text(RACY_LABELLED_SAFE)
    report = tmp_path / "r.json"
    # under control seed 5 loses an update in trial 1 (and in 28 of 30): two trials are plenty
    code = main(["run", str(path), "--seed", "5", "--trials", "2", "--inject", "controlled", "--start-method", method, "--shrink",
                 "--json", str(report)])
    out = capsys.readouterr().out
    assert code == 1
    small = tmp_path / "race.min.yaml"
    text = small.read_text()
    assert "shrunk mislabelled [" in out and f"wrote {small}" in out
    shrunk = json.loads(report.read_text())["scenarios"][0]["shrunk"]
    # the seeds' unlocked increment at its smallest: two workers, one element, one loop, two switches
    assert (shrunk["workers"], shrunk["elements"], shrunk["loops"], shrunk["context_switches"]) == (2, 1, 1, 2)
    assert shrunk["was"] == {"workers": 2, "elements": 4, "loops": 100}
    assert shrunk["example"]["kind"] == "lost_update" and len(shrunk["example"]["trace"]) == 4
    assert f"--replay {shrunk['replay']}" in text.splitlines()[2]
    # the replay in its comment shows the race again
    assert main(["run", str(small), "--start-method", method, "--replay", shrunk["replay"]]) == 1
    assert "lost_update in 1/1" in capsys.readouterr().out


def test_shrink_says_so_when_the_race_does_not_show_under_control(tmp_path, capsys, monkeypatch):
    import harness.shrinking as shrinking

    path = tmp_path / "race.yaml"
    path.write_text(RACY_LABELLED_SAFE)
    monkeypatch.setattr(shrinking._Search, "fails", lambda self, data: None)  # as a race inside numpy would
    assert main(["run", str(path), "--seed", "5", "--trials", "2", "--inject", "controlled", "--start-method", "fork",
                 "--shrink"]) == 1
    assert "the race did not show again under the controlled scheduler" in capsys.readouterr().out
    assert not (tmp_path / "race.min.yaml").exists()


def test_shrink_that_cannot_write_its_file_says_why_and_the_run_goes_on(tmp_path, capsys):
    path = tmp_path / "race.yaml"
    path.write_text(RACY_LABELLED_SAFE)
    (tmp_path / "race.min.yaml").mkdir()  # a folder where the file would go
    report = tmp_path / "r.json"
    assert main(["run", str(path), "--seed", "5", "--trials", "2", "--inject", "controlled", "--start-method", "fork", "--shrink",
                 "--json", str(report)]) == 1
    assert "harness: could not shrink mislabelled:" in capsys.readouterr().out
    assert json.loads(report.read_text())["scenarios"][0]["verdict"] == "failed"
