"""Run settings: one precedence for every source, and [tool.harness] in pyproject.toml.

Hand-built scenarios and files in tmp_path; nothing runs.
"""

from __future__ import annotations

import pytest

from harness.errors import UsageError
from harness.load import load_text
from harness.messages import TimingSpec
from harness.project import find_project
from harness.scenario import DEFAULT_TIMEOUT_S
from harness.settings import REPLAYS, RunOptions, resolve

PLAIN = "array: {typecode: i, size: 2}\nworkers: [{name: a, op: add}]\n"
OWN = PLAIN + ("run: {trials: 7, seed: 70, timeout_s: 7.5, start_methods: [spawn], "
               "timing: {inject: random}}\n")


def settings_of(text: str, command_line=RunOptions(), project=(), **kwargs):
    scenario = load_text(text, "s.yaml")
    return [job.settings for job in resolve([scenario], command_line, project, **kwargs).jobs]


def test_built_in_defaults_when_nobody_says():
    (s,) = settings_of(PLAIN, run_seed=5, default_method="fork")
    assert (s.start_method, s.trials, s.seed, s.timeout_s, s.stop_on_detection) == ("fork", 200, 5, 10.0, True)
    assert s.timing == TimingSpec("mixed", 0.5, 100) and (s.first_trial, s.replay) == (1, False)


def test_the_project_fills_in_what_the_scenario_leaves_out():
    project = (RunOptions(trials=3, seed=30, start_methods=("fork", "forkserver"), timeout_s=3.5, inject="none"),)
    fork, forkserver = settings_of(PLAIN, project=project)
    assert (fork.start_method, forkserver.start_method) == ("fork", "forkserver")
    assert (fork.trials, fork.seed, fork.timeout_s, fork.timing.policy) == (3, 30, 3.5, "none")


def test_the_scenario_comes_before_the_project():
    project = (RunOptions(trials=3, seed=30, start_methods=("fork",), timeout_s=3.5, inject="none"),)
    (s,) = settings_of(OWN, project=project)
    assert (s.start_method, s.trials, s.seed, s.timeout_s, s.timing.policy) == ("spawn", 7, 70, 7.5, "random")


def test_the_command_line_comes_before_everything():
    project = (RunOptions(trials=3, seed=30, start_methods=("fork",)),)
    cli = RunOptions(trials=9, seed=90, start_methods=("forkserver",), inject="none", stop_on_detection=False)
    (s,) = settings_of(OWN, cli, project)
    assert (s.start_method, s.trials, s.seed, s.timing.policy, s.stop_on_detection) == (
        "forkserver", 9, 90, "none", False)


def test_the_first_project_source_that_says_wins():
    ini, pyproject = RunOptions(trials=4), RunOptions(trials=5, seed=50)
    (s,) = settings_of(PLAIN, project=(ini, pyproject), default_method="fork")
    assert (s.trials, s.seed) == (4, 50)


def test_the_run_seed_is_chosen_once_and_shared():
    a = load_text(PLAIN, "a.yaml")
    run = resolve([a, load_text(OWN.replace("seed: 70, ", ""), "b.yaml")], RunOptions(start_methods=("fork",)))
    assert len({job.settings.seed for job in run.jobs}) == 1 and run.jobs[0].settings.seed == run.seed
    assert resolve([a], project=(RunOptions(seed=8),), run_seed=99).seed == 8  # a source beats a chosen seed
    assert resolve([a], run_seed=99).seed == 99  # an xdist worker's seed from its controller
    assert resolve([], RunOptions(seed=1)).jobs == ()


def test_a_rerun_replays_its_trial_20_times_whatever_the_file_says():
    (s,) = settings_of(OWN, RunOptions(trial=12))
    assert (s.first_trial, s.trials, s.replay) == (12, REPLAYS, True)
    (s,) = settings_of(OWN, RunOptions(trial=12, trials=2))
    assert s.trials == 2


# -- [tool.harness] in pyproject.toml ----------------------------------------------------------------

def write_project(folder, text: str):
    path = folder / "pyproject.toml"
    path.write_text("[project]\nname = 'x'\n\n" + text)
    return path


def test_found_walking_up_and_paths_are_relative_to_it(tmp_path):
    write_project(tmp_path, '[tool.harness]\npaths = ["scenarios", "ci/races"]\ntrials = 50\n'
                            'start_methods = ["all"]\ntimeout_s = 2\nseed = 0\ninject = false\n')
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    project = find_project(str(deep))
    assert project.root == str(tmp_path) and project.config_file == str(tmp_path / "pyproject.toml")
    assert project.paths == (str(tmp_path / "scenarios"), str(tmp_path / "ci/races"))
    o = project.options
    assert (o.trials, o.seed, o.timeout_s, o.inject) == (50, 0, 2.0, "none")
    assert set(o.start_methods) <= {"fork", "spawn", "forkserver"} and o.start_methods


@pytest.mark.parametrize("text", ['[ tool . "harness" ]\ntrials = 3\n', "[tool]\nharness = {trials = 3}\n",
                                  "tool.harness.trials = 3\n", "tool = {harness = {trials = 3}}\n"])
def test_every_toml_spelling_of_the_table_is_found(tmp_path, text):
    (tmp_path / "pyproject.toml").write_text(text)
    assert find_project(str(tmp_path)).options.trials == 3


def test_a_pyproject_without_the_table_is_passed_over(tmp_path):
    write_project(tmp_path, "[tool.harness]\ntrials = 3\n")
    inner = tmp_path / "sub"
    inner.mkdir()
    write_project(inner, "[tool.black]\nline-length = 99\n")  # no [tool.harness]: keep looking up
    assert find_project(str(inner)).options.trials == 3


def test_no_file_anywhere_means_nothing_set(tmp_path):
    project = find_project(str(tmp_path))
    assert (project.root, project.config_file, project.paths, project.options) == (
        str(tmp_path), None, (), RunOptions())


@pytest.mark.parametrize("table, words", [
    pytest.param("trails = 3", "[tool.harness] trails: unknown key (did you mean 'trials'?); allowed: paths, trials,",
                 id="unknown-key"),
    pytest.param("trials = 'many'", "[tool.harness] trials: found the string 'many', allowed: a whole number "
                 "from 1 to 100000000", id="trials-text"),
    pytest.param("trials = 0", "[tool.harness] trials: found the number 0, allowed: a whole number from 1",
                 id="trials-zero"),
    pytest.param("trials = true", "trials: found the boolean true", id="trials-bool"),
    pytest.param("seed = -1", "[tool.harness] seed: found the number -1, allowed: a whole number from 0", id="seed"),
    pytest.param("timeout_s = 0", "[tool.harness] timeout_s: found the number 0, allowed: a number > 0 and <= 86400",
                 id="timeout-zero"),
    pytest.param("inject = 'no'", "[tool.harness] inject: found the string 'no', allowed: true, false or one of "
                 "'random', 'none', 'controlled'", id="inject"),
    pytest.param("strategy = 'dfs'", "[tool.harness] strategy: found the string 'dfs', allowed: 'directed', 'exhaustive', 'random', 'pct'",
                 id="strategy"),
    pytest.param("depth = 0", "[tool.harness] depth: found the number 0, allowed: a whole number from 1 to 16", id="depth"),
    pytest.param("paths = 'scenarios'", "[tool.harness] paths: found the string 'scenarios', allowed: a list of "
                 "names", id="paths-not-a-list"),
    pytest.param("paths = []", "[tool.harness] paths: found a list of 0 items", id="paths-empty"),
    pytest.param("start_methods = ['fork', 'spwan']", "[tool.harness] start_methods: found 'spwan', allowed: fork, "
                 "spawn, forkserver, all", id="start-method-typo"),
    pytest.param("start_methods = 'fork'", "[tool.harness] start_methods: found the string 'fork'", id="methods-text"),
])
def test_a_bad_setting_is_one_line_naming_the_file_and_key(tmp_path, table, words):
    path = write_project(tmp_path, f"[tool.harness]\n{table}\n")
    with pytest.raises(UsageError) as info:
        find_project(str(tmp_path))
    (line,) = str(info.value).splitlines()
    assert line.startswith(f"{path}: ") and words in line, line


def test_invalid_toml_and_a_table_that_is_not_one(tmp_path):
    path = write_project(tmp_path, "[tool.harness]\ntrials = \n")
    with pytest.raises(UsageError, match=r"pyproject.toml: not valid TOML: "):
        find_project(str(tmp_path))
    path.write_text("tool = {harness = 3}\n")
    with pytest.raises(UsageError, match=r"tool.harness: found the number 3, allowed: a table"):
        find_project(str(tmp_path))


def test_an_unreadable_pyproject_is_a_usage_error(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").mkdir()  # not a file: passed over
    assert find_project(str(tmp_path)).config_file is None
    (tmp_path / "pyproject.toml").rmdir()
    write_project(tmp_path, "[tool.harness]\ntrials = 3\n")

    def refuse(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("builtins.open", refuse)  # root reads anything: make it fail as a user's would
    with pytest.raises(UsageError, match=r"pyproject.toml: cannot read: Permission denied$"):
        find_project(str(tmp_path))


# -- the trial timeout when no source gives one -------------------------------------------------

HUGE = """\
array: {{typecode: i, size: 10000000}}
workers:
  - {{name: adder, count: 2, op: add, lock: element}}
{run}"""
# a reader's million element steps: a model that is quick to compute
READS = "array: {typecode: i, size: 1000}\nworkers:\n  - {name: reader, op: snapshot, loops: 1000}\n"
SMALL = "array: {typecode: i, size: 5}\nworkers:\n  - {name: adder, count: 2, op: add, loops: 50}\n"


def timeout_of(text: str, project=()) -> float:
    (s,) = settings_of(text, project=project, default_method="fork")
    return s.timeout_s


def test_the_default_timeout_grows_with_the_work_of_a_trial():
    # 2 x 10^7 element steps at about 3 us each (README, scaling.py) are a minute of work on
    # one core: the fixed 10 s default called such healthy workers hung
    assert timeout_of(HUGE.format(run="")) >= 2 * 10**7 * 3e-6 * 5
    assert timeout_of(SMALL) == DEFAULT_TIMEOUT_S


def test_a_timeout_a_source_gives_is_kept_whatever_the_work():
    assert timeout_of(HUGE.format(run="run: {timeout_s: 5}\n")) == 5
    assert timeout_of(HUGE.format(run=""), project=(RunOptions(timeout_s=6),)) == 6


def test_explain_says_when_the_default_timeout_grew():
    from harness.explain import explain
    from harness.plan import make_plan

    text = explain(make_plan(load_text(READS, "s.yaml")))
    assert "trial timeout: 30 s (no run.timeout_s: the default 10 s, grown for 1,000,000 element steps)" in text
    assert "trial timeout" not in explain(make_plan(load_text(SMALL, "s.yaml")))


def test_an_exhaustive_search_runs_every_trial_under_control_whatever_the_default():
    (s,) = settings_of(PLAIN, RunOptions(strategy="exhaustive"), run_seed=5, default_method="fork")
    assert s.timing.policy == "controlled"
    (s,) = settings_of(PLAIN, RunOptions(strategy="exhaustive", inject="random"), run_seed=5, default_method="fork")
    assert s.timing.policy == "random"  # asked for by name: timing injection, the strategy unused
