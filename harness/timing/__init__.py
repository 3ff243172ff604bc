"""Timing injection: policies that delay a worker at the points where races happen.

Promise: a policy is one small module exposing ``make(timing, seed, trial, process, contention)``
(the :class:`~harness.messages.TimingSpec`, the run seed, the trial number and the
:class:`~harness.messages.ProcessSpec`), which returns an :class:`Injector` for one process
in one trial. Its delays depend only on (run seed, trial, process) and, for user code, on
which indices earlier trials of the same processes saw contended
(:mod:`harness.timing.contention`), so a trial is named by its seed. The worker calls the injector
at four kinds of point: before an array access, between the read and the write of one
step, just after taking a lock and just before releasing one. A new policy (a controlled
scheduler, say) is one new module that :func:`make_injector` dispatches to, and its name in
``schema.INJECT_POLICIES``. A point inside a critical section
that the process holds carries the ``LOCKED`` flag (``point | LOCKED``). Worker side: imports stay tiny.
"""

from __future__ import annotations

ACCESS = 0  # before an array access
BETWEEN = 1  # between the read and the write of one step
ACQUIRED = 2  # just after taking a lock
RELEASING = 3  # just before releasing a lock
LOCKED = 4  # or-ed into a point inside a critical section the process holds


class Injector:
    """The interface, and the no-op injector. ``active`` False lets hot loops skip calls."""

    active = False

    def at(self, point: int, index: int) -> None:
        """Maybe delay at ``point`` (one of the constants above, maybe | LOCKED) on array
        ``index`` (-1 for lock boundaries)."""

    def finish(self) -> None:
        """The trial is over (what a policy learned may shape the next trial's delays)."""


NO_DELAY = Injector()


def make_injector(timing, seed: int, trial: int, process, contention=None) -> Injector:
    """``contention``: a call worker's :class:`~harness.timing.contention.ContentionMap`."""
    if timing.policy == "none" or timing.max_delay_us <= 0:
        return NO_DELAY
    if timing.policy == "random":
        from . import random_delay

        return random_delay.make(timing, seed, trial, process, contention)
    raise ValueError(f"unknown timing policy {timing.policy!r}")

