"""The ``mixed`` policy: some trials under the controlled scheduler, the others free with
timing injection, as the parent's search decides trial by trial.

Promise: a trial the parent marked on the board as a timing trial (:func:`harness.scheduler.
parent.timing_trial`) gets the ``random`` policy, exactly the delays ``--inject random`` gives
that trial (so ``--trial N --inject random`` replays it); any other gets the ``controlled``
policy. Only free trials can show a race inside code the scheduler sees as one step (a numpy
operation on the buffer); only controlled ones can aim at a race hidden among thousands of
accesses. Worker side: imports stay tiny.
"""

from __future__ import annotations

from . import Policy


def make(timing, seed: int, trial: int, process, contention=None, board=None) -> Policy:
    if board is None:
        raise ValueError("the mixed policy needs the scheduler's board")
    if board.timing_trial:
        from . import random_delay

        return random_delay.make(timing, seed, trial, process, contention, board)
    from . import controlled

    return controlled.make(timing, seed, trial, process, contention, board)
