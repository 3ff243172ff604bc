"""``directed``: realize one predicted race (after RaceFuzzer, Sen, PLDI 2008).

The parent names two accesses by kind and location (a statement of user code, or a step of a
built-in operation): the first, and a second that another actor makes on the same index. An
actor about to make the first access pauses there (at an instance chosen with the pause
chance, drawn from seed, trial, actor and its step count, so a trial repeats exactly) while
the others run, until another actor is about to make the second on the same index; then the
two run back to back, in the order asked for. An actor that can only be paused when nothing
else can run is let go, and a pause that has held as many steps as a whole trial took (the
last trial's count, at least ``PAUSE_STEPS``) without the second access coming (the others
may be spinning, waiting for the paused actor) ends the aiming for the rest of the trial: a
pause as long as a trial lets the other actor cross a whole large array before it comes. Elsewhere the choice is random, as in ``random``. It decides at every
point (not sticky): the pending operations it compares are published there.
"""

from __future__ import annotations

from ..words import (ACTOR_WORDS, ARG, COUNT, D_GIVEN_UP, D_INDEX, D_KIND1, D_KIND2, D_LOC1, D_LOC2, D_NEXT,
                     D_ORDER, D_PAUSE, D_REALIZED, D_SINCE, ESTIMATE, KIND, LOC, NEVER, SEED, STOP, TRIAL)

STICKY = False
ID, NAME = 3, "directed"
STATEMENT = (1 << 24) - 1  # a location's statement, without the loop number above it
# the shortest a pause may hold before it is given up (the others may be waiting for the paused
# actor, a spin loop on what it is about to write, and would spin for ever)
PAUSE_STEPS = 10_000


def prepare(words, at: dict, seed: int, trial: int, estimate: int, depth: int) -> None:
    words[D_NEXT] = -1  # the target itself is set by the parent (parent.aim)
    words[D_REALIZED] = 0
    words[D_INDEX] = -1
    words[D_SINCE] = words[D_GIVEN_UP] = 0


def _at(words, base: int, kind_word: int, loc_word: int) -> bool:
    return words[base + KIND] == words[kind_word] and (words[base + LOC] & STATEMENT) == words[loc_word]


def _end(words, base: int) -> int:
    """One past the last index the pending access covers (a slice covers its span)."""
    stop = words[base + STOP]
    return stop if stop >= 0 else words[base + ARG] + 1


def _meet(words, base: int, other: int) -> bool:
    """Do two pending accesses cover a common index (the target's, when it names one)?"""
    index = words[D_INDEX]
    if index >= 0:
        return words[other + ARG] <= index < _end(words, other)
    return words[base + ARG] < _end(words, other) and words[other + ARG] < _end(words, base)


def choose(words, board, step: int, last: int, ready: list[int]) -> int:
    from . import mix

    then = words[D_NEXT]
    if then >= 0:
        words[D_NEXT] = -1
        if then in ready:
            return then  # the second half of a pair just realized
    actors = board.actors
    paused = []
    if words[D_GIVEN_UP]:
        return ready[mix(words[SEED], words[TRIAL], step) % len(ready)]
    for a in ready:
        base = actors + a * ACTOR_WORDS
        index = words[D_INDEX]
        if not _at(words, base, D_KIND1, D_LOC1) or (index >= 0 and not words[base + ARG] <= index < _end(words, base)):
            continue
        if mix(words[SEED], words[TRIAL], a, words[base + COUNT], 3) % 1000 >= words[D_PAUSE]:
            continue  # not this instance
        for b in ready:
            other = actors + b * ACTOR_WORDS
            if b != a and _at(words, other, D_KIND2, D_LOC2) and _meet(words, base, other):
                first, second = (a, b) if words[D_ORDER] == 0 else (b, a)
                words[D_NEXT] = second
                words[D_REALIZED] = 1
                words[D_SINCE] = 0
                return first
        paused.append(a)
    if paused and not words[D_SINCE]:
        words[D_SINCE] = step
    elif paused and step - words[D_SINCE] > max(PAUSE_STEPS, words[ESTIMATE]):  # nobody came: run on at random
        words[D_GIVEN_UP] = 1
        paused = []
    free = [a for a in ready if a not in paused] or ready
    return free[mix(words[SEED], words[TRIAL], step) % len(free)]


def next_change(words, board, step: int) -> int:
    return NEVER
