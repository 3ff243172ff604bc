"""Timing injection: policies that delay a worker at the points where races happen.

Promise: a policy is one small module exposing ``make(spec, seed, trial, worker, hot)``,
which returns an :class:`Injector` for one process in one trial. Its delays depend only on
(run seed, trial, worker), so a trial is named by its seed. The worker calls the injector
at four kinds of point: before an array access, between the read and the write of one
step, just after taking a lock and just before releasing one. A new policy (a controlled
scheduler, say) is one new module added to ``POLICIES``. Worker side: imports stay tiny.
"""

from __future__ import annotations

ACCESS = 0  # before an array access
BETWEEN = 1  # between the read and the write of one step
ACQUIRED = 2  # just after taking a lock
RELEASING = 3  # just before releasing a lock


class Injector:
    """The interface, and the no-op injector. ``active`` False lets hot loops skip calls."""

    active = False

    def at(self, point: int, index: int) -> None:
        """Maybe delay at ``point`` (one of the constants above) on array ``index``."""

    def sleep_scale(self) -> float:
        return 1.0


NO_DELAY = Injector()


def make_injector(spec, seed: int, trial: int, worker: int, hot: tuple) -> Injector:
    if spec.policy == "none" or spec.probability <= 0 or spec.max_delay_us <= 0:
        return NO_DELAY
    if spec.policy == "random":
        from . import random_delay

        return random_delay.make(spec, seed, trial, worker, hot)
    raise ValueError(f"unknown timing policy {spec.policy!r}")


POLICIES = ("random", "none")
