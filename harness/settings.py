"""Run settings: what the command line or the pytest options say, merged with a scenario's
own ``run:`` section into the frozen settings of one scenario run.

Promise: precedence is command line, then the scenario file, then the defaults; the run
seed is chosen once per run (when nobody gave one) so every scenario of a run shares it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
from dataclasses import dataclass

from .messages import TimingSpec
from .schema import MAX_SEED, MAX_TRIALS
from .scenario import DEFAULT_TIMEOUT_S, Scenario


@dataclass(frozen=True)
class RunOptions:
    """Overrides from the command line or pytest; None means: as the scenario says."""

    trials: int | None = None
    seed: int | None = None
    start_methods: tuple[str, ...] | None = None  # "all" already expanded
    inject: bool | None = None  # False: --no-inject
    trial: int | None = None  # replay only this trial number (a rerun); trials: how many times
    stop_on_detection: bool | None = None


@dataclass(frozen=True)
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


# the trial timeout, when the file gives none, allows this much per element step of the
# built-in operations: ten times what one costs (2.5 to 3 us, README and scaling.py), for slow
# or busy machines, coverage tracing and more processes than cores
STEP_BUDGET_S = 30e-6


def element_steps(scenario: Scenario) -> int:
    """How many element steps a trial's built-in operations take, all processes together
    (a call worker's are its own code's business, and unknown)."""
    steps = 0
    for g in scenario.workers:
        if g.op != "call":
            span = g.stop - g.start
            steps += g.loops * (span if g.partition else span * g.count)
    return steps


def trial_timeout_s(scenario: Scenario) -> float:
    """``run.timeout_s`` when the file gives it; else the default, or more for a trial so
    large (a 10^7-element array) that its healthy workers would pass the default."""
    run = scenario.run
    if run.timeout_given:
        return run.timeout_s
    sleeps = sum(g.loops * g.think_us for g in scenario.workers) * 1e-6
    return max(DEFAULT_TIMEOUT_S, round(element_steps(scenario) * STEP_BUDGET_S + sleeps))


# a rerun replays the failed trial's delays this many times (unless --trials says): the OS
# schedules differently each time, so one replay shows a rare race again only sometimes
REPLAYS = 20


def default_start_method() -> str:
    return multiprocessing.get_context().get_start_method()


def new_seed() -> int:
    return random.SystemRandom().randrange(1, 2**32)


def resolve(scenario: Scenario, options: RunOptions, run_seed: int) -> list[ScenarioSettings]:
    run = scenario.run
    methods = options.start_methods or run.start_methods or (default_start_method(),)
    seed = options.seed if options.seed is not None else (run.seed if run.seed is not None else run_seed)
    trials = options.trials if options.trials is not None else run.trials
    first = 1
    replay = options.trial is not None
    if replay:
        first, trials = options.trial, options.trials if options.trials is not None else REPLAYS
    # --no-inject turns injection off; nothing turns on what the file turned off
    policy = "none" if options.inject is False else run.timing.inject
    timing = TimingSpec(policy, run.timing.probability, run.timing.max_delay_us)
    stop = options.stop_on_detection if options.stop_on_detection is not None else run.stop_on_detection
    timeout = trial_timeout_s(scenario)
    return [ScenarioSettings(m, trials, seed, first, timeout, stop, timing, replay) for m in methods]


# -- option parsers shared by the command line and the pytest plugin -------------------------

ALL_METHODS = ("fork", "spawn", "forkserver")
METHOD_CHOICES = (*ALL_METHODS, "all")


def expand_start_methods(choices, where: str) -> tuple[str, ...] | None:
    """Expand ``all`` and drop duplicates, keeping the order given; a method this platform
    lacks is a ValueError (one line, naming ``where``) unless it came from ``all``."""
    if not choices:
        return None
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


def seed_int(text: str) -> int:
    """A run seed, as the schema allows for run.seed."""
    return _whole_number(text, 0, MAX_SEED)
