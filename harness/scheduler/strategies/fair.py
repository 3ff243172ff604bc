"""``fair``: the ``stay`` rule, except that when every actor that can run is about to sleep,
the one that began waiting first runs. What an exhaustive search's trials follow once their
schedule's prefix is used up.

The board lets a sleeper run only when no other actor can; among sleepers, the model gives
every sleep the same length, so the first to sleep is the first to wake. Under the plain stay
rule a consumer that polls (read, sleep, read again) would run for ever beside a producer
asleep before its write, and the trial would end as a hang that real time never shows. The
search may still put any sleeper first: its prefix names the actor of every step it covers."""

from __future__ import annotations

from ..words import NEVER

STICKY = True
ID, NAME = 4, "fair"


def prepare(words, at: dict, seed: int, trial: int, estimate: int, depth: int) -> None:
    """Nothing to set up."""


def choose(words, board, step: int, last: int, ready: list[int]) -> int:
    from . import first_sleeper, stay  # the package is imported by now: no cycle at import time

    first = first_sleeper(words, board, ready)
    return first if first >= 0 else stay.choose(words, board, step, last, ready)


def next_change(words, board, step: int) -> int:
    return NEVER
