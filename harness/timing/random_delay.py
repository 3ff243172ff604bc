"""The ``random`` timing policy: seeded delays, spent where processes can conflict.

Promise: delays happen only on indices that another process can race on and at lock
boundaries; elsewhere the process runs at full speed, so it reaches the contended index when
the others do. For built-in operations the hot indices are the plan's ``hot`` ranges (exact);
for user code, which gets the whole array and may run threads, they are the indices that more
than one process or thread has touched (:mod:`harness.timing.contention`, learned as trials
run), and the expected number of hot points is the last trial's count, so a few contended
indices in a large array get the stalls, not every element. Two kinds of delay, both drawn from a generator seeded by
(run seed, trial, worker):

- stalls: a few long delays per process and trial (``STALLS`` on average, spread at random
  over its hot injection points), from a quarter to all of ``max_delay_us``. A stall between the read and
  the write of a step holds that step's window open long enough for the other processes,
  which run free, to land inside it; this is what finds a race on a single shared index
  in the first trial. For read-modify-write steps (add, transfer) a stall before the
  access is short (up to a quarter of ``max_delay_us``): it only shifts when the window
  opens, and a long shift made two processes' windows miss each other (on a single shared
  index, the median trial to detection went from 2 to 1).
- jitter: at any other hot point, with ``probability``, a uniform delay up to
  ``max_delay_us``, so that successive trials explore different interleavings; on a trial
  so large that this would add up to more than ``JITTER_BUDGET_S`` per process, the
  probability is lowered to stay within it.

Inside a critical section a built-in process holds (points flagged ``LOCKED``) there are no
stalls, only light jitter: every built-in process takes the array's one lock, so a long delay
there would only make the others wait. User code is not so trusted: two processes may guard
one index with different locks (the array's and a ``$lock``), so its contended points stall
whether or not a lock is held.

For user code whose conflicting accesses are sparse, a stall is as long as the last trial's
time per hot access (up to ``SPARSE_STALL_MAX_S``, beyond ``max_delay_us``): two processes
reach one shared index after thousands of private ones at moments milliseconds apart, and a
100 us window would never see the other arrive.

Whatever the counts, one process's delays in one trial never add up to more than
``JITTER_BUDGET_S`` plus ``STALLS`` full stalls. Short delays spin, because a sleep shorter than the scheduler's tick is not kept; long ones
sleep, letting other processes on a busy machine run into the window. In a process with
several threads every delay sleeps: a spinning thread would keep the GIL, and the others
could not run into its window.
"""

from __future__ import annotations

import random
import threading
import time

from ..ops import op_of
from ..points import ACQUIRE, KIND, LOCKED, RELEASE, RMW, WRITE
from . import NO_DELAY, Policy

SPIN_BELOW_S = 50e-6
STALLS = 3.0  # expected long delays per process and trial
JITTER_BUDGET_S = 0.02  # expected jitter time per process and trial, at most


def _spin_or_sleep(seconds: float, perf_counter=time.perf_counter, sleep=time.sleep,
                   threads=threading.active_count) -> None:
    # a spinning thread keeps the GIL: with other threads in the process (user code's), only a
    # sleep lets them run inside the window
    if seconds >= SPIN_BELOW_S or threads() > 1:
        sleep(seconds)
        return
    end = perf_counter() + seconds
    while perf_counter() < end:
        pass


def hot_steps(process) -> int:
    """How many element steps of one trial land on a contended index (at least 1), as the
    process's operation counts them (user code may touch any index of its hot ranges)."""
    reach = op_of(process.op).reach([(process.start, process.stop)], 1 << 62)[0]
    contended = sum(max(0, min(hi, reach[1]) - max(lo, reach[0])) for lo, hi in merge(process.hot))
    return max(1, op_of(process.op).hot_steps(process, contended))


def merge(ranges) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return [(lo, hi) for lo, hi in out]


class StaticHot:
    """The plan's hot ranges: exact for built-in operations."""

    def __init__(self, ranges):
        self._hot = tuple(merge(ranges))

    def is_hot(self, index: int) -> bool:
        for lo, hi in self._hot:
            if lo <= index < hi:
                return True
        return False


FIRST_TRIAL_POINTS = 64  # a call worker's first trial: how many hot points to expect (none learned yet)
SPARSE_STALL_MAX_S = 0.005  # the longest stall, for user code whose conflicting accesses are far apart


class RandomDelay(Policy):
    active = True

    def __init__(self, timing, rng: random.Random, process, hot=None, points: int | None = None,
                 stall_s: float = 0.0):
        self._random = rng.random
        # two injection points per step: before the access, between read and write
        points = max(1, points if points is not None else 2 * hot_steps(process))
        mean_s = max(timing.max_delay_us, 1) / 2e6
        # `probability` as given, unless a huge trial would then spend more than
        # JITTER_BUDGET_S in jitter: a million-element pass must not take minutes
        self._p = min(timing.probability, JITTER_BUDGET_S / (points * mean_s))
        self._max_s = timing.max_delay_us / 1e6
        self._stall_s = max(self._max_s, stall_s)  # the longest stall: can exceed max_delay_us (see make)
        self._hot = hot if hot is not None else StaticHot(process.hot)
        # built-in operations take only the array's lock, so one held keeps every other locked
        # process out; user code may guard one index with different locks in different
        # processes (or with one in one process and none in another), so its critical
        # sections get stalls like any other contended point
        self._locks_exclude = hot is None
        self._rmw = op_of(process.op).rmw  # their window is between the read and the write
        self._stall_p = min(1.0, STALLS / points)
        # a hard cap as well: user code's accesses are not known in advance
        self._left_s = JITTER_BUDGET_S + STALLS * self._stall_s

    def at(self, point: int, index: int, lock: int = -1, stop: int = -1):
        kind = point & KIND
        if kind == RELEASE or (kind == ACQUIRE and index < 0):
            index = -1  # a lock's boundary, not an element step's
        elif kind == ACQUIRE:
            point &= ~KIND  # before an element step's lock: the step's first point, an access
        if index >= 0 and not self._hot.is_hot(index):
            return
        if self._left_s <= 0:
            return
        if index < 0 or (point & LOCKED and self._locks_exclude):
            # inside a critical section a long delay only makes the others wait: jitter only
            if self._random() < self._p / 4:
                self._delay(self._random() * self._max_s / 4)
            return
        between = kind == WRITE and point & RMW  # the read-to-write window
        if self._random() < self._stall_p:
            # a long delay; between a read and its write it keeps the race window open
            if between or not self._rmw:
                self._delay(self._stall_s * (0.25 + 0.75 * self._random()))
            else:
                self._delay(self._stall_s * 0.25 * self._random())
        elif self._random() < (self._p if between else self._p / 2):
            self._delay(self._random() * self._max_s)

    def finish(self) -> None:
        finish = getattr(self._hot, "finish", None)
        if finish is not None:
            finish()

    def _delay(self, seconds: float) -> None:
        self._left_s -= seconds
        _spin_or_sleep(seconds)


def make(timing, seed: int, trial: int, process, contention=None, board=None) -> Policy:
    if not process.hot:
        return NO_DELAY  # nobody can race with this process: delays would only cost time
    rng = random.Random(f"{seed}:{trial}:{process.worker}")
    if contention is None:
        return RandomDelay(timing, rng, process)
    # user code: delays follow the indices seen contended, spread over as many points as the
    # last trial had (the plan's whole-array guess would dilute them on a large array)
    learned = contention.for_trial(process.worker)
    points = learned.estimate
    if points is None:
        points = min(2 * hot_steps(process), FIRST_TRIAL_POINTS)
    # sparse conflicts (one shared index after thousands of private ones) are reached at
    # moments far apart: a stall as long as the spacing lets the other process in
    stall_s = min(SPARSE_STALL_MAX_S, learned.spacing_s) if timing.max_delay_us else 0.0
    return RandomDelay(timing, rng, process, learned, points, stall_s)
