"""Shards: N disjoint parts of one run, so a CI matrix or pytest-xdist workers share one
exploration and their reports combine (``harness merge``).

Promise: a shard is a frozen pair ``(K, N)``, ``1 <= K <= N``; ``(1, 1)`` is the whole run.
:func:`trial_numbers` says which trials shard K runs out of a budget of T: those numbered
K, K+N, K+2N, ... up to T, so the budget is the total over all shards and a trial, named by
(seed, trial) as ever, belongs to exactly one shard and replays alone. A search that every
shard must begin with the same trial (the directed search's recording trial 1) has that
trial run by every shard, first. :func:`owns` is the one rule for dividing numbered things
(targets, subtrees) among the shards. Pure functions: no processes.
"""

from __future__ import annotations

WHOLE = (1, 1)
MAX_SHARDS = 10_000


def parse(text: str) -> tuple[int, int]:
    """``K/N`` as a pair, or a ValueError saying what is allowed."""
    k, slash, n = str(text).strip().partition("/")
    allowed = "K/N with whole numbers 1 <= K <= N, e.g. 2/4"
    if not slash or not k.strip().isdigit() or not n.strip().isdigit():
        raise ValueError(f"found {text!r}, allowed: {allowed}")
    pair = int(k), int(n)
    if not 1 <= pair[0] <= pair[1] or pair[1] > MAX_SHARDS:
        raise ValueError(f"found {text!r}, allowed: {allowed} (N at most {MAX_SHARDS})")
    return pair


def text(shard: tuple[int, int]) -> str:
    return f"{shard[0]}/{shard[1]}"


def owns(shard: tuple[int, int], number: int) -> bool:
    """Does shard K own the thing numbered ``number`` (from 0)? Numbers ≡ K-1 mod N."""
    k, n = shard
    return number % n == k - 1


def trial_numbers(shard: tuple[int, int], budget: int, recording: bool = False) -> list[int]:
    """The trials shard K runs out of ``budget`` trials numbered from 1; with ``recording``,
    trial 1 first in every shard (a search that predicts from it)."""
    own = [t for t in range(1, budget + 1) if owns(shard, t - 1)]
    if recording and shard[0] != 1:
        return [1, *own]
    return own
