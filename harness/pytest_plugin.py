"""The pytest plugin (docs/scenario-format.md section 5), registered through the ``pytest11`` entry point.

Promise: scenario files become test items, one per scenario and start method, with stable
node ids such as ``scenarios/seed000_element_lock.yaml::seed000-element-lock[fork]`` (no
seed, no timing in an id, so every pytest-xdist worker collects the same items in the same
order). A failed verdict reads like ``harness run``'s (:func:`harness.report.console.failure_text`:
expected vs observed and the rerun command), never a Python traceback; an invalid file is a
collection error made of its ``PATH:LINE:COL: message`` lines.

Which YAML files are collected:

- named on the command line (``pytest ci/races/x.yaml``), or below a folder named there
  (``pytest ci/races/``); a named folder that *contains* an existing ``harness_paths`` folder
  (``pytest .`` from the repository root) contributes only the files inside those folders, so a
  ``mkdocs.yml`` or ``config.yaml`` elsewhere in the repository is left alone (a ``harness_paths``
  folder that does not exist narrows nothing: ``pytest .`` inside a folder of scenarios, or
  ``pytest DIR`` where DIR has its own ini file, collects every scenario file there);
- in a plain ``pytest`` run (no path arguments; ``testpaths`` or the current folder), the files
  inside the folders listed by the ini setting ``harness_paths`` (default ``scenarios``, relative
  to the rootdir); when the run starts from ``testpaths`` those folders are added to it.

Options and ini settings: ``--harness-trials N`` / ``harness_trials``, ``--harness-seed S`` /
``harness_seed``, ``--harness-start-method M`` (repeatable; ``all`` = fork, spawn, forkserver) /
``harness_start_methods``, ``--harness-no-inject``, ``--harness-shard K/N`` (this run's part of N,
:mod:`harness.shard`), ``--harness-html FILE`` / ``--harness-json FILE`` (the HTML or JSON report of every
scenario item the run ran, written at the end of the session). Precedence (:func:`harness.settings.resolve`,
the same as ``harness run``'s): the command line, then the scenario file's own ``run:`` section,
then the project's settings (the ini settings, then ``[tool.harness]`` in ``pyproject.toml``:
trials, seed, start_methods, timeout_s, inject), then the built-in defaults (a project setting is
a project-wide default, a scenario's ``run:`` is specific to that scenario). ``[tool.harness]``
``paths`` is for ``harness run``; the plugin collects ``harness_paths``.

The run seed is chosen once by the controlling process (or given by ``--harness-seed`` /
``harness_seed``), sent to every xdist worker through ``workerinput`` and printed in the report
header. Markers: ``harness`` on every scenario item, ``harness_canary`` on scenarios that expect an
anomaly, ``harness_safe`` on those that expect none.

The HTML report: each item attaches its JSON report entry to its call report, as an attribute that
pytest-xdist serializes with the report (pytest-html sends its extras the same way), and the
controlling process gathers the entries from its own items or its workers' and writes the page when
the session ends. ``user_properties`` would carry it too, but would put the whole entry into
``--junitxml`` files.

Decision: ``fork`` and threads. A pytest process may have other threads at any moment: every
pytest-xdist worker runs execnet's I/O thread, and any earlier test may leave a thread behind.
Forking such a process is what Python 3.12+ warns about (``DeprecationWarning: This process is
multi-threaded, use of fork() may lead to deadlocks in the child``), and Python 3.14 made
``forkserver`` the POSIX default for that reason. So:

1. When nobody chose a start method (not the command line, not the scenario's
   ``run.start_methods``, not ``harness_start_methods``) and the platform default is ``fork``,
   the plugin uses ``forkserver``: the 3.14 default, on every supported Python. It does so in
   every run, serial or ``-n auto``, instead of looking at ``threading.active_count()``: a
   thread count would make the node ids differ between ``pytest`` and ``pytest -n 2`` (a node id
   copied from a CI log would not select anything locally) and could even depend on what an
   earlier test left running. The report header says which method the default became.
2. ``fork`` that was asked for explicitly is used as asked, xdist or not: the harness's workers
   only touch the shared array, their pipe and the barrier, never a lock another thread of the
   parent could hold, and a deadlocked trial would still end as a ``hang`` outcome, not a stuck
   test run. The DeprecationWarning is silenced only around the harness's own process starts
   (``harness.execute`` filters exactly that message), so ``-W error`` or
   ``filterwarnings = error`` cannot turn it into an exception (raised in the parent after the
   child exists) and it is no noise in the warnings summary.
"""

from __future__ import annotations

import glob
import json
import multiprocessing
import os
import shlex
import time
from pathlib import Path

import pytest

from .errors import HarnessError, ScenarioError
from .records import replace
from .scenario import SCENARIO_SUFFIXES
from .schema import INJECT_HELP, INJECT_POLICIES, STRATEGIES
from .settings import (MAX_SEED, MAX_TRIALS, METHOD_CHOICES, RunOptions, expand_start_methods, positive_int, seed_int,
                       shard_pair)

MARKERS = (
    "harness: a scenario item of the array race harness (one scenario under one start method)",
    "harness_canary: a harness scenario that expects an anomaly (proves the harness sees that race)",
    "harness_safe: a harness scenario that expects every trial ok",
    "harness_mutant: a mutant of a safe harness scenario (--harness-mutate): passes when a trial races",
)

_STATE = pytest.StashKey["_State"]()


# -- options ---------------------------------------------------------------------------------

def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "array race harness (scenario files)")
    group.addoption("--harness-trials", type=positive_int, default=None, metavar="N",
                    help="trials per scenario and start method (default: the scenario's run.trials, "
                    "then the ini harness_trials, then 200)")
    group.addoption("--harness-seed", type=seed_int, default=None, metavar="S",
                    help="run seed for every scenario (default: ini harness_seed, else random; "
                    "printed in the header)")
    group.addoption("--harness-start-method", action="append", choices=METHOD_CHOICES, default=None,
                    dest="harness_start_methods", metavar="M",
                    help="fork, spawn, forkserver or all (repeatable); default: the scenario's "
                    "run.start_methods, then the ini harness_start_methods, then the platform "
                    "default (forkserver where that is fork)")
    group.addoption("--harness-inject", choices=INJECT_POLICIES, default=None, help=INJECT_HELP)
    group.addoption("--harness-no-inject", dest="harness_inject", action="store_const", const="none",
                    help="the same as --harness-inject none")
    group.addoption("--harness-strategy", choices=STRATEGIES, default=None,
                    help="under --harness-inject controlled or mixed, the search: directed (default), "
                         "exhaustive, random or pct")
    group.addoption("--harness-shard", type=shard_pair, default=None, metavar="K/N",
                    help="run part K of N of every scenario: its trials K, K+N, ... (the budget is the total), "
                    "or the K-th part of an exhaustive search; give every part the same --harness-seed")
    group.addoption("--harness-mutate", action="store_true", default=False,
                    help="also collect the mutants of every safe scenario (harness mutate): an item per "
                    "mutant and start method, failing when the mutant survives and expect.survives does not "
                    "list it")
    group.addoption("--harness-html", default=None, metavar="FILE",
                    help="write the HTML report of the scenario items here when the session ends")
    group.addoption("--harness-json", default=None, metavar="FILE",
                    help="write the JSON report of the scenario items here when the session ends (the "
                    "report `harness merge` combines, for --harness-shard parts)")
    parser.addini("harness_paths", type="args", default=["scenarios"],
                  help="folders (relative to the rootdir) whose scenario files a plain `pytest` run collects")
    parser.addini("harness_trials", type="string", default="",
                  help="default trials per scenario and start method")
    parser.addini("harness_seed", type="string", default="", help="default run seed")
    parser.addini("harness_start_methods", type="args", default=[],
                  help="default start methods: fork, spawn, forkserver, all")


def _ini_int(config: pytest.Config, name: str, low: int, high: int) -> int | None:
    text = str(config.getini(name) or "").strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise pytest.UsageError(f"ini setting {name}: found {text!r}, allowed: a whole number from {low} to {high}")
    return value


def _methods(choices, where: str) -> tuple[str, ...] | None:
    try:
        return expand_start_methods(choices, where)
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None


def implicit_start_method() -> str:
    """The method used when nobody chose one: the platform default, except forkserver for fork
    (see the module docstring)."""
    from .settings import default_start_method

    method = default_start_method()
    if method == "fork" and "forkserver" in multiprocessing.get_all_start_methods():
        return "forkserver"
    return method


# -- run state -------------------------------------------------------------------------------

def _norm(path) -> str:
    return os.path.normcase(os.path.normpath(os.path.abspath(os.fspath(path))))


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


class _State:
    """What one pytest run (controller or worker) decided at configure time."""

    def __init__(self, config: pytest.Config):
        from .project import find_project
        from .settings import resolve

        opt = config.option
        self.invocation_dir = Path(config.invocation_params.dir)
        self.rootpath = Path(config.rootpath)
        self.command_line = RunOptions(
            trials=opt.harness_trials, seed=opt.harness_seed,
            start_methods=_methods(opt.harness_start_methods, "--harness-start-method"),
            inject=opt.harness_inject, strategy=opt.harness_strategy, shard=opt.harness_shard)
        ini = RunOptions(trials=_ini_int(config, "harness_trials", 1, MAX_TRIALS),
                         seed=_ini_int(config, "harness_seed", 0, MAX_SEED),
                         start_methods=_methods(config.getini("harness_start_methods"),
                                                "ini setting harness_start_methods"))
        try:
            pyproject = find_project(str(self.invocation_dir)).options
        except HarnessError as exc:
            raise pytest.UsageError(str(exc)) from None
        self.project = (ini, pyproject)  # the more specific file first
        self.implicit_method = implicit_start_method()
        workerinput = getattr(config, "workerinput", None)
        chosen = int(workerinput["harness_seed"]) if workerinput and "harness_seed" in workerinput else None
        self.seed = resolve([], self.command_line, self.project, run_seed=chosen).seed  # the controller's choice
        self.harness_paths = self._harness_paths(config)
        self.plain = getattr(config, "args_source", None) != pytest.Config.ArgsSource.ARGS
        self.named = [] if self.plain else [_norm(self.invocation_dir / a.split("::")[0]) for a in config.args]

    def jobs(self, scenario):
        """The scenario under each start method it resolves to, with its settings."""
        from .settings import resolve

        return resolve([scenario], self.command_line, self.project, run_seed=self.seed,
                       default_method=self.implicit_method).jobs

    def _harness_paths(self, config: pytest.Config) -> list[str]:
        """The ``harness_paths`` entries that exist: one that does not (the default
        ``scenarios`` of a project without that folder) must not narrow what a named folder
        collects."""
        found = []
        for entry in config.getini("harness_paths"):
            pattern = os.path.join(str(self.rootpath), entry)
            matches = sorted(glob.glob(pattern, recursive=True)) if glob.has_magic(entry) else [pattern]
            found.extend(_norm(m) for m in matches if os.path.exists(m))
        return list(dict.fromkeys(found))

    def add_harness_paths_to_testpaths(self, config: pytest.Config) -> None:
        """A plain run that starts from ``testpaths`` also walks the ``harness_paths`` folders."""
        if getattr(config, "args_source", None) != pytest.Config.ArgsSource.TESTPATHS:
            return
        given = [_norm(self.invocation_dir / a) for a in config.args]
        for folder in self.harness_paths:
            if os.path.isdir(folder) and not any(_inside(folder, g) for g in given):
                config.args.append(folder)

    def wants(self, file_path: Path) -> bool:
        """Is this YAML file a scenario that this run collects?"""
        path = _norm(file_path)
        in_harness_paths = any(_inside(path, h) for h in self.harness_paths)
        if self.plain:
            return in_harness_paths
        for named in self.named:
            if path == named:
                return True
            if not _inside(path, named):
                continue
            if any(_inside(h, named) and h != named for h in self.harness_paths) and not any(
                    _inside(named, h) for h in self.harness_paths):
                if in_harness_paths:  # a folder above harness_paths: only those folders count
                    return True
                continue
            return True
        return False

    def display_path(self, file_path: Path) -> str:
        """The file as messages and rerun commands show it: relative to where pytest was run."""
        rel = os.path.relpath(file_path, self.invocation_dir)
        return str(file_path) if rel.startswith(os.pardir) else rel

    def project_says(self, key: str, ini_name: str) -> tuple[object, str] | None:
        """The value of the first project source that gives ``key``, and where it comes from."""
        for options, where in zip(self.project, (f"ini {ini_name}", f"[tool.harness] {key}")):
            if getattr(options, key) is not None:
                return getattr(options, key), where
        return None

    def methods_text(self) -> str:
        if self.command_line.start_methods:
            return ", ".join(self.command_line.start_methods) + " (--harness-start-method)"
        said = self.project_says("start_methods", "harness_start_methods")
        if said:
            return ", ".join(said[0]) + f" (unless a scenario's run.start_methods says; {said[1]})"
        from .settings import default_start_method

        platform = default_start_method()
        note = (f"; {platform} avoided in a possibly multi-threaded pytest process, "
                f"--harness-start-method {platform} to use it" if platform != self.implicit_method else "")
        return f"{self.implicit_method} (unless a scenario's run.start_methods says; default{note})"


def _state(config: pytest.Config) -> _State:
    return config.stash[_STATE]


# -- hooks -----------------------------------------------------------------------------------

def pytest_configure(config: pytest.Config) -> None:
    for line in MARKERS:
        config.addinivalue_line("markers", line)
    state = _State(config)
    config.stash[_STATE] = state
    state.add_harness_paths_to_testpaths(config)
    if not hasattr(config, "workerinput"):  # the controller writes the reports
        for what, path in (("HTML", config.option.harness_html), ("JSON", config.option.harness_json)):
            if path:
                config.pluginmanager.register(SessionReport(config, state.seed, what, path), f"harness-{what.lower()}")


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """pytest-xdist (controller): every worker gets the controller's run seed."""
    node.workerinput["harness_seed"] = _state(node.config).seed


def pytest_report_header(config: pytest.Config) -> list[str]:
    state = _state(config)
    said = state.project_says("trials", "harness_trials")
    if state.command_line.trials is not None:
        trials = f"{state.command_line.trials} (--harness-trials)"
    elif said:
        trials = f"{said[0]} (unless a scenario's run.trials says; {said[1]})"
    else:
        trials = "each scenario's run.trials (default 200)"
    inject = ""
    if state.command_line.inject == "none":
        inject = ", timing injection off (--harness-inject none)"
    elif state.command_line.inject is not None:
        inject = f", inject: {state.command_line.inject} (--harness-inject)"
    elif state.project_says("inject", "") == ("none", "[tool.harness] inject"):
        inject = ", timing injection off unless a scenario's run.timing says ([tool.harness] inject)"
    shard = state.command_line.shard
    part = f", shard {shard[0]}/{shard[1]} (--harness-shard)" if shard else ""
    line = (f"harness: seed {state.seed} (rerun with --harness-seed {state.seed}), "
            f"start methods: {state.methods_text()}, trials: {trials}{inject}{part}")
    return [line]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    """A scenario item's call report carries its JSON entry when a report file was asked for
    (a string attribute: xdist sends a report's attributes from the worker to the controller)."""
    outcome = yield
    if (call.when == "call" and isinstance(item, ScenarioItem) and item.result is not None
            and (item.config.option.harness_html or item.config.option.harness_json)):
        from .report.json_report import scenario_entry, strict

        outcome.get_result().harness_entry = json.dumps(strict(scenario_entry(item.result)), default=str)


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if file_path.suffix not in SCENARIO_SUFFIXES:
        return None
    state = parent.config.stash.get(_STATE, None)
    if state is None or not state.wants(file_path):
        return None
    return ScenarioFile.from_parent(parent, path=file_path)


# -- collection and items --------------------------------------------------------------------

class ScenarioFailed(Exception):
    """A failed verdict; its repr is the harness's failure text."""

    def __init__(self, result):
        super().__init__(result.name)
        self.result = result


class ScenarioFile(pytest.File):
    """One scenario file: one item per start method the scenario resolves to."""

    def collect(self):
        from .load import load_scenario
        from .ops.call_targets import check_call_targets

        state = _state(self.config)
        name = state.display_path(self.path)
        try:
            loaded = load_scenario(self.path)
            check_call_targets([loaded])
            scenario = replace(loaded, path=name)
        except ScenarioError as exc:
            problems = [replace(p, path=name) if p.path == str(self.path) else p for p in exc.problems]
            raise self.CollectError(str(ScenarioError(problems))) from None
        for job in state.jobs(scenario):
            item = ScenarioItem.from_parent(self, name=f"{scenario.name}[{job.settings.start_method}]",
                                            scenario=scenario, settings=job.settings)
            item.add_marker("harness")
            item.add_marker("harness_canary" if scenario.is_canary else "harness_safe")
            yield item
        if self.config.option.harness_mutate and not scenario.is_canary:
            yield from self._mutant_items(scenario, state.jobs(scenario))

    def _mutant_items(self, scenario, jobs):
        """--harness-mutate: one item per mutant that can be run and start method."""
        from .mutate.derive import derive
        from .mutate.run import check_survives

        derivation = derive(scenario)
        try:
            check_survives([derivation])
        except ScenarioError as exc:
            raise self.CollectError(str(exc)) from None
        for job in jobs:
            for mutant in derivation.mutants:
                if mutant.equivalent:
                    continue  # the plan proves it cannot race: nothing to run
                item = MutantItem.from_parent(self, name=f"{scenario.name}[{job.settings.start_method}]"
                                              f"-mutant-{mutant.id}", scenario=scenario, settings=job.settings,
                                              mutant=mutant)
                item.add_marker("harness")
                item.add_marker("harness_mutant")
                yield item

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, ScenarioError):  # defensive: never a traceback for user input
            return str(excinfo.value)
        return super().repr_failure(excinfo)


class ScenarioItem(pytest.Item):
    """One scenario under one start method."""

    def __init__(self, *, scenario, settings, **kwargs):
        super().__init__(**kwargs)
        self.scenario = scenario
        self.settings = settings
        self.result = None

    def runtest(self) -> None:
        from .api import run_scenario
        from .report.console import result_lines

        scenario = self.scenario
        if Path.cwd() != _state(self.config).invocation_dir:  # a test moved away: keep the file findable
            scenario = replace(scenario, path=str(self.path))
        result = run_scenario(scenario, self.settings)  # silences the fork warning itself
        self.result = result
        line = result_lines(result)
        self.user_properties.append(("harness_seed", result.seed))
        self.user_properties.append(("harness_summary", line))
        if result.certificate:
            self.user_properties.append(("harness_certificate", result.certificate["text"]))
        self.add_report_section("call", "harness", line)
        if not result.passed:
            raise ScenarioFailed(result)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ScenarioFailed):
            from .report.console import expected_words, failure_details, failure_reason

            # the first line is what pytest's short summary shows: what happened, in a few words
            result = excinfo.value.result
            lines = [failure_reason(result), f"  {expected_words(result)} ({result.file})",
                     *failure_details(result), f"  rerun in pytest: {self.pytest_rerun()}"]
            return "\n".join(lines)
        return super().repr_failure(excinfo, style)

    def pytest_rerun(self) -> str:
        state = _state(self.config)
        # the start method too: without it, only the default method's item would be collected
        words = ["pytest", self.nodeid, "--harness-seed", str(self.settings.seed),
                 "--harness-start-method", self.settings.start_method]
        if state.command_line.trials is not None:
            words += ["--harness-trials", str(state.command_line.trials)]
        if state.command_line.inject is not None:
            words += ["--harness-inject", state.command_line.inject]
        if state.command_line.strategy is not None:
            words += ["--harness-strategy", state.command_line.strategy]
        if state.command_line.shard is not None:
            words += ["--harness-shard", "/".join(map(str, state.command_line.shard))]
        return " ".join(shlex.quote(w) for w in words)

    def reportinfo(self):
        return self.path, None, f"{self.scenario.name} [{self.settings.start_method}]"


class MutantSurvived(Exception):
    """A mutant that survived and that the scenario does not list in expect.survives."""

    def __init__(self, outcome):
        super().__init__(outcome.mutant.id)
        self.outcome = outcome


class MutantItem(pytest.Item):
    """One mutant of a safe scenario under one start method (``--harness-mutate``): passes
    when a trial races (the scenario kills it), or when it survives as expect.survives says."""

    def __init__(self, *, scenario, settings, mutant, **kwargs):
        super().__init__(**kwargs)
        self.scenario, self.settings, self.mutant = scenario, settings, mutant

    def runtest(self) -> None:
        from .mutate.run import run_mutant

        mutant = self.mutant
        if Path.cwd() != _state(self.config).invocation_dir:  # a test moved away: keep the file findable
            mutant = replace(mutant, scenario=replace(mutant.scenario, path=str(self.path)))
        outcome = run_mutant(mutant, self.settings, mutant.id in self.scenario.expect.survives)
        if outcome.unexpected:
            raise MutantSurvived(outcome)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, MutantSurvived):
            from .report.console import failure_reason

            o = excinfo.value.outcome
            first = (f"mutant {o.mutant.id} could not run: {failure_reason(o.result)}" if o.status == "error"
                     else f"mutant {o.mutant.id} survived {o.result.trials_run} trials")
            return "\n".join([first, f"  {o.mutant.what} ({self.scenario.path})", f"  why: {o.why}",
                              *(f"  {line}" for line in o.mutant.diff.splitlines()),
                              f"  accept it: add {o.mutant.id} to expect.survives"])
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, f"{self.scenario.name} [{self.settings.start_method}] mutant {self.mutant.id}"


# -- the report files ------------------------------------------------------------------------

class SessionReport:
    """``--harness-html`` / ``--harness-json``: a plugin of the controlling process that gathers
    the scenario items' JSON entries from their call reports (its own, or its xdist workers')
    and writes the page or the JSON report when the session ends, interrupted or not."""

    def __init__(self, config: pytest.Config, seed: int, what: str, path: str):
        from .errors import UsageError
        from .output import check_writable

        self.what = what
        self.path = os.path.join(config.invocation_params.dir, path)
        try:
            check_writable(self.path, f"the {what} report")
        except UsageError as exc:
            raise pytest.UsageError(str(exc)) from None
        self.seed = seed
        self.command = " ".join(["pytest", *map(shlex.quote, config.invocation_params.args)])
        self.began = time.perf_counter()
        self.entries: list[dict] = []
        self.outcome = ""  # what the terminal summary says about the file

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        entry = getattr(report, "harness_entry", None)
        if entry:
            self.entries.append(json.loads(entry))

    def render(self, doc: dict) -> str:
        if self.what == "JSON":
            from .report.json_report import strict

            return json.dumps(strict(doc), indent=2, default=str, allow_nan=False) + "\n"
        from .report.html import document_html

        return document_html(doc, command=self.command, duration_s=time.perf_counter() - self.began)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus) -> None:
        from .output import write_atomically
        from .report.json_report import document

        order = {m: n for n, m in enumerate(METHOD_CHOICES)}
        # xdist workers report in any order: sort as a serial run would have run them
        entries = sorted(self.entries, key=lambda e: (e["file"], e["name"], order.get(e["start_method"], 9)))
        interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
        try:
            write_atomically(self.path, self.render(document(self.seed, entries, interrupted)))
        except OSError as exc:
            self.outcome = f"harness: cannot write the {self.what} report {self.path}: {exc.strerror or exc}"
            session.exitstatus = pytest.ExitCode.INTERNAL_ERROR
            return
        self.outcome = f"harness: {self.what} report of {len(entries)} scenario item(s) written to {self.path}"

    def pytest_terminal_summary(self, terminalreporter) -> None:
        terminalreporter.write_line(self.outcome)
