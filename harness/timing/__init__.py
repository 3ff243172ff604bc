"""Timing policies: what happens at the points where a worker meets the array or a lock.

Promise: a policy is one small module exposing ``make(timing, seed, trial, process,
contention, board)`` (the :class:`~harness.messages.TimingSpec`, the run seed, the trial number,
the :class:`~harness.messages.ProcessSpec`, for user code the
:class:`~harness.timing.contention.ContentionMap`, and under the controlled scheduler this
process's :class:`~harness.scheduler.board.Board`), which returns a :class:`Policy` for one
process in one trial, found by :func:`make_policy` through :data:`POLICIES`. The worker calls
``start_line(wait)`` for the trial's start, then the policy at every point of
:mod:`harness.points`: ``at(point, index, lock)`` before an access or a
lock operation, ``value(entry, value)`` after an access when the policy ``traces``,
``locked(lock)`` / ``unlocked(lock)`` after a real acquire or release, ``done()`` when the
worker's own code has returned, and ``finish()`` when the trial is over. The random policy's delays depend only on (run seed, trial, process) and,
for user code, on which indices earlier trials of the same processes saw contended, so a trial
is named by its seed. A new policy (a controlled scheduler, say) is one new module and one
entry in :data:`POLICIES`. Worker side: imports stay tiny.
"""

from __future__ import annotations

import importlib

# the interface lives beside the points it is told about (the instrumented array needs it
# without importing any policy); the policies' modules take it from here
from ..points import NO_DELAY, Policy  # noqa: F401

# name (a scenario's run.inject) -> module
POLICIES = {"random": "harness.timing.random_delay", "controlled": "harness.timing.controlled",
            "mixed": "harness.timing.mixed"}


def make_policy(timing, seed: int, trial: int, process, contention=None, board=None) -> Policy:
    """``contention``: a call worker's :class:`~harness.timing.contention.ContentionMap`;
    ``board``: this process's side of the controlled scheduler's board."""
    if timing.policy == "none" or (timing.policy == "random" and timing.max_delay_us <= 0):
        return NO_DELAY
    module = POLICIES.get(timing.policy)
    if module is None:
        raise ValueError(f"unknown timing policy {timing.policy!r}")
    return importlib.import_module(module).make(timing, seed, trial, process, contention, board)
