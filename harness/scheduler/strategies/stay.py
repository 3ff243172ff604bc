"""``stay``: the actor that ran last runs again while it can, else the lowest-numbered one
that can. No choice of its own: it is what a replay follows between and after its switches
(every switch of a recorded trial is in its token, so staying repeats the rest), and what the
board does between the switches of any schedule's prefix. An exhaustive search's trials go on
after their prefix with ``fair``, which differs only among sleepers."""

from __future__ import annotations

from ..words import NEVER

STICKY = True
ID, NAME = 0, "stay"


def prepare(words, at: dict, seed: int, trial: int, estimate: int, depth: int) -> None:
    """Nothing to set up."""


def choose(words, board, step: int, last: int, ready: list[int]) -> int:
    return last if last in ready else ready[0]


def next_change(words, board, step: int) -> int:
    return NEVER
