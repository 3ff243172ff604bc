"""Searches over schedules (parent side): which schedule each controlled trial follows.

Promise: a search decides, trial by trial, what the board follows (a schedule prefix and an
in-trial strategy), learns from each trial's trace, says when it is done, and states what a
clean run covered (its certificate). One module per search; pure logic over traces, so each
is tested against brute force on hand-built programs without processes.
"""

from __future__ import annotations


def make_search(name: str, depth: int = 3, shard: tuple[int, int] = (1, 1), nprocs: int = 0):
    """The search registered as ``name`` (the ``--strategy`` choices), for shard ``(K, N)``
    of a run (:mod:`harness.shard`) of ``nprocs`` processes. Sampling searches need not know
    their shard: the trials they are given are their part."""
    from .directed import DirectedSearch
    from .exhaustive import ExhaustiveSearch
    from .sampling import PctSearch, RandomSearch

    if name == "directed":
        return DirectedSearch(depth, shard)
    if name == "exhaustive":
        return ExhaustiveSearch(depth, shard, nprocs)
    return {"random": RandomSearch, "pct": PctSearch}[name](depth)


NAMES = ("directed", "exhaustive", "pct", "random")
