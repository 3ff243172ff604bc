"""Running mutants: each safe scenario, then each of its mutants, through the public API.

Promise: :func:`mutate_all` runs every job of a resolved run (a safe scenario under one start
method) once as it is (the baseline: a scenario that already fails says nothing about its
mutants, which are then not run), then every mutant that is not equivalent, with the settings
:func:`mutant_settings` chooses, and returns a :class:`MutationReport`. A mutant is *killed*
when its run fails (a race, or a crash or hang it caused), *survives* when every trial was ok,
and is *equivalent* (not run) when the plan proves it cannot race. The report is marked
interrupted when Ctrl-C or SIGTERM stops it. Nothing here prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..api import run_scenario
from ..errors import Problem, ScenarioError
from ..results import ScenarioResult
from ..scenario import Scenario
from ..schema import LOCK_SCOPES
from ..settings import ScenarioSettings
from .derive import Derivation, Mutant

# controlled trials per mutant: the directed search aims at each predicted race in its own
# trial, so a race that is there shows within a few (the bundled mutants: trial 1 or 2)
CONTROLLED_TRIALS = 100
# then timing injection: this many times its scenario's trials, and at least MIN_MUTANT_TRIALS
TRIALS_FACTOR = 5
MIN_MUTANT_TRIALS = 500


def mutant_settings(base: ScenarioSettings, scenario: Scenario, trials: int | None = None) -> list[ScenarioSettings]:
    """How hard one mutant is searched, in turn until one shows a race: the one place that
    chooses. First the controlled scheduler's directed search (a random trial, then each race
    predicted from its trace aimed at in its own trial), ``CONTROLLED_TRIALS`` trials; then
    seeded timing injection, ``TRIALS_FACTOR`` times the scenario's trials and at least
    ``MIN_MUTANT_TRIALS``, because a slice or a numpy operation is one step under control and only
    real timing tears it. ``trials`` (from the command line) is each one's budget."""
    searched = replace(base, first_trial=1, replay=False, stop_on_detection=True, follow=None)
    controlled = replace(searched, trials=trials or CONTROLLED_TRIALS,
                         timing=replace(base.timing, policy="controlled", strategy="directed"))
    timed = replace(searched, trials=trials or max(base.trials * TRIALS_FACTOR, MIN_MUTANT_TRIALS),
                    timing=replace(base.timing, policy="random"))
    return [controlled, timed]


@dataclass
class MutantOutcome:
    mutant: Mutant
    result: ScenarioResult | None  # None: not run (equivalent)
    expected: bool = False  # listed in the scenario's expect.survives

    @property
    def status(self) -> str:
        """killed, survived, equivalent (not run: the plan proves it cannot race), or error."""
        if self.result is None:
            return "equivalent"
        if self.result.error:
            return "error"
        outcomes = self.result.outcomes
        failed = sum(n for kind, n in outcomes.items() if kind not in ("ok", "uncontrolled"))
        return "killed" if failed else "survived"

    @property
    def unexpected(self) -> bool:
        """A survivor the scenario does not list in expect.survives, or a mutant that could not run."""
        return self.status == "error" or (self.status == "survived" and not self.expected)

    @property
    def why(self) -> str:
        """Why it may have survived (or why it was not run), from what can be measured."""
        m, status = self.mutant, self.status
        if status == "equivalent":
            return f"equivalent, not run: the plan shows it cannot race: {m.reason}"
        if status != "survived":
            return ""
        trials = self.result.trials_run
        if m.plan_says == "alone":
            return (f"the lock guards nothing another process touches: {m.reason} (an unneeded lock, or "
                    f"ranges too small to share an index); no race in {trials} trials")
        if m.plan_says == "race":
            return (f"scenario too small or search too weak: not seen in {trials} trials, but the plan "
                    f"says {m.reason}; raise loops or trials")
        return (f"not seen in {trials} trials; the plan cannot tell for user code whether the change lets "
                "another process in: raise loops or trials, or list it in expect.survives if the lock "
                "is truly unneeded")


@dataclass
class ScenarioMutation:
    scenario: Scenario
    start_method: str
    baseline: ScenarioResult
    outcomes: list[MutantOutcome] = field(default_factory=list)
    notes: tuple[str, ...] = ()

    @property
    def ran(self) -> list[MutantOutcome]:
        return [o for o in self.outcomes if o.status in ("killed", "survived")]

    @property
    def killed(self) -> int:
        return sum(o.status == "killed" for o in self.outcomes)

    @property
    def score(self) -> float | None:
        """Killed mutants among those run (equivalent ones are not run); None when none ran."""
        return self.killed / len(self.ran) if self.ran else None

    @property
    def passed(self) -> bool:
        return self.baseline.passed and not any(o.unexpected for o in self.outcomes)

    def weakest_locks(self) -> list[dict]:
        """Per built-in group that takes a lock: the weakest scope that still verified (the
        plan proves it safe, or no trial raced), walking down from its own scope."""
        by_id = {o.mutant.id: o for o in self.outcomes}
        out = []
        for g in self.scenario.workers:
            ids = [f"lock:{g.name}:{s}" for s in LOCK_SCOPES[::-1] if f"lock:{g.name}:{s}" in by_id]
            if not ids:
                continue
            weakest, basis = g.lock, "its own scope"
            for mutant_id in ids:
                o = by_id[mutant_id]
                if o.status not in ("equivalent", "survived"):
                    break
                weakest = mutant_id.rsplit(":", 1)[1]
                basis = ("the plan proves it cannot race" if o.status == "equivalent"
                         else f"no race in {o.result.trials_run} trials")
            out.append({"group": g.name, "scope": g.lock, "weakest": weakest, "basis": basis})
        return out


@dataclass
class MutationReport:
    seed: int
    scenarios: list[ScenarioMutation] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # canaries: they have no mutants
    interrupted: bool = False
    duration_s: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.interrupted and all(s.passed for s in self.scenarios)


def check_survives(derivations: list[Derivation]) -> None:
    """Every id in a scenario's expect.survives names one of its mutants (exit 2 else)."""
    problems = []
    for d in derivations:
        ids = [m.id for m in d.mutants]
        expect = d.scenario.expect
        for n, mutant_id in enumerate(expect.survives):
            if mutant_id not in ids:
                line, col = expect.survives_at[n] if n < len(expect.survives_at) else (1, 1)
                problems.append(Problem(d.scenario.path, line, col, f"expect.survives[{n}]: found {mutant_id!r}, "
                                        f"but the scenario has no such mutant; its mutants: {', '.join(ids) or 'none'}"))
    if problems:
        raise ScenarioError(problems)


def mutate_all(jobs, derivations: dict, seed: int, trials: int | None = None, on_scenario=None) -> MutationReport:
    """Run each job's baseline, then its mutants. ``derivations``: the :class:`Derivation` of
    each job's scenario, by ``id(scenario)``; ``on_scenario(scenario_mutation)`` is called
    when a job is done."""
    import time

    report = MutationReport(seed)
    began = time.perf_counter()
    try:
        for job in jobs:
            derivation = derivations[id(job.scenario)]
            current = ScenarioMutation(job.scenario, job.settings.start_method, run_scenario(job.scenario, job.settings),
                                       notes=derivation.notes)
            report.scenarios.append(current)
            if current.baseline.passed:  # one that fails as it is: its mutants would say nothing
                for mutant in derivation.mutants:
                    expected = mutant.id in job.scenario.expect.survives
                    current.outcomes.append(run_mutant(mutant, job.settings, expected, trials))
            if on_scenario is not None:
                on_scenario(current)
    except KeyboardInterrupt:
        report.interrupted = True
    report.duration_s = time.perf_counter() - began
    return report


def run_mutant(mutant: Mutant, settings: ScenarioSettings, expected: bool = False,
               trials: int | None = None) -> MutantOutcome:
    """One mutant, with the settings :func:`mutant_settings` makes of its scenario's
    ``settings``; an equivalent one is not run."""
    if mutant.equivalent:
        return MutantOutcome(mutant, None, expected)
    # run as a canary of any race, so its run stops at the first one (a safe scenario's runs on)
    hunt = replace(mutant.scenario, expect=replace(mutant.scenario.expect, anomaly="any"))
    for search in mutant_settings(settings, mutant.scenario, trials):
        result = run_scenario(hunt, search)
        outcome = MutantOutcome(mutant, result, expected)
        if outcome.status != "survived":
            break
    return outcome
