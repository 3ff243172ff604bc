"""What one controlled trial follows, and what the search learns from it.

Promise: :class:`TrialPlan` is the frozen order a search gives for one trial (the in-trial
strategy, the switches to follow first, the directed target, PCT's depth and expected steps);
:class:`Execution` is what the executor hands back (the steps as events, the switches that
ran, how many actors took part, whether the detectors saw the race). Both are plain data, so
searches are tested on hand-built executions.
"""

from __future__ import annotations

from ..records import field, record


@record(frozen=True)
class TrialPlan:
    strategy: str  # the in-trial strategy: stay, random, pct, directed
    follow: tuple = ()  # (step, actor) switches to follow before the strategy decides
    aim: tuple | None = None  # directed: (first, second, order, pause per mille)
    depth: int = 3  # pct
    estimate: int = 0  # pct: the steps a trial is expected to take


@record(frozen=True)
class Execution:
    events: tuple  # harness.search.events.Event, one per step
    switches: tuple  # (step, actor) changes of the running actor
    actors: int  # how many actors took part (threads included)
    failed: bool  # the detectors saw a lost update or a torn read
    available: dict = field(default_factory=dict)  # thread actor -> the step after which it existed
    realized: bool = False  # a directed trial ran its target pair back to back
    steps: int = 0  # how many steps it took (its events may be left out when the search does not need them)
    exact: bool = True  # its trace is whole and it followed the plan (no divergence, no free run)
    unseen: tuple = ()  # indices whose final value no traced write explains (written through the buffer)


def switches_of(actors) -> tuple:
    """The switches that make each step's actor the given one. The last step is always named,
    even when its actor ran the step before: up to it the board keeps the stay rule between
    switches, and only after it does the trial's strategy choose (``fair`` may not stay)."""
    out, last = [], None
    for step, actor in enumerate(actors, start=1):
        if actor != last:
            out.append((step, actor))
            last = actor
    if actors and out[-1][0] != len(actors):
        out.append((len(actors), actors[-1]))
    return tuple(out)
