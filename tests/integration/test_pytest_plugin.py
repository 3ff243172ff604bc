"""The pytest plugin (docs/scenario-format.md section 5) on scenario projects it has never seen.

Collection is checked in-process (fast, nothing runs); anything that starts processes runs
pytest in a subprocess, as a user would, with pytest-xdist where the test says so.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid

import pytest

from harness.pytest_plugin import implicit_start_method

pytest_plugins = ["pytester"]

SAFE = """\
name: locked-add
array: {typecode: i, size: 3}
workers:
  - {name: adder, count: 2, op: add, loops: 5, lock: element}
run: {trials: 3}
"""
# canary with timing injection and stop_on_detection: the harness sees it in trial 1-3 of 200
CANARY = """\
name: unlocked-add-canary
array: {typecode: i, size: 5}
workers:
  - {name: adder, count: 2, op: add, loops: 50, think_us: 100}
expect: {anomaly: lost_update}
"""
# safe-looking, but nothing holds the lock across the read and the write
MISLABELLED = """\
name: mislabelled-add
array: {typecode: i, size: 5}
workers:
  - {name: adder, count: 2, op: add, loops: 50, think_us: 100}
expect: {anomaly: none}
run: {trials: 5}
"""
NOT_A_SCENARIO = "on: push\njobs: {}\n"
INVALID = """\
array:
  typecode: z
  size: 3
workers:
  - {name: adder, op: add}
"""
TIMEOUT = 240
# no cache files in the tmp projects; pytest-benchmark, where installed, only warns under xdist
PLAIN = ("-p", "no:cacheprovider", "-p", "no:benchmark")
OUTCOME = re.compile(r"^(PASSED|FAILED|ERROR) (\S+)", re.MULTILINE)


@pytest.fixture(autouse=True)
def _same_output_on_ci(monkeypatch):
    """pytest prints whole failure messages in the short summary when CI or BUILD_NUMBER is set.

    The inner runs should print the same thing on a laptop and on CI, so they never see those.
    """
    for name in ("CI", "BUILD_NUMBER"):
        monkeypatch.delenv(name, raising=False)


def project(pytester: pytest.Pytester, ini: str = "", **files: str) -> None:
    """A project with a pytest.ini (so the rootdir is pinned) and files by relative path."""
    pytester.makeini("[pytest]\n" + ini)
    for rel, text in files.items():
        path = pytester.path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def collected(pytester: pytest.Pytester, *args: str) -> list[str]:
    result = pytester.runpytest_inprocess("--collect-only", "-q", *PLAIN, *args)
    assert result.ret in (0, 5), result.stdout.str()
    return [ln for ln in result.outlines if "::" in ln]


def outcomes(result) -> dict[str, str]:
    return {nodeid: word for word, nodeid in OUTCOME.findall(result.stdout.str())}


def run(pytester: pytest.Pytester, *args: str):
    return pytester.runpytest_subprocess(*PLAIN, "-rA", "-W", "error::DeprecationWarning",
                                         *args, timeout=TIMEOUT)


# -- collection ---------------------------------------------------------------------------------

@pytest.fixture
def repo(pytester: pytest.Pytester) -> pytest.Pytester:
    project(pytester, "testpaths = tests\n", **{
        "scenarios/safe.yaml": SAFE,
        "scenarios/nested/canary.yml": CANARY,
        "ci/races/mislabelled.yaml": MISLABELLED,
        ".github/workflows/ci.yml": NOT_A_SCENARIO,
        "config.yaml": NOT_A_SCENARIO,
        "docs/mkdocs.yml": NOT_A_SCENARIO,
        "tests/test_plain.py": "def test_plain():\n    pass\n",
    })
    return pytester


def test_plain_run_collects_tests_and_harness_paths_only(repo):
    ids = collected(repo, "--harness-start-method", "fork")
    assert ids == ["tests/test_plain.py::test_plain",  # testpaths first, then harness_paths
                   "scenarios/nested/canary.yml::unlocked-add-canary[fork]",
                   "scenarios/safe.yaml::locked-add[fork]"]


def test_plain_run_without_testpaths_uses_harness_paths(pytester):
    project(pytester, **{"scenarios/safe.yaml": SAFE, "config.yaml": NOT_A_SCENARIO,
                         "other/x.yaml": NOT_A_SCENARIO})
    assert collected(pytester, "--harness-start-method", "spawn") == ["scenarios/safe.yaml::locked-add[spawn]"]


def test_named_file_and_named_folder(repo):
    assert collected(repo, "ci/races/mislabelled.yaml", "--harness-start-method", "fork") == [
        "ci/races/mislabelled.yaml::mislabelled-add[fork]"]
    assert collected(repo, "ci/races", "--harness-start-method", "fork") == [
        "ci/races/mislabelled.yaml::mislabelled-add[fork]"]
    assert collected(repo, "scenarios/nested", "--harness-start-method", "fork") == [
        "scenarios/nested/canary.yml::unlocked-add-canary[fork]"]
    assert collected(repo, "tests") == ["tests/test_plain.py::test_plain"]


def test_repository_root_named_collects_only_harness_paths(repo):
    ids = collected(repo, ".", "--harness-start-method", "fork")
    assert "scenarios/safe.yaml::locked-add[fork]" in ids
    assert not [i for i in ids if i.startswith(("ci/", "config.yaml", "docs/", ".github/"))]


def test_dot_from_inside_a_folder_of_scenarios_collects_them(pytester):
    # no ini anywhere: the rootdir is this folder, and the default harness_paths entry
    # (./scenarios, which does not exist) must not narrow what `.` names
    for name, text in (("safe.yaml", SAFE), ("nested/canary.yml", CANARY)):
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert collected(pytester, ".", "--harness-start-method", "fork") == [
        "nested/canary.yml::unlocked-add-canary[fork]", "safe.yaml::locked-add[fork]"]


def test_a_named_folder_with_its_own_ini_collects_its_scenarios(pytester):
    project(pytester, **{"races/pytest.ini": "[pytest]\n", "races/safe.yaml": SAFE, "races/canary.yml": CANARY})
    assert collected(pytester, "races", "--harness-start-method", "fork") == [
        "canary.yml::unlocked-add-canary[fork]", "safe.yaml::locked-add[fork]"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_among_the_scenarios_neither_hangs_nor_stops_the_run(pytester):
    pytester.path.joinpath("safe.yaml").write_text(SAFE)
    os.mkfifo(pytester.path / "pipe.yaml")
    result = run(pytester, ".", "--harness-start-method", "fork")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert outcomes(result) == {"safe.yaml::locked-add[fork]": "PASSED"}


def test_harness_paths_ini_setting(pytester):
    project(pytester, "harness_paths = ci/races\n", **{
        "ci/races/safe.yaml": SAFE, "scenarios/canary.yaml": CANARY})
    assert collected(pytester, "--harness-start-method", "fork") == ["ci/races/safe.yaml::locked-add[fork]"]


def test_ids_are_stable_and_all_gives_three_items(repo):
    first = collected(repo, "scenarios/safe.yaml", "--harness-start-method", "all")
    assert first == ["scenarios/safe.yaml::locked-add[fork]", "scenarios/safe.yaml::locked-add[spawn]",
                     "scenarios/safe.yaml::locked-add[forkserver]"]
    assert collected(repo, "scenarios/safe.yaml", "--harness-start-method", "all") == first
    # repeatable, duplicates dropped, order kept
    assert collected(repo, "scenarios/safe.yaml", "--harness-start-method", "spawn",
                     "--harness-start-method", "fork", "--harness-start-method", "spawn") == [
        "scenarios/safe.yaml::locked-add[spawn]", "scenarios/safe.yaml::locked-add[fork]"]


def test_default_start_method_and_scenario_start_methods(pytester):
    own = SAFE.replace("run: {trials: 3}", "run: {trials: 3, start_methods: [spawn, fork]}")
    project(pytester, **{"scenarios/safe.yaml": SAFE, "scenarios/own.yaml": own})
    assert collected(pytester) == ["scenarios/own.yaml::locked-add[spawn]", "scenarios/own.yaml::locked-add[fork]",
                                   f"scenarios/safe.yaml::locked-add[{implicit_start_method()}]"]
    # the command line beats the scenario file
    assert collected(pytester, "--harness-start-method", "forkserver") == [
        "scenarios/own.yaml::locked-add[forkserver]", "scenarios/safe.yaml::locked-add[forkserver]"]


def test_implicit_default_is_never_fork_where_forkserver_exists():
    import multiprocessing

    if "forkserver" in multiprocessing.get_all_start_methods():
        assert implicit_start_method() != "fork"


def test_ini_start_methods_are_defaults_below_the_scenario_file(pytester):
    own = SAFE.replace("run: {trials: 3}", "run: {trials: 3, start_methods: [fork]}")
    project(pytester, "harness_start_methods = spawn forkserver\n",
            **{"scenarios/safe.yaml": SAFE, "scenarios/own.yaml": own})
    assert collected(pytester) == ["scenarios/own.yaml::locked-add[fork]", "scenarios/safe.yaml::locked-add[spawn]",
                                   "scenarios/safe.yaml::locked-add[forkserver]"]


def test_tool_harness_in_pyproject_is_a_project_default_below_the_ini(pytester):
    own = SAFE.replace("run: {trials: 3}", "run: {trials: 3, start_methods: [fork]}")
    no_trials = SAFE.replace("run: {trials: 3}\n", "")
    project(pytester, **{"scenarios/safe.yaml": no_trials, "scenarios/own.yaml": own,
                         "pyproject.toml": "[tool.harness]\ntrials = 6\nstart_methods = ['spawn']\nseed = 66\n"})
    assert collected(pytester) == ["scenarios/own.yaml::locked-add[fork]", "scenarios/safe.yaml::locked-add[spawn]"]
    out = pytester.runpytest_inprocess("--collect-only", *PLAIN).stdout.str()
    assert "harness: seed 66 (rerun with --harness-seed 66)" in out
    assert "start methods: spawn (unless a scenario's run.start_methods says; [tool.harness] start_methods)" in out
    assert "trials: 6 (unless a scenario's run.trials says; [tool.harness] trials)" in out
    pytester.makeini("[pytest]\nharness_trials = 4\n")  # the ini is the more specific file
    out = pytester.runpytest_inprocess("--collect-only", *PLAIN).stdout.str()
    assert "trials: 4 (unless a scenario's run.trials says; ini harness_trials)" in out


def test_a_bad_tool_harness_is_a_usage_error(pytester):
    project(pytester, **{"scenarios/safe.yaml": SAFE, "pyproject.toml": "[tool.harness]\ntrials = 'many'\n"})
    result = pytester.runpytest_inprocess("--collect-only", *PLAIN)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "[tool.harness] trials: found the string 'many'" in result.stderr.str()


def test_markers_select_canaries_and_safe_scenarios(repo):
    canaries = collected(repo, "-m", "harness_canary", "--strict-markers", "--harness-start-method", "fork")
    assert canaries == ["scenarios/nested/canary.yml::unlocked-add-canary[fork]"]
    safe = collected(repo, "-m", "harness_safe", "--strict-markers", "--harness-start-method", "fork")
    assert safe == ["scenarios/safe.yaml::locked-add[fork]"]
    assert collected(repo, "-m", "not harness", "--strict-markers") == ["tests/test_plain.py::test_plain"]
    markers = repo.runpytest_inprocess("--markers", *PLAIN).stdout.str()
    for name in ("harness:", "harness_canary:", "harness_safe:"):
        assert f"@pytest.mark.{name}" in markers


def test_invalid_file_is_a_collection_error_with_path_line_col(pytester):
    project(pytester, **{"scenarios/bad.yaml": INVALID, "scenarios/empty.yml": "",
                         "scenarios/broken.yaml": "array: [1, 2\n"})
    result = pytester.runpytest_inprocess(*PLAIN)
    out = result.stdout.str()
    assert result.ret == pytest.ExitCode.INTERRUPTED, out
    assert "ERROR collecting scenarios/bad.yaml" in out
    assert "scenarios/bad.yaml:2:13: array.typecode: found the string 'z'" in out
    assert re.search(r"^scenarios/empty\.yml:\d+:\d+: ", out, re.MULTILINE), out
    assert re.search(r"^scenarios/broken\.yaml:\d+:\d+: ", out, re.MULTILINE), out
    assert "Traceback" not in out and "harness/load.py" not in out


def test_bad_option_values_are_usage_errors(pytester):
    project(pytester, "harness_trials = many\n", **{"scenarios/safe.yaml": SAFE})
    result = pytester.runpytest_inprocess("--collect-only", *PLAIN)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "harness_trials: found 'many'" in result.stderr.str()
    result = pytester.runpytest_inprocess("--collect-only", "--harness-trials", "0", *PLAIN)
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_header_shows_seed_and_settings(pytester):
    project(pytester, "harness_seed = 777\nharness_trials = 4\n", **{"scenarios/safe.yaml": SAFE})
    out = pytester.runpytest_inprocess("--collect-only", "--harness-no-inject", *PLAIN).stdout.str()
    assert "harness: seed 777 (rerun with --harness-seed 777)" in out
    assert "trials: 4 (unless a scenario's run.trials says" in out
    assert "timing injection off" in out
    out = pytester.runpytest_inprocess("--collect-only", "--harness-seed", "5", "--harness-trials", "9",
                                       *PLAIN).stdout.str()
    assert "harness: seed 5 " in out and "trials: 9 (--harness-trials)" in out


def test_a_shard_is_in_the_header_and_a_bad_one_is_a_usage_error(pytester):
    project(pytester, **{"scenarios/safe.yaml": SAFE})
    out = pytester.runpytest_inprocess("--collect-only", "--harness-seed", "5", "--harness-shard", "2/3",
                                       *PLAIN).stdout.str()
    assert "shard 2/3 (--harness-shard)" in out
    result = pytester.runpytest_inprocess("--collect-only", "--harness-shard", "4/3", *PLAIN)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "allowed: K/N with whole numbers 1 <= K <= N" in result.stderr.str()


# -- running --------------------------------------------------------------------------------------

def test_mislabelled_scenario_fails_with_failure_text_not_a_traceback(pytester, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")  # the short summary cuts its line at the terminal's width
    project(pytester, **{"scenarios/mislabelled.yaml": MISLABELLED})
    # timing injection: its rerun line names the seed and the trial
    result = run(pytester, "--harness-start-method", "fork", "--harness-seed", "4242", "--harness-inject", "random")
    out = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, out
    assert outcomes(result) == {"scenarios/mislabelled.yaml::mislabelled-add[fork]": "FAILED"}
    assert re.search(r"^_+ mislabelled-add \[fork\] _+\nlost_update in 5/5 trials\n"
                     r"  expected every trial ok \(scenarios/mislabelled.yaml\)$", out, re.MULTILINE), out
    # the short summary says what happened, not the start of a long text cut off
    assert "FAILED scenarios/mislabelled.yaml::mislabelled-add[fork] - lost_update in 5/5 trials\n" in out
    assert re.search(r"^\s+expected: \[100, 100, 100, 100, 100\]$", out, re.MULTILINE), out
    assert re.search(r"^\s+observed: \[", out, re.MULTILINE)
    assert "rerun: harness run scenarios/mislabelled.yaml --seed 4242 --start-method fork --trial " in out
    assert ("rerun in pytest: pytest 'scenarios/mislabelled.yaml::mislabelled-add[fork]' --harness-seed 4242 "
            "--harness-start-method fork --harness-inject random") in out
    assert "Traceback" not in out and "pytest_plugin.py" not in out and "api.py" not in out


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_the_printed_pytest_rerun_finds_its_item_whatever_the_start_method(pytester, method):
    project(pytester, **{"scenarios/mislabelled.yaml": MISLABELLED})
    nodeid = f"scenarios/mislabelled.yaml::mislabelled-add[{method}]"
    assert collected(pytester, nodeid, "--harness-seed", "4242", "--harness-start-method", method) == [nodeid]


def test_trials_precedence_command_line_then_scenario_then_ini(pytester):
    no_trials = MISLABELLED.replace("run: {trials: 5}\n", "")
    project(pytester, "harness_trials = 2\n", **{"scenarios/own.yaml": MISLABELLED, "scenarios/ini.yaml": no_trials})
    out = run(pytester, "--harness-start-method", "fork").stdout.str()
    assert re.search(r"FAIL +mislabelled-add \[fork\] safe: 5/5 trials", out), out  # the scenario's own
    assert re.search(r"FAIL +mislabelled-add \[fork\] safe: 2/2 trials", out), out  # the ini default
    out = run(pytester, "--harness-start-method", "fork", "--harness-trials", "3").stdout.str()
    assert len(re.findall(r"FAIL +mislabelled-add \[fork\] safe: 3/3 trials", out)) == 2, out


def test_xdist_gives_the_same_verdicts_and_the_controllers_seed(pytester):
    project(pytester, **{"scenarios/safe.yaml": SAFE, "scenarios/canary.yaml": CANARY,
                         "scenarios/mislabelled.yaml": MISLABELLED})
    # timing injection, whose rerun lines name the seed the workers ran with; one start method:
    # how items spread over xdist workers does not depend on it (every method under xdist is
    # test_every_start_method_under_xdist_leaves_no_process_behind's)
    methods = ("--harness-start-method", "fork", "--harness-inject", "random")
    expected = {f"scenarios/{f}.yaml::{n}[fork]": verdict
                for f, n, verdict in (("safe", "locked-add", "PASSED"), ("canary", "unlocked-add-canary", "PASSED"),
                                      ("mislabelled", "mislabelled-add", "FAILED"))}
    serial = run(pytester, *methods)
    assert outcomes(serial) == expected, serial.stdout.str()
    result = run(pytester, "-n", "2", "--dist", "loadfile", *methods)
    out = result.stdout.str()
    assert outcomes(result) == expected, out
    seed = re.search(r"^harness: seed (\d+) ", out, re.MULTILINE).group(1)
    reruns = set(re.findall(r"rerun: harness run (\S+) --seed (\d+) --start-method (\w+)", out))
    # the workers ran with the controller's seed
    assert reruns == {("scenarios/mislabelled.yaml", seed, "fork")}, out
    assert "DeprecationWarning" not in out and "multi-threaded" not in out


def test_given_seed_travels_to_xdist_workers(pytester):
    project(pytester, **{"scenarios/a.yaml": MISLABELLED, "scenarios/b.yaml": MISLABELLED.replace(
        "mislabelled-add", "mislabelled-add-b")})
    result = run(pytester, "-n", "2", "--harness-seed", "987654321", "--harness-start-method", "fork",
                 "--harness-inject", "random")  # its rerun lines name the seed
    out = result.stdout.str()
    assert "harness: seed 987654321 (rerun with --harness-seed 987654321)" in out
    reruns = set(re.findall(r"rerun: harness run (\S+) --seed 987654321 --start-method fork ", out))
    assert reruns == {"scenarios/a.yaml", "scenarios/b.yaml"}, out
    assert len(re.findall(r"--harness-seed 987654321 --harness-start-method fork --harness-inject random$", out,
                          re.MULTILINE)) >= 2, out


def _tagged_pids(tag: str) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if tag.encode() in f.read():
                    pids.append(int(entry))
        except OSError:
            continue
    return pids


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc to find leftover processes")
def test_every_start_method_under_xdist_leaves_no_process_behind(pytester, monkeypatch):
    project(pytester, **{"scenarios/safe.yaml": SAFE, "scenarios/canary.yaml": CANARY})
    tag = f"HARNESS_LEAK_PROBE_{uuid.uuid4().hex}"
    monkeypatch.setenv(tag, "1")  # inherited by pytest, its xdist workers and every harness process
    result = run(pytester, "-n", "2", "--harness-start-method", "all")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert len(outcomes(result)) == 6 and set(outcomes(result).values()) == {"PASSED"}
    deadline = time.monotonic() + 10
    while _tagged_pids(tag) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _tagged_pids(tag) == []


# -- the HTML report ------------------------------------------------------------------------------

SECTION = re.compile(r'<section class="result r-(\w+)" id="r\d+" [^>]*>\n<details(?: open)?><summary><h3 [^>]*>'
                     r'<span [^>]*>\w+</span> ([\w-]+) <span class="method">\[(\w+)\]')


def test_html_report_of_a_serial_run_shows_the_failure_first(pytester):
    project(pytester, **{"scenarios/safe.yaml": SAFE, "scenarios/mislabelled.yaml": MISLABELLED})
    result = run(pytester, "--harness-start-method", "fork", "--harness-seed", "11", "--harness-html", "out/r.html")
    assert result.ret == pytest.ExitCode.USAGE_ERROR  # the folder does not exist: nothing ran
    assert "out/r.html: cannot write the HTML report: no such folder" in result.stderr.str()
    result = run(pytester, "--harness-start-method", "fork", "--harness-seed", "11", "--harness-html", "r.html")
    out = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, out
    assert f"harness: HTML report of 2 scenario item(s) written to {pytester.path / 'r.html'}" in out
    page = (pytester.path / "r.html").read_text()
    assert SECTION.findall(page) == [("fail", "mislabelled-add", "fork"), ("pass", "locked-add", "fork")]
    assert "<title>harness FAILED: 1 of 2 not passed, seed 11</title>" in page
    assert re.search(r'<code id="cmd-run">pytest [^<]*-p no:cacheprovider -p no:benchmark -rA -W '
                     r"error::DeprecationWarning --harness-start-method fork --harness-seed 11 --harness-html r.html"
                     r"</code>", page)
    # the default, mixed: a controlled trial's failure replays its interleaving, a free one's its delays
    assert re.search(r"harness run scenarios/mislabelled.yaml (--start-method fork --replay s1\.|--seed 11 "
                     r"--start-method fork --trial \d+ --inject random)", page)


def test_html_report_gathers_the_items_of_every_xdist_worker(pytester):
    project(pytester, **{"scenarios/safe.yaml": SAFE, "scenarios/canary.yaml": CANARY,
                         "scenarios/mislabelled.yaml": MISLABELLED})
    result = run(pytester, "-n", "2", "--harness-start-method", "fork", "--harness-start-method", "spawn",
                 "--harness-html", "r.html", "--junitxml", "j.xml")
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    page = (pytester.path / "r.html").read_text()
    assert SECTION.findall(page) == [
        ("fail", "mislabelled-add", "fork"), ("fail", "mislabelled-add", "spawn"),
        ("pass", "unlocked-add-canary", "fork"), ("pass", "unlocked-add-canary", "spawn"),
        ("pass", "locked-add", "fork"), ("pass", "locked-add", "spawn")]
    assert "harness_entry" not in (pytester.path / "j.xml").read_text()  # the entry rides the report only


def test_html_report_that_cannot_be_written_at_the_end_says_so(pytester):
    # the test makes the report's path a folder after the start-up check passed
    project(pytester, **{"scenarios/safe.yaml": SAFE,
                         "tests/test_in_the_way.py": "import os\n\ndef test_in_the_way():\n    os.mkdir('r.html')\n"})
    result = run(pytester, "--harness-start-method", "fork", "--harness-html", "r.html", "scenarios", "tests")
    assert result.ret == pytest.ExitCode.INTERNAL_ERROR
    assert f"harness: cannot write the HTML report {pytester.path / 'r.html'}: Is a directory" in result.stdout.str()


def test_html_report_of_an_interrupted_session_keeps_what_ran(pytester):
    project(pytester, **{"scenarios/safe.yaml": SAFE,
                         "tests/test_stop.py": "def test_stop():\n    raise KeyboardInterrupt\n"})
    result = run(pytester, "--harness-start-method", "fork", "--harness-html", "r.html", "scenarios", "tests")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    page = (pytester.path / "r.html").read_text()
    assert '<span class="badge big v-interrupted">INTERRUPTED</span>' in page
    assert SECTION.findall(page) == [("pass", "locked-add", "fork")]


def test_under_the_controlled_scheduler_a_failure_carries_its_replay_command(pytester):
    project(pytester, **{"scenarios/mislabelled.yaml": MISLABELLED})
    result = run(pytester, "--harness-inject", "controlled", "--harness-seed", "4", "--harness-start-method", "fork")
    out = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED, out
    assert "inject: controlled (--harness-inject)" in out
    assert re.search(r"rerun: harness run \S+mislabelled.yaml --start-method fork --replay s1\.\S+", out), out
    assert "the accesses that conflicted, in the order they ran:" in out


def test_pytest_shards_write_json_reports_that_merge_into_one_verified_exploration(pytester):
    from harness.cli import main

    small = SAFE.replace("loops: 5", "loops: 2").replace("size: 3", "size: 2").replace(
        "run: {trials: 3}", "run: {trials: 500, inject: controlled, strategy: exhaustive}")
    project(pytester, **{"scenarios/safe.yaml": small})
    for part in (1, 2):
        result = run(pytester, "--harness-start-method", "fork", "--harness-seed", "5", "--harness-shard",
                     f"{part}/2", "--harness-json", f"part{part}.json")
        assert result.ret == pytest.ExitCode.OK, result.stdout.str()
        assert f"harness: JSON report of 1 scenario item(s) written to {pytester.path / f'part{part}.json'}" in \
            result.stdout.str()
    merged = pytester.path / "merged.json"
    assert main(["merge", str(pytester.path / "part1.json"), str(pytester.path / "part2.json"),
                 "--json", str(merged)]) == 0
    (entry,) = json.loads(merged.read_text())["scenarios"]
    cert = entry["certificate"]
    assert cert["kind"] == "exhaustive" and cert["complete"] is True and cert["interleavings"] == 70
