"""In-trial strategies: who runs the next step, decided by the actor that reached a point.

Promise: a strategy is one module with ``ID``, ``NAME``, ``STICKY`` (True when it keeps
the running actor until something changes: the board then skips the decision at most
points), ``prepare(words, board_layout, seed, trial, estimate, depth)`` (the parent's setup
of the board before a trial: priorities, change points), ``choose(words, board, step, last,
ready) -> actor``, a pure function of the board and (seed, trial, step), so the same seed
gives the same schedule on an idle and a loaded machine, and ``next_change(words, board,
step)``, the next step at which it must decide afresh. ``ready`` lists the actors whose pending operation can proceed, ``last`` the
actor that ran the previous step. A new strategy is one module added to :data:`MODULES`.
Worker side: imports stay tiny.
"""

from __future__ import annotations

from ..ops import SLEEP
from ..words import ACTOR_WORDS, DEPTH, KIND, SEED, SINCE, STRATEGY, TRIAL
from . import directed, fair, pct, random_walk, stay

MODULES = (stay, random_walk, pct, directed, fair)  # index = ID
BY_NAME = {m.NAME: m for m in MODULES}
_CHOOSERS = tuple(m.choose for m in MODULES)
_NEXT_CHANGES = tuple(m.next_change for m in MODULES)



def choose(words, board, step: int, last: int, ready: list[int]) -> int:
    return _CHOOSERS[words[STRATEGY]](words, board, step, last, ready)


def next_change(words, board, step: int) -> int:
    """The first step after ``step`` at which the strategy must decide afresh, whatever else
    holds (a PCT change point); NEVER for the others."""
    return _NEXT_CHANGES[words[STRATEGY]](words, board, step)


def first_sleeper(words, board, ready: list[int]) -> int:
    """When every actor in ``ready`` is about to sleep (the board puts a sleeper there only
    when no other actor can run) and there is a choice, the one that began waiting first:
    with every sleep the same length, the first to wake. Else -1: no such rule applies."""
    actors = board.actors
    if len(ready) < 2 or words[actors + ready[0] * ACTOR_WORDS + KIND] != SLEEP:
        return -1
    return min(ready, key=lambda a: words[actors + a * ACTOR_WORDS + SINCE])


def new_priority(words, actor: int) -> int:
    """A thread that registers mid-trial gets a random priority, as PCT gives a new thread."""
    return pct.initial_priority(words[SEED], words[TRIAL], actor, words[DEPTH])


MASK = (1 << 64) - 1


def mix(*parts: int) -> int:
    """A 63-bit hash of integers (splitmix64's finaliser over each part): cheap, stable
    across processes and Python versions, unlike hash()."""
    x = 0x9E3779B97F4A7C15
    for p in parts:
        x = ((x ^ (p & MASK)) + 0x9E3779B97F4A7C15) & MASK
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
        x ^= x >> 31
    return x >> 1
