"""The ``controlled`` policy: the controlled scheduler decides who runs at every point.

Promise: each point of :mod:`harness.points` becomes a step on the process's board
(:mod:`harness.scheduler.board`): the calling actor waits there until the scheduler gives it
the turn, so exactly one actor (a worker, or a thread a call worker started) runs between two
points, and what ran is traced with the value each access read or wrote and, for user code,
its ``file:line`` (:func:`harness.frames.user_location`). An acquire waits in the model until
the lock is free, never on the real lock while holding the turn; a try-acquire (``TRY``)
may run while another actor holds the lock, and fails as the real one does. An access through
a ``lock=True`` array's wrapper takes the array's lock inside (``IMPLICIT``), so it runs only
while no other actor holds it. The worker's start line is the trial's first step for each
process; its return (``done``) is its last: the turn passes on and its threads (actors of
their own, :mod:`harness.scheduler.threads`) run to their ends under control. When the board
is set free (a watchdog saw no progress, a worker died) every point is one word read. Worker
side: imports stay tiny.
"""

from __future__ import annotations

import sys

from ..frames import user_location
from ..points import ACQUIRE, ARRAY_LOCK, IMPLICIT, KIND, NO_LOCK, RELEASE, TRY
from ..scheduler import threads
from ..scheduler.ops import TRY_ACQUIRE
from . import Policy


class Controlled(Policy):
    active = True
    traces = True

    def __init__(self, board, user_code: bool):
        self._board = board
        self._point = board.point
        self.value, self.locked, self.unlocked = board.value, board.locked, board.unlocked
        self._user = user_code
        self._begun = False

    def at(self, point: int, index: int, lock: int = -1, stop: int = -1):
        kind = point & KIND
        # where: the user's file and line; a built-in step's "statement" is its index (+1), so a
        # directed search can aim at one element's accesses
        where = user_location(sys._getframe(1)) if self._user else index + 1
        if kind == ACQUIRE:
            return self._point(TRY_ACQUIRE if point & TRY else ACQUIRE, lock, NO_LOCK, where)
        if kind == RELEASE:
            return self._point(RELEASE, lock, NO_LOCK, where)
        return self._point(kind, index, ARRAY_LOCK if point & IMPLICIT else NO_LOCK, where, stop)

    def start_line(self, wait) -> None:
        board = self._board
        board.publish_start()
        wait()
        self._begun = True
        if self._user:
            threads.control(board)
        board.begin()

    def done(self) -> None:
        if self._begun:
            self._board.end()

    def finish(self) -> None:
        if self._user:
            threads.control(None)


def make(timing, seed: int, trial: int, process, contention=None, board=None) -> Policy:
    if board is None:
        raise ValueError("the controlled policy needs the scheduler's board")
    from ..ops import op_of

    return Controlled(board, op_of(process.op).user_code)
