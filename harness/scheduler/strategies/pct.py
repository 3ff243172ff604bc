"""``pct``: probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi and
Nagarakatte, ASPLOS 2010). Each actor gets a random priority at the start of a trial (a
thread when it starts); the highest-priority actor that can run always runs; at ``depth - 1``
steps chosen at random among the expected number of steps, the running actor's priority
drops below every initial one. Over ``n`` actors and ``k`` steps, one trial finds a bug of
depth ``d`` (needing ``d`` orderings) with probability at least ``1 / (n * k**(d-1))``.
It switches only at change points and when the running actor blocks or ends, so a trial
costs little more than a free-running one. Where only sleepers can run, the first to sleep
wakes first (:func:`.first_sleeper`), whatever the priorities: a higher-priority actor that
polls (read, sleep, read again) would otherwise keep a sleeping one from waking for ever."""

from __future__ import annotations

from ..words import ACTOR_WORDS, MAX_CHANGES, NACTORS, NEVER, PRIO

STICKY = True
ID, NAME = 2, "pct"


def initial_priority(seed: int, trial: int, actor: int, depth: int) -> int:
    from . import mix

    return depth + (mix(seed, trial, actor, 1) >> 23)  # above every change-point priority


def change_points(seed: int, trial: int, estimate: int, depth: int) -> list[int]:
    from . import mix

    return sorted(1 + mix(seed, trial, i, 2) % max(1, estimate) for i in range(max(0, depth - 1)))


def prepare(words, at: dict, seed: int, trial: int, estimate: int, depth: int) -> None:
    for actor in range(int(words[NACTORS])):  # threads' slots too (set again when they start)
        words[at["actors"] + actor * ACTOR_WORDS + PRIO] = initial_priority(seed, trial, actor, depth)
    points = change_points(seed, trial, estimate, depth)
    for i in range(MAX_CHANGES):
        words[at["changes"] + i] = points[i] if i < len(points) else 0


def choose(words, board, step: int, last: int, ready: list[int]) -> int:
    from . import first_sleeper  # the package is imported by now: no cycle at import time

    changes = board.changes
    for i in range(MAX_CHANGES):
        at = words[changes + i]
        if at == 0:
            break
        if at == step and last >= 0:
            words[board.actors + last * ACTOR_WORDS + PRIO] = i + 1  # below every initial priority
    first = first_sleeper(words, board, ready)
    if first >= 0:  # priorities would let one polling sleeper starve another for ever
        return first
    actors = board.actors
    best, best_prio = ready[0], -1
    for actor in ready:
        prio = words[actors + actor * ACTOR_WORDS + PRIO]
        if prio > best_prio:
            best, best_prio = actor, prio
    return best


def next_change(words, board, step: int) -> int:
    changes = board.changes
    for i in range(MAX_CHANGES):
        at = words[changes + i]
        if at == 0:
            break
        if at > step:
            return at
    return NEVER
