"""The public API that the command line and the pytest plugin both drive.

Promise: :func:`run_scenario` runs one scenario under one start method and returns its
:class:`~harness.results.ScenarioResult`; :func:`run_all` runs many and returns a
:class:`RunReport`, marking it interrupted (with every finished trial kept) when Ctrl-C or
SIGTERM stops it. Neither prints: progress goes to the ``on_trial`` callback.
"""

from __future__ import annotations

import shlex
import time

from .controlled import Locations, ReplayError, certificate_of, describe_schedule, new_search
from .execute import WorkerStartError, execute
from .plan import make_plan
from .detect import DETECTORS, detect_all
from .records import field, record
from .results import ScenarioResult, Tally, TrialResult
from .scenario import Scenario
from .settings import RunSettings, ScenarioSettings


@record
class RunReport:
    seed: int
    results: list[ScenarioResult] = field(default_factory=list)
    interrupted: bool = False
    duration_s: float = 0.0  # wall time of the whole run

    @property
    def passed(self) -> bool:
        return not self.interrupted and all(r.passed for r in self.results)


def rerun_command(result: ScenarioResult) -> str:
    replay = (result.example or {}).get("replay")
    if replay:  # the token names the seed, the trial and the schedule
        return " ".join(shlex.quote(w) for w in ("harness", "run", result.file, "--start-method",
                                                 result.start_method, "--replay", replay))
    words = ["harness", "run", result.file, "--seed", str(result.seed), "--start-method", result.start_method]
    # a controlled trial (it has a trace) whose switches overflowed their log has no token; what
    # led up to it under the same seed and search is what reruns it, not its number alone
    controlled = result.example is not None and "trace" in result.example
    if controlled:
        words += ["--trials", str(result.example["trial"])]
    elif result.example is not None:
        words += ["--trial", str(result.example["trial"])]
    elif result.replayed_trial is not None:
        words += ["--trial", str(result.replayed_trial), "--trials", str(result.trials_planned)]
    else:
        words += ["--trials", str(result.trials_planned)]
        if result.shard:  # the same part of the same run
            words += ["--shard", f"{result.shard[0]}/{result.shard[1]}"]
    if not result.injected:
        words.append("--no-inject")
    elif result.inject == "random":
        words += ["--inject", "random"]  # not the default (mixed): a rerun must say so
    elif result.inject == "mixed" and result.example is not None and not controlled:
        words += ["--inject", "random"]  # a mixed run's free trial: its delays are the random policy's
    elif result.inject in ("controlled", "mixed"):
        words += ["--inject", result.inject, "--strategy", result.strategy]
    return " ".join(shlex.quote(w) for w in words)


def _new_result(scenario: Scenario, settings: ScenarioSettings) -> ScenarioResult:
    result = ScenarioResult(scenario.name, scenario.path, settings.start_method, scenario.expect.anomaly,
                            settings.seed, settings.trials, scenario.description,
                            injected=settings.timing.policy != "none", inject=settings.timing.policy,
                            strategy=settings.timing.strategy,
                            replayed_trial=settings.first_trial if settings.replay else None,
                            shard=settings.shard if settings.shard[1] > 1 else None)
    result.rerun = rerun_command(result)
    return result


def run_scenario(scenario: Scenario, settings: ScenarioSettings, on_trial=None, plan=None) -> ScenarioResult:
    """Run one scenario under one start method. KeyboardInterrupt propagates after the
    result (kept in ``on_trial``'s view and marked interrupted) has its finished trials."""
    return _run_into(_new_result(scenario, settings), scenario, settings, on_trial, plan)


def judge(plan, raw, locations=None) -> TrialResult:
    """A trial as the executor saw it, with what the detectors see in it: every detector when
    the final array means something, else those that judge from the reports alone (a crash
    or hang makes the array meaningless; what was read still counts). A failed controlled
    trial also gets its replay token and the trace that explains it (``locations``: where
    the user's code is, :class:`harness.controlled.Locations`)."""
    detectors = DETECTORS if raw.final is not None else [d for d in DETECTORS if not d.needs_final]
    anomalies = list(raw.anomalies) + detect_all(plan, raw.final, raw.reports, detectors)
    output = tuple((r.worker, r.output) for r in raw.reports if r.output) if anomalies else ()
    trial = TrialResult(raw.trial, tuple(anomalies), output)
    if raw.schedule is not None and trial.failures:
        schedule = describe_schedule(plan, raw.schedule, trial.failures, locations or Locations(plan))
        trial = TrialResult(raw.trial, trial.anomalies, output, schedule)
    return trial


def _run_into(result: ScenarioResult, scenario: Scenario, settings: ScenarioSettings, on_trial, plan):
    plan = plan or make_plan(scenario)
    tally = Tally(result, scenario.array.size)
    locations = Locations(plan)
    began = time.perf_counter()
    search = new_search(settings, len(plan.processes))
    trials = execute(plan, settings, search)
    try:
        for raw in trials:
            trial = judge(plan, raw, locations)
            tally.add(trial)
            if on_trial is not None:
                on_trial(result, trial)
            if tally.should_stop(trial, settings.stop_on_detection):
                break
            if settings.replay and trial.failures and settings.stop_on_detection:
                break  # the failure showed again: reproduced (--all-trials: count how often)
    except (WorkerStartError, ReplayError) as exc:
        result.error = str(exc)
    except KeyboardInterrupt:
        result.interrupted = True
        raise
    finally:
        trials.close()
        result.duration_s = time.perf_counter() - began
        result.certificate = certificate_of(result, settings, search)
        result.rerun = rerun_command(result)
    return result


def shrink(result: ScenarioResult, job):
    """The smallest example of a result's race (:mod:`harness.shrinking`), or None when it
    does not show again under the controlled scheduler."""
    from .shrinking import shrink as shrink_race

    return shrink_race(result, job.scenario, job.settings, run_scenario)


def shrunk_entry(shrunk) -> dict:
    """What a result's report says of its shrunk race (None: the race did not show again)."""
    if shrunk is None:
        return {"found": False}
    return {"found": True, "path": shrunk.path, "replay": shrunk.replay, "workers": shrunk.workers,
            "elements": shrunk.elements, "loops": shrunk.loops, "context_switches": shrunk.switches,
            "was": shrunk.was, "trials": shrunk.trials, "example": shrunk.result.example,
            "rerun": shrunk.result.rerun}


def run_all(run: RunSettings, on_trial=None, on_result=None) -> RunReport:
    """Run every job of a resolved run (:func:`harness.settings.resolve`), in order.
    Interrupted, the report ends with the job that was running, marked interrupted, even
    before its first trial finished."""
    report = RunReport(run.seed)
    current = None  # the scenario run that has begun
    plans: dict[int, object] = {}  # one plan per scenario, shared by its start methods
    began = time.perf_counter()
    try:
        for job in run.jobs:
            if id(job.scenario) not in plans:
                plans[id(job.scenario)] = make_plan(job.scenario)
            current = _new_result(job.scenario, job.settings)
            _run_into(current, job.scenario, job.settings, on_trial, plans[id(job.scenario)])
            report.results.append(current)
            if on_result is not None:
                on_result(current)
    except KeyboardInterrupt:
        report.interrupted = True
        if current is not None and (not report.results or report.results[-1] is not current):
            current.interrupted = True
            report.results.append(current)
    report.duration_s = time.perf_counter() - began
    return report
