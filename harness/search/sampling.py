"""Sampling searches: ``random`` (a random choice at every point) and ``pct`` (probabilistic
concurrency testing with ``depth``). Each trial is a new sample named by (seed, trial); they
never finish on their own, and their certificates bound what the clean trials would miss."""

from __future__ import annotations

from . import certificate
from .plan import Execution, TrialPlan


class RandomSearch:
    kind = "random"
    finished = False  # a sampling search never runs out of samples

    def __init__(self, depth: int = 3):
        self.actors = 1
        self.steps = 1

    def plan(self, trial: int) -> TrialPlan | None:
        return TrialPlan("random")

    def observe(self, trial: int, execution: Execution) -> None:
        self.actors = max(self.actors, execution.actors)
        self.steps = max(self.steps, len(execution.events), execution.steps)

    def wants_events(self, trial: int) -> bool:
        return False

    def certificate(self, trials: int) -> dict:
        return certificate.sampled("random", trials)


class PctSearch(RandomSearch):
    kind = "pct"
    FIRST_ESTIMATE = 1000  # steps expected before any trial has run

    def __init__(self, depth: int = 3):
        super().__init__()
        self.depth = depth
        self.steps = 0

    def plan(self, trial: int) -> TrialPlan | None:
        # change points fall among the steps a trial takes: the longest one seen so far
        return TrialPlan("pct", depth=self.depth, estimate=self.steps or self.FIRST_ESTIMATE)

    def certificate(self, trials: int) -> dict:
        return certificate.pct(trials, self.depth, self.actors, self.steps or self.FIRST_ESTIMATE)
