"""``random``: at every point, a uniformly random choice among the actors that can run,
drawn from (seed, trial, step). Switches at about every other point, so it costs a handoff
per step on average; it finds races that need many switches."""

from __future__ import annotations

from ..words import NEVER, SEED, TRIAL

STICKY = False
ID, NAME = 1, "random"


def prepare(words, at: dict, seed: int, trial: int, estimate: int, depth: int) -> None:
    """Nothing to set up: choices come from (seed, trial, step)."""


def choose(words, board, step: int, last: int, ready: list[int]) -> int:
    from . import mix  # the package is imported by now: no cycle at import time

    if len(ready) == 1:
        return ready[0]
    return ready[mix(words[SEED], words[TRIAL], step) % len(ready)]


def next_change(words, board, step: int) -> int:
    return NEVER
