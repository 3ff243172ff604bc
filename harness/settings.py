"""Run settings: every source of a run's settings, resolved once into one frozen object.

Promise: :func:`resolve` is the only place where the sources meet. Its one precedence, for
``harness run`` and the pytest plugin alike, is

    command line > the scenario file's ``run:`` > project settings > built-in defaults

where the project settings are ``[tool.harness]`` in ``pyproject.toml`` (:mod:`harness.project`)
and, under pytest, the ini settings (which come before ``[tool.harness]``: the more specific
file wins). The run seed is chosen once per run (when no source gives one), so every scenario
of a run shares it. The shells (``cli``, ``pytest_plugin``) only parse their sources into
:class:`RunOptions` and hand them over.
"""

from __future__ import annotations

import argparse

from .messages import TimingSpec
from .records import record
from .scenario import DEFAULT_TIMEOUT_S, DEFAULT_TRIALS, Scenario
from .schema import MAX_DEPTH, MAX_SEED, MAX_TRIALS, START_METHODS


@record(frozen=True)
class RunOptions:
    """What one source says about a run (the command line, ``[tool.harness]``, pytest's ini);
    None: that source says nothing, the next one down decides."""

    trials: int | None = None
    seed: int | None = None
    start_methods: tuple[str, ...] | None = None  # "all" already expanded
    timeout_s: float | None = None
    inject: str | None = None  # random | none | controlled (--no-inject and inject = false: none)
    trial: int | None = None  # command line only: replay this trial (a rerun); trials: how many times
    stop_on_detection: bool | None = None  # command line only: False is --all-trials
    strategy: str | None = None  # the controlled scheduler's strategy
    depth: int | None = None  # PCT's depth
    replay: str | None = None  # command line only: a replay token (implies inject controlled)
    shard: tuple[int, int] | None = None  # command line only: (K, N), this run's part (harness.shard)


@record(frozen=True)
class ScenarioSettings:
    """Everything one run of one scenario under one start method needs."""

    start_method: str
    trials: int
    seed: int
    first_trial: int
    timeout_s: float
    stop_on_detection: bool
    timing: TimingSpec
    replay: bool = False  # every trial is first_trial again (its seeded delays), until one fails
    follow: object = None  # a decoded replay token (harness.scheduler.token.Replay): its schedule, each trial
    shard: tuple[int, int] = (1, 1)  # (K, N): the part of the trials or search tree this run takes


@record(frozen=True)
class Job:
    """One scenario under one start method, with its settings."""

    scenario: Scenario
    settings: ScenarioSettings


@record(frozen=True)
class RunSettings:
    """A whole run: its seed and every job, in order (scenarios in the order given, each
    under its start methods)."""

    seed: int
    jobs: tuple[Job, ...]

    @property
    def total_trials(self) -> int:
        return sum(job.settings.trials for job in self.jobs)


# the controlled scheduler's default search: a random first trial, then the races predicted from
# its trace, each aimed at in its own trial (between random ones). On the bundled canaries it
# found every race in trial 1 or 2, where random choices missed a shared index among 10,000 and
# PCT missed several in 200 trials (README, "The controlled scheduler")
DEFAULT_STRATEGY = "directed"

# what a run does when nothing says otherwise (README, "Choosing the default")
DEFAULT_INJECT = "mixed"

# a rerun replays the failed trial's delays this many times (unless --trials says): the OS
# schedules differently each time, so one replay shows a rare race again only sometimes
REPLAYS = 20


def default_start_method() -> str:
    import multiprocessing

    return multiprocessing.get_context().get_start_method()


def new_seed() -> int:
    import random

    return random.SystemRandom().randrange(1, 2**32)


# the trial timeout, when no source gives one, allows this much per element step of the
# built-in operations: ten times what one costs (2.5 to 3 us, README and scaling.py), for slow
# or busy machines, coverage tracing and more processes than cores
STEP_BUDGET_S = 30e-6


def element_steps(scenario: Scenario) -> int:
    """How many element steps a trial's built-in operations take, all processes together
    (a call worker's are its own code's business, and unknown)."""
    from .ops import op_of

    steps = 0
    for g in scenario.workers:
        if not op_of(g.op).user_code:
            span = g.stop - g.start
            steps += g.loops * (span if g.partition else span * g.count)
    return steps


def default_timeout_s(scenario: Scenario) -> float:
    """The trial timeout when no source gives one: the default, or more for a trial so large
    (a 10^7-element array) that its healthy workers would pass the default."""
    sleeps = sum(g.loops * g.think_us for g in scenario.workers) * 1e-6
    return max(DEFAULT_TIMEOUT_S, round(element_steps(scenario) * STEP_BUDGET_S + sleeps))


def _first(*values):
    """The first value that is not None: the precedence, source by source."""
    return next((v for v in values if v is not None), None)


def resolve(scenarios, command_line: RunOptions = RunOptions(), project: tuple[RunOptions, ...] = (), *,
            run_seed: int | None = None, default_method: str | None = None) -> RunSettings:
    """Resolve every source into the settings of one run.

    ``project``: the project's sources, most specific first (under pytest: the ini, then
    ``[tool.harness]``). ``run_seed``: the seed already chosen for this run elsewhere (an
    xdist worker gets its controller's), used when no source gives one. ``default_method``:
    the start method when no source names one (default: the platform's)."""
    token_seed = decode_replay(command_line.replay).seed if command_line.replay else None
    seed = _first(token_seed, command_line.seed, *(p.seed for p in project), run_seed)
    seed = seed if seed is not None else new_seed()
    jobs = tuple(Job(s, settings) for s in scenarios
                 for settings in _scenario_settings(s, command_line, project, seed, default_method))
    return RunSettings(seed, jobs)


def _scenario_settings(scenario: Scenario, cli: RunOptions, project: tuple[RunOptions, ...], run_seed: int,
                       default_method: str | None) -> list[ScenarioSettings]:
    run = scenario.run
    methods = (_first(cli.start_methods, run.start_methods, *(p.start_methods for p in project))
               or (default_method or default_start_method(),))
    seed = _first(cli.seed, run.seed, run_seed)
    trials = _first(cli.trials, run.trials, *(p.trials for p in project), DEFAULT_TRIALS)
    first, replay = 1, cli.trial is not None
    if replay:
        first, trials = cli.trial, _first(cli.trials, REPLAYS)
    follow = decode_replay(cli.replay) if cli.replay else None
    if follow is not None:  # the token names its trial and seed: one exact rerun, unless --trials says
        seed, first, replay, trials = follow.seed, follow.trial, True, _first(cli.trials, 1)
    timeout_s = _first(cli.timeout_s, run.timeout_s, *(p.timeout_s for p in project), default_timeout_s(scenario))
    policy = "controlled" if follow is not None else _first(
        cli.inject, run.timing.inject, *(p.inject for p in project), DEFAULT_INJECT)
    strategy = _first(cli.strategy, run.strategy, *(p.strategy for p in project), DEFAULT_STRATEGY)
    if strategy == "exhaustive" and policy == "mixed":
        policy = "controlled"  # an exhaustive search covers every interleaving only if it runs every trial
    timing = TimingSpec(policy, run.timing.probability, run.timing.max_delay_us, strategy,
                        _first(cli.depth, run.depth, *(p.depth for p in project), 3))
    stop = _first(cli.stop_on_detection, run.stop_on_detection, True)
    shard = cli.shard or (1, 1)
    return [ScenarioSettings(m, trials, seed, first, timeout_s, stop, timing, replay, follow, shard) for m in methods]


def decode_replay(text: str):
    """A replay token, decoded, or a UsageError saying why it is not one."""
    from .errors import UsageError
    from .scheduler.token import decode

    try:
        return decode(text.strip())
    except ValueError as exc:
        raise UsageError(f"--replay {text!r}: not a replay token: {exc}") from None


# -- option parsers shared by the command line, the pytest plugin and [tool.harness] ---------

ALL_METHODS = START_METHODS  # one list of start methods: the schema's
METHOD_CHOICES = (*ALL_METHODS, "all")


def expand_start_methods(choices, where: str) -> tuple[str, ...] | None:
    """Expand ``all`` and drop duplicates, keeping the order given; a method this platform
    lacks is a ValueError (one line, naming ``where``) unless it came from ``all``."""
    if not choices:
        return None
    import multiprocessing

    available = multiprocessing.get_all_start_methods()
    methods: list[str] = []
    for choice in choices:
        if choice not in METHOD_CHOICES:
            raise ValueError(f"{where}: found {choice!r}, allowed: {', '.join(METHOD_CHOICES)}")
        for one in ALL_METHODS if choice == "all" else (choice,):
            if one not in available:
                if choice == "all":
                    continue
                raise ValueError(f"{where}: start method {one!r} is not available on this platform; "
                                 f"allowed here: {', '.join(available)}")
            if one not in methods:
                methods.append(one)
    return tuple(methods)


def _whole_number(text: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"found {text!r}, allowed: a whole number >= {low}") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"found {text}, allowed: {low} to {high}")
    return value


def positive_int(text: str) -> int:
    """A trial count or trial number, as the schema allows for run.trials."""
    return _whole_number(text, 1, MAX_TRIALS)


def depth_int(text: str) -> int:
    """PCT's depth, as the schema allows for run.depth."""
    return _whole_number(text, 1, MAX_DEPTH)


def shard_pair(text: str) -> tuple[int, int]:
    """``--shard K/N``: this run's part of N (:mod:`harness.shard`)."""
    from .shard import parse

    try:
        return parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def seed_int(text: str) -> int:
    """A run seed, as the schema allows for run.seed."""
    return _whole_number(text, 0, MAX_SEED)
