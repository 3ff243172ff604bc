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
from .scenario import Scenario


@dataclass(frozen=True)
class RunOptions:
    """Overrides from the command line or pytest; None means: as the scenario says."""

    trials: int | None = None
    seed: int | None = None
    start_methods: tuple[str, ...] | None = None  # "all" already expanded
    inject: bool | None = None
    trial: int | None = None  # run only this trial number (a rerun)
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
    if options.trial is not None:
        first, trials = options.trial, 1
    inject = options.inject if options.inject is not None else run.timing.inject != "none"
    timing = TimingSpec(run.timing.inject if inject and run.timing.inject != "none" else
                        ("random" if inject else "none"),
                        run.timing.probability, run.timing.max_delay_us)
    stop = options.stop_on_detection if options.stop_on_detection is not None else run.stop_on_detection
    return [ScenarioSettings(m, trials, seed, first, run.timeout_s, stop, timing) for m in methods]


# -- option parsers shared by the command line and the pytest plugin -------------------------

def positive_int(text: str) -> int:
    """A trial count or trial number: 1 to 100,000,000."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"found {text!r}, allowed: a whole number >= 1") from None
    if not 1 <= value <= 100_000_000:
        raise argparse.ArgumentTypeError(f"found {text}, allowed: 1 to 100000000")
    return value


def seed_int(text: str) -> int:
    """A run seed: 0 to 2**63 - 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"found {text!r}, allowed: a whole number >= 0") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"found {text}, allowed: 0 to {2**63 - 1}")
    return value
