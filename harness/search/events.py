"""A controlled trial's steps as events, and the relations searches reason with.

Promise: :func:`events_of` turns the board's trace into :class:`Event` objects;
:func:`dependent` says whether two steps of different actors do not commute (the same index
and one writes; the same lock; an access that takes the array's lock inside itself beside an
explicit acquire or release of it; a join beside the end it waits for); :func:`states`
rebuilds, for every point of an execution, which actors could have run there and what each
was about to do; :func:`clocks` gives each step its vector clock under program order and
dependence (the happens-before of dynamic partial-order reduction). Pure functions on
hand-buildable data: no processes.
"""

from __future__ import annotations


from ..records import record
from ..scheduler.ops import ACQUIRE, ARRAY_LOCK, END, JOIN, READ, RECURSIVE, RELEASE, TRY_ACQUIRE, WRITE

LOCK_OPS = (ACQUIRE, RELEASE, TRY_ACQUIRE)


@record(frozen=True)
class Event:
    """One step: ``actor`` ran ``kind`` on ``arg`` (an index, a lock, an actor to join).
    ``implicit`` marks an access that takes the array's lock inside itself; ``ok`` is False
    for a try-acquire that failed."""

    actor: int
    kind: int
    arg: int = -1
    implicit: bool = False
    ok: bool = True
    statement: int = 0  # where in the code (a hash of file:line, or a built-in step's id)

    @property
    def lock(self) -> int:
        """The lock this step needs free to run (-1: none)."""
        if self.kind == ACQUIRE:
            return self.arg
        return ARRAY_LOCK if self.implicit else -1


STATEMENT = (1 << 24) - 1  # what the directed strategy compares of a location: its line


def events_of(entries) -> list[Event]:
    """The board's trace entries (:func:`harness.scheduler.parent.trace`) as events. A
    try-acquire's outcome is not traced: it counts as taken."""
    return [Event(e.actor, e.kind, e.arg, e.implicit, True, e.location & STATEMENT) for e in entries]


def dependent(a: Event, b: Event) -> bool:
    """Do two steps of different actors fail to commute (or enable/disable each other)?"""
    if a.actor == b.actor:
        return True
    if a.kind in (READ, WRITE) and b.kind in (READ, WRITE):
        return a.arg == b.arg and WRITE in (a.kind, b.kind)
    if a.kind in LOCK_OPS and b.kind in LOCK_OPS:
        return a.arg == b.arg
    for x, y in ((a, b), (b, a)):
        if x.implicit and y.kind in LOCK_OPS and y.arg == ARRAY_LOCK:
            return True
        if x.kind == JOIN and y.kind == END and x.arg == y.actor:
            return True
    return False


def co_enabled(a: Event, b: Event) -> bool:
    """Can both be the next step of their actors at once? An acquire (or an access taking
    the lock) never is beside the holder's release; a join never beside the end it awaits."""
    for x, y in ((a, b), (b, a)):
        if y.kind == RELEASE and x.lock == y.arg and x.lock >= 0:
            return False
        if x.kind == JOIN and y.kind == END and x.arg == y.actor:
            return False
    return True


@record
class State:
    """Before a step: who could run, and each unfinished actor's next step (its index)."""

    enabled: frozenset
    pending: dict  # actor -> index of its next event in the execution


def states(events: list[Event], available: dict | None = None) -> list[State]:
    """For each step k, the state before it. ``available`` gives threads' first step (the
    step after which they exist); process actors exist from the start."""
    available = available or {}
    actors = sorted({e.actor for e in events})
    order: dict[int, list[int]] = {a: [] for a in actors}
    for k, e in enumerate(events):
        order[e.actor].append(k)
    position = {a: 0 for a in actors}
    owners: dict[int, tuple[int, int]] = {}  # lock -> (actor, depth)
    ended: set[int] = set()
    out = []
    for k, e in enumerate(events):
        pending = {a: order[a][position[a]] for a in actors if position[a] < len(order[a])
                   and available.get(a, 0) <= k}
        enabled = frozenset(a for a, i in pending.items() if _can_run(events[i], owners, ended))
        out.append(State(enabled, pending))
        position[e.actor] += 1
        _apply(e, owners, ended)
    return out


def _can_run(e: Event, owners: dict, ended: set) -> bool:
    lock = e.lock
    if lock >= 0 and lock in owners:
        holder, _ = owners[lock]
        if holder != e.actor or not RECURSIVE[lock]:
            return False
    if e.kind == JOIN:
        return e.arg in ended
    return True


def _apply(e: Event, owners: dict, ended: set) -> None:
    if (e.kind == ACQUIRE or (e.kind == TRY_ACQUIRE and e.ok)) and e.arg >= 0:
        holder, depth = owners.get(e.arg, (e.actor, 0))
        owners[e.arg] = (e.actor, depth + 1)
    elif e.kind == RELEASE and e.arg in owners:
        holder, depth = owners[e.arg]
        if depth <= 1:
            del owners[e.arg]
        else:
            owners[e.arg] = (holder, depth - 1)
    elif e.kind == END:
        ended.add(e.actor)


def clocks(events: list[Event]) -> list[dict[int, int]]:
    """Each step's vector clock: for every actor, how many of its steps happen before or at
    it (program order and dependence, transitively)."""
    out: list[dict[int, int]] = []
    last: dict[int, int] = {}  # actor -> index of its latest step
    for k, e in enumerate(events):
        clock: dict[int, int] = dict(out[last[e.actor]]) if e.actor in last else {}
        for i in range(k):
            if events[i].actor != e.actor and dependent(events[i], e):
                for actor, n in out[i].items():
                    if clock.get(actor, 0) < n:
                        clock[actor] = n
        clock[e.actor] = clock.get(e.actor, 0) + 1
        out.append(clock)
        last[e.actor] = k
    return out


def own_counts(events: list[Event]) -> list[int]:
    """For each step, its number among its actor's steps (from 1)."""
    seen: dict[int, int] = {}
    out = []
    for e in events:
        seen[e.actor] = seen.get(e.actor, 0) + 1
        out.append(seen[e.actor])
    return out
