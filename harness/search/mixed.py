"""Mixed search: controlled trials where they pay, free trials with timing injection between.

Promise: :class:`MixedSearch` wraps a search over schedules. Its first trial is a timing
trial (plan strategy ``timing``: the workers run free with the ``random`` policy's delays),
which shows most easy races at a fraction of a controlled trial's cost; then, while the inner
search is aiming (the directed search's recording trial and each predicted race it has not yet
tried), every trial is controlled; after that, one trial in :data:`EVERY` is controlled (the
inner search's next plan) and the others are timing trials. A race inside code the scheduler sees as one
step (a numpy operation on the buffer) can only show in a free trial, and a free trial costs
a fraction of a controlled one; a race hidden among thousands of accesses needs the aim.
The certificate counts both kinds of clean trials.
"""

from __future__ import annotations

from . import certificate
from .plan import Execution, TrialPlan

EVERY = 4  # after the aimed trials: one controlled trial, then EVERY - 1 timing trials


class MixedSearch:
    def __init__(self, inner):
        self.inner = inner
        self.kind = "mixed"
        self.controlled = 0
        self.timing = 0
        self._after = 0  # trials planned since the inner search stopped aiming
        self._began = False  # the first trial (a timing one) is planned

    @property
    def finished(self) -> bool:
        return self.inner.finished

    # trial 1 is a timing trial: each shard records its own first controlled trial
    records_first = False

    def plan(self, trial: int) -> TrialPlan | None:
        if not self._began:
            self._began = True
            self.timing += 1
            return TrialPlan("timing")
        if not getattr(self.inner, "aiming", False):
            self._after += 1
            if self._after % EVERY != 1:
                self.timing += 1
                return TrialPlan("timing")
        self.controlled += 1
        return self.inner.plan(trial)

    def wants_events(self, trial: int) -> bool:
        return self.inner.wants_events(trial)

    def observe(self, trial: int, execution: Execution) -> None:
        self.inner.observe(trial, execution)

    def certificate(self, trials: int) -> dict:
        timing = min(self.timing, trials)
        inner = self.inner.certificate(trials - timing)
        return certificate.mixed(inner, timing)
