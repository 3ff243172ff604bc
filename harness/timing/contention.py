"""Where a call worker's accesses can conflict, learned while it runs.

Promise: the plan knows exactly which indices built-in operations share, but user code gets
the whole array and may start threads, so for a call worker the timing policy learns instead.
A :class:`ContentionMap` is one shared word per array element, kept across the trials of one
set of processes: 0 while no actor has touched the index, the actor's number while only one
has, and :data:`CONTENDED` once two different actors (processes, or threads of one process)
have. An actor is one thread of one worker process: ``worker * MAX_THREADS + slot + 1``, the
slot counting the threads in the order they first touch the array in a trial. The words are
written without atomics: two first touches in the same instant may hide each other for one
trial, never longer, since each later touch by another actor marks the index contended.

:class:`Learned` is one process's view for one trial: ``is_hot(index)`` marks the touch and
says whether the index is contended; ``hits`` counts the hot accesses, and the next trial's
policy spreads its few long delays over that many points, so delays follow the accesses that
can conflict, not the array's size. When those accesses are sparse (a few among thousands of
others), the processes reach them at moments far apart, so ``spacing_s`` (the last trial's
time per hot access) tells the policy how long a stall must be to let another process in.
Worker side: imports stay tiny.
"""

from __future__ import annotations

import time
from threading import get_ident

CONTENDED = -1
MAX_THREADS = 4096  # thread slots per worker in actor numbers (more threads share the last slot)


class ContentionMap:
    """The shared words (a ``RawArray('i', size)`` from the processes' own context) and
    what one process carries from trial to trial: how many hot accesses it made last."""

    def __init__(self, words):
        self.words = words
        self.last_hits: int | None = None  # None before this process's first trial
        self.last_duration_s = 0.0

    def for_trial(self, worker: int) -> "Learned":
        return Learned(self, worker)


class Learned:
    """One process's contention knowledge in one trial (threads included)."""

    def __init__(self, cmap: ContentionMap, worker: int):
        self._map = cmap
        self._words = cmap.words
        self._n = len(cmap.words)
        self._base = worker * MAX_THREADS + 1
        self._slots: dict[int, int] = {}
        self.hits = 0
        self._began = time.perf_counter()

    @property
    def estimate(self) -> int | None:
        """Hot accesses in this process's previous trial (None: no previous trial)."""
        return self._map.last_hits

    @property
    def spacing_s(self) -> float:
        """The previous trial's time per hot access: how far apart conflicting accesses of
        different processes are likely to be, so how long a stall must be to bridge them."""
        hits = self._map.last_hits
        return self._map.last_duration_s / hits if hits else 0.0

    def _actor(self) -> int:
        ident = get_ident()
        slot = self._slots.get(ident)
        if slot is None:
            slot = self._slots[ident] = min(len(self._slots), MAX_THREADS - 1)
        return self._base + slot

    def is_hot(self, index: int) -> bool:
        if not 0 <= index < self._n:
            return False
        words = self._words
        seen = words[index]
        if seen != CONTENDED:
            actor = self._actor()
            if seen == actor:
                return False
            if seen == 0:
                words[index] = actor
                return False
            words[index] = CONTENDED
        self.hits += 1
        return True

    def finish(self) -> None:
        """The trial is over: its hot accesses are the next trial's estimate."""
        self._map.last_hits = self.hits
        self._map.last_duration_s = time.perf_counter() - self._began
