"""A newcomer's first hour with `harness`: a call scenario from `new` that runs as written,
choosing scenarios by name, rerunning what failed, and settings kept in pyproject.toml."""

from __future__ import annotations

import json
import re

import pytest

# RACY: nothing holds the lock across the read and the write; with injection, every trial
# loses updates (test_cli_run's folder is this one, on sys.path under pytest)
from test_cli_run import RACY_LABELLED_SAFE as RACY
from test_cli_run import SAFE

from harness.cli import main

pytestmark = pytest.mark.usefixtures("elsewhere")
FREE = ("--inject", "random")


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_a_call_scenario_from_new_runs_with_no_edits(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "new", "race.yaml", "--template", "call")
    assert code == 0 and "and counters.py, the function it calls" in out
    code, out, err = run_cli(capsys, "run", "race.yaml", "--trials", "5", "--start-method", "fork")
    assert code == 0, out + err
    assert re.search(r"^PASS +race \[fork\] safe: 5/5 trials \(ok=5\)", out, re.MULTILINE), out
    # and the newcomer's first edit, the lock removed, shows the race
    module = tmp_path / "counters.py"
    module.write_text(module.read_text().replace("with arr.get_lock():", "if True:"))
    code, out, _ = run_cli(capsys, "run", "race.yaml", "--trials", "30", "--start-method", "fork")
    assert code == 1 and "lost_update in" in out


def test_k_chooses_scenarios_by_name_or_file(tmp_path, capsys):
    (tmp_path / "safe.yaml").write_text(SAFE)
    (tmp_path / "racy.yaml").write_text(RACY)
    code, out, _ = run_cli(capsys, "run", ".", "-k", "safe or nothing", "--start-method", "fork")
    assert code == 0
    assert "harness: -k 'safe or nothing' chose 1 of 2 scenario(s)" in out
    assert "harness: 1 scenario file(s)" in out and "safe-one [fork]" in out and "mislabelled" not in out
    code, out, err = run_cli(capsys, "run", ".", "-k", "nothing")
    assert (code, out) == (2, "")
    assert err.strip() == "harness: error: -k 'nothing' matches none of the 2 scenario(s)"
    code, _, err = run_cli(capsys, "run", ".", "-k", "safe and")
    assert code == 2 and "expected a name, found the end" in err


def test_last_failed_reruns_only_what_failed_then_everything(tmp_path, capsys):
    # what is chosen to rerun is the point, not how races are searched: free trials are the quickest
    (tmp_path / "safe.yaml").write_text(SAFE)
    racy = tmp_path / "racy.yaml"
    racy.write_text(RACY)
    code, out, _ = run_cli(capsys, "run", ".", "--start-method", "fork", *FREE)
    assert code == 1
    assert re.search(r"^failures \(1\):\n  FAIL  mislabelled \[fork\]  \./racy\.yaml  lost_update in \d+/30 trials$",
                     out, re.MULTILINE), out
    cache = json.loads((tmp_path / ".harness_cache" / "lastfailed.json").read_text())
    assert cache["failed"] == [[str(racy), "mislabelled", "fork"]]
    code, out, _ = run_cli(capsys, "run", ".", "--lf", "--start-method", "fork", *FREE)
    assert code == 1
    assert "harness: --last-failed: 1 of 2 run(s) failed last time; running those" in out
    assert "safe-one" not in out
    racy.write_text(RACY.replace("loops: 100}", "loops: 100, lock: element}"))  # fixed
    code, out, _ = run_cli(capsys, "run", ".", "--last-failed", "--start-method", "fork", *FREE)
    assert code == 0 and "PASS  mislabelled [fork]" in out
    code, out, _ = run_cli(capsys, "run", ".", "--lf", "--start-method", "fork", *FREE)
    assert code == 0
    assert "harness: --last-failed: no failure recorded for these 2 run(s); running all of them" in out
    assert "2 passed, 0 failed" in out


def test_an_unreadable_cache_is_a_warning_with_lf(tmp_path, capsys):
    (tmp_path / "safe.yaml").write_text(SAFE)
    (tmp_path / ".harness_cache").mkdir()
    (tmp_path / ".harness_cache" / "lastfailed.json").write_text("{broken")
    code, out, err = run_cli(capsys, "run", "safe.yaml", "--lf", "--start-method", "fork")
    assert code == 0 and "running all of them" in out
    assert err.startswith("harness: warning: ignoring the unreadable cache ")
    assert json.loads((tmp_path / ".harness_cache" / "lastfailed.json").read_text())["failed"] == []


def test_settings_and_paths_from_pyproject(tmp_path, capsys, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[tool.harness]\npaths = ["races"]\ntrials = 3\n'
                                             'start_methods = ["spawn"]\nseed = 11\n')
    (tmp_path / "races").mkdir()
    (tmp_path / "races" / "safe.yaml").write_text(SAFE.replace("run: {trials: 20}\n", ""))
    (tmp_path / "docs").mkdir()
    monkeypatch.chdir(tmp_path / "docs")  # found from below, as pytest finds its rootdir
    code, out, _ = run_cli(capsys, "run")
    assert code == 0, out
    assert "harness: 1 scenario file(s), seed 11" in out
    assert re.search(r"PASS +safe-one \[spawn\] safe: 3/3 trials", out), out
    code, out, _ = run_cli(capsys, "run", "--trials", "2", "--start-method", "fork")  # the command line wins
    assert re.search(r"PASS +safe-one \[fork\] safe: 2/2 trials", out), out
    code, out, _ = run_cli(capsys, "validate")
    assert code == 0 and out.startswith(f"{tmp_path / 'races' / 'safe.yaml'}: ok: safe-one")  # not below: whole
    assert (tmp_path / ".harness_cache" / "lastfailed.json").exists()  # beside pyproject.toml


def test_a_bad_pyproject_stops_run_and_validate(tmp_path, capsys):
    (tmp_path / "pyproject.toml").write_text("[tool.harness]\nstart_methods = ['fork', 'spwan']\n")
    (tmp_path / "safe.yaml").write_text(SAFE)
    for command in ("run", "validate"):
        code, out, err = run_cli(capsys, command, "safe.yaml")
        assert (code, out) == (2, "")
        assert err.strip() == (f"{tmp_path / 'pyproject.toml'}: [tool.harness] start_methods: found 'spwan', "
                               "allowed: fork, spawn, forkserver, all")


def test_colour_when_asked_and_never_in_a_pipe(tmp_path, capsys, monkeypatch):
    (tmp_path / "safe.yaml").write_text(SAFE)
    _, out, _ = run_cli(capsys, "run", "safe.yaml", "--start-method", "fork")
    assert "\033[" not in out  # captured: not a terminal
    _, out, _ = run_cli(capsys, "run", "safe.yaml", "--start-method", "fork", "--color", "always")
    assert "\033[32mPASS \033[0m safe-one [fork]" in out and "\033[32m1 passed\033[0m" in out


@pytest.mark.parametrize("choice, tty, env, on", [
    ("auto", True, {}, True),
    ("auto", False, {}, False),
    ("auto", True, {"NO_COLOR": "1"}, False),
    ("auto", True, {"TERM": "dumb"}, False),
    ("always", False, {"NO_COLOR": "1"}, True),
    ("never", True, {}, False),
])
def test_use_colour(monkeypatch, choice, tty, env, on):
    from harness import cli

    class Stdout:
        def isatty(self):
            return tty

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr("sys.stdout", Stdout())
    assert cli._use_colour(choice) is on


def test_no_path_and_no_paths_setting_says_where_to_put_them(tmp_path, capsys):
    (tmp_path / "pyproject.toml").write_text("[tool.harness]\ntrials = 3\n")
    for command in ("run", "validate"):
        code, out, err = run_cli(capsys, command)
        assert (code, out) == (2, "")
        assert err.strip() == (f"harness: error: no PATH given, and no paths in [tool.harness] of "
                               f"{tmp_path / 'pyproject.toml'}; e.g. harness run scenarios/, or paths = "
                               "[\"scenarios\"] under [tool.harness]")


def test_a_cache_that_cannot_be_written_changes_nothing_but_a_warning(tmp_path, capsys):
    (tmp_path / "safe.yaml").write_text(SAFE)
    (tmp_path / ".harness_cache").write_text("a file where the cache folder goes")
    code, out, err = run_cli(capsys, "run", "safe.yaml", "--start-method", "fork")
    assert code == 0 and "1 passed, 0 failed" in out
    assert err.startswith(f"harness: warning: cannot write the cache {tmp_path / '.harness_cache'}")


def test_a_second_run_reads_the_scenario_back_from_the_cache_with_the_same_verdict(tmp_path, capsys, monkeypatch):
    from harness import load

    (tmp_path / "safe.yaml").write_text(SAFE)
    argv = ("run", "safe.yaml", "--start-method", "fork", "--seed", "5")
    code, out, err = run_cli(capsys, *argv)
    assert code == 0 and len(list((tmp_path / ".harness_cache" / "scenarios").glob("safe.yaml-*.json"))) == 1
    validated = run_cli(capsys, "validate", "safe.yaml")
    monkeypatch.setattr(load, "_checked", lambda text, name: pytest.fail(f"{name} was parsed again"))
    again = run_cli(capsys, *argv)
    rate = re.compile(r"\d+ trials/s")
    assert (again[0], rate.sub("", again[1]), again[2]) == (code, rate.sub("", out), err)
    assert run_cli(capsys, "validate", "safe.yaml") == validated
    junk = tmp_path / ".harness_cache" / "junk"
    junk.write_text("left by an older harness")
    with pytest.raises(pytest.fail.Exception, match="parsed again"):  # --cache-clear: read afresh
        main([*argv, "--cache-clear"])
    assert not junk.exists()


def test_cache_clear_that_cannot_clear_is_a_warning(tmp_path, capsys):
    (tmp_path / "safe.yaml").write_text(SAFE)
    (tmp_path / ".harness_cache").write_text("a file where the cache folder goes")
    code, out, err = run_cli(capsys, "run", "safe.yaml", "--start-method", "fork", "--cache-clear")
    assert code == 0 and "1 passed, 0 failed" in out
    assert err.startswith(f"harness: warning: cannot clear the cache {tmp_path / '.harness_cache'} (")
