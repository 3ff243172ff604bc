"""A controlled trial's steps as events, and the relations searches reason with.

Promise: :func:`events_of` turns the board's trace into :class:`Event` objects;
:func:`dependent` says whether two steps of different actors do not commute (an index both cover
and one writes; the same lock; an access that takes the array's lock inside itself beside an
explicit acquire or release of it; a join beside the end it waits for; an end beside a daemon
thread of its process, which may die with it; a sleep beside anything, since a sleeper runs
only when no other actor can); :func:`states`
rebuilds, for every point of an execution, which actors could have run there and what each
was about to do; :func:`clocks` gives each step its vector clock under program order and
dependence (the happens-before of dynamic partial-order reduction). A slice is one step that
covers every index of its span. Pure functions on
hand-buildable data: no processes.
"""

from __future__ import annotations

from bisect import bisect_left

from ..records import record
from ..scheduler.ops import ACQUIRE, ARRAY_LOCK, END, JOIN, READ, RECURSIVE, RELEASE, SLEEP, TRY_ACQUIRE, WRITE

LOCK_OPS = (ACQUIRE, RELEASE, TRY_ACQUIRE)


@record(frozen=True)
class Event:
    """One step: ``actor`` ran ``kind`` on ``arg`` (an index, a lock, an actor to join).
    ``implicit`` marks an access that takes the array's lock inside itself; ``ok`` is False
    for a try-acquire that failed. ``worker`` is the process the actor belongs to (-1:
    unknown), ``daemon`` marks a daemon thread's step."""

    actor: int
    kind: int
    arg: int = -1
    implicit: bool = False
    ok: bool = True
    statement: int = 0  # where in the code (a hash of file:line, or a built-in step's id)
    worker: int = -1
    daemon: bool = False
    stop: int = -1  # a slice's end: the access covered arg .. stop - 1 (-1: arg alone)

    @property
    def end(self) -> int:
        """One past the last index an access covered."""
        return self.stop if self.stop >= 0 else self.arg + 1

    def overlaps(self, other: "Event") -> bool:
        """Do two accesses cover a common index (a slice covers its whole span)?"""
        return self.arg < other.end and other.arg < self.end

    @property
    def lock(self) -> int:
        """The lock this step needs free to run (-1: none)."""
        if self.kind == ACQUIRE:
            return self.arg
        return ARRAY_LOCK if self.implicit else -1


STATEMENT = (1 << 24) - 1  # what the directed strategy compares of a location: its line


def events_of(entries, actors=()) -> list[Event]:
    """The board's trace entries (:func:`harness.scheduler.parent.trace`) as events, with
    each actor's worker and daemon mark from ``actors`` (:func:`harness.scheduler.parent.actors`)."""
    who = {a.actor: (a.worker, a.daemon) for a in actors}
    return [Event(e.actor, e.kind, e.arg, e.implicit, not e.failed, e.location & STATEMENT,
                  *who.get(e.actor, (-1, False)), e.stop) for e in entries]


def available(actors) -> dict[int, int]:
    """Each thread actor's first possible step (the steps run before it was started)."""
    return {a.actor: a.born for a in actors if a.born}


def dependent(a: Event, b: Event) -> bool:
    """Do two steps of different actors fail to commute (or enable/disable each other)?"""
    if a.actor == b.actor or SLEEP in (a.kind, b.kind):
        return True
    if a.kind in (READ, WRITE) and b.kind in (READ, WRITE):
        return a.overlaps(b) and WRITE in (a.kind, b.kind)
    if a.kind in LOCK_OPS and b.kind in LOCK_OPS:
        return a.arg == b.arg
    for x, y in ((a, b), (b, a)):
        if x.implicit and y.kind in LOCK_OPS and y.arg == ARRAY_LOCK:
            return True
        if x.kind == JOIN and y.kind == END and x.arg == y.actor:
            return True
        if x.kind == END and y.daemon and y.worker == x.worker >= 0:
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
        enabled = _awake_first([a for a, i in pending.items() if _can_run(events[i], owners, ended)], pending, events)
        out.append(State(enabled, pending))
        position[e.actor] += 1
        _apply(e, owners, ended)
    return out


def _awake_first(ready: list[int], pending: dict, events: list[Event]) -> frozenset:
    """The board's rule: an actor about to sleep runs only when no other can."""
    awake = [a for a in ready if events[pending[a]].kind != SLEEP]
    return frozenset(awake or ready)


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


def cuts_of(events: list[Event]) -> list[int] | None:
    """Where an execution's accesses start and end, in order: cut there, the index line falls
    into pieces each access covers whole, so two accesses share an index exactly when they
    share a piece, and a slice of a large array is a few pieces, not every index (None: no
    slice, every piece is one index)."""
    accesses = [e for e in events if e.kind in (READ, WRITE)]
    if not any(e.stop >= 0 for e in accesses):
        return None
    return sorted({p for e in accesses for p in (e.arg, e.end)})


def objects_of(e: Event, cuts: list[int] | None = None) -> list[tuple[tuple, str | None]]:
    """What a step touches, each with its group there: steps of one group on an object commute
    with each other, a step of group None commutes with nothing on it, and two steps of
    different actors depend on each other (:func:`dependent`) exactly when they share an
    object where they are not of one group. ``("all",)`` stands for a sleep's dependence on
    everything."""
    out: list[tuple[tuple, str | None]] = [(("all",), None if e.kind == SLEEP else "step")]
    if e.kind in (READ, WRITE):
        group = "read" if e.kind == READ else None
        if cuts is None or e.stop < 0:  # one index: the piece that starts there
            out.append((("index", e.arg), group))
        else:  # a slice: the pieces (of :func:`cuts_of`) its span is made of, each by its start
            out.extend((("index", p), group) for p in cuts[bisect_left(cuts, e.arg):bisect_left(cuts, e.end)])
    if e.kind in LOCK_OPS:
        out.append((("lock", e.arg), None))
    elif e.implicit:
        out.append((("lock", ARRAY_LOCK), "implicit"))
    if e.kind == JOIN:
        out.append((("end", e.arg), "join"))
    elif e.kind == END:
        out.append((("end", e.actor), None))
    if e.worker >= 0 and (e.daemon or e.kind == END):  # a process's ends beside its daemon threads
        out.append((("process", e.worker), None if e.daemon and e.kind == END else "daemon" if e.daemon else "end"))
    return out


def _join(into: dict, other: dict) -> None:
    for actor, n in other.items():
        if into.get(actor, 0) < n:
            into[actor] = n


def clocks(events: list[Event], available: dict | None = None) -> list[dict[int, int]]:
    """Each step's vector clock: for every actor, how many of its steps happen before or at
    it (program order and dependence, transitively). Per object and group, the join of the
    clocks of its steps so far is kept, so a step joins a few of those instead of every
    earlier step."""
    out: list[dict[int, int]] = []
    cuts = cuts_of(events)
    last: dict[int, int] = {}  # actor -> index of its latest step
    seen: dict[tuple, dict] = {}  # object -> group -> the join of its steps' clocks
    for k, e in enumerate(events):
        clock: dict[int, int] = dict(out[last[e.actor]]) if e.actor in last else {}
        born = (available or {}).get(e.actor, 0)
        if e.actor not in last and 0 < born <= k:  # a thread happens after the step that started it
            _join(clock, out[born - 1])
        touched = objects_of(e, cuts)
        for key, group in touched:
            for other, joined in seen.get(key, {}).items():
                if group is None or other != group:
                    _join(clock, joined)
        clock[e.actor] = clock.get(e.actor, 0) + 1
        for key, group in touched:
            _join(seen.setdefault(key, {}).setdefault(group, {}), clock)
        out.append(clock)
        last[e.actor] = k
    return out


def earlier_dependents(events: list[Event]):
    """For each step j, a :class:`Dependents`: the earlier steps of other actors it depends
    on, latest first, read lazily (a search stops at the first few): on each of its objects,
    per actor, the steps of the groups it does not commute with (:func:`objects_of`), merged,
    each tested with :func:`dependent`. Each must be used before the next step's is asked for."""
    on: dict[tuple, dict] = {}  # object -> group -> actor -> its steps there, in order
    cuts = cuts_of(events)
    for j, e in enumerate(events):
        touched = objects_of(e, cuts)
        yield Dependents(events, e, [(actor, steps) for key, group in touched
                                     for other, by_actor in on.get(key, {}).items() if group is None or other != group
                                     for actor, steps in by_actor.items() if actor != e.actor])
        for key, group in touched:
            on.setdefault(key, {}).setdefault(group, {}).setdefault(e.actor, []).append(j)


class Dependents:
    """One step's earlier dependent steps (see :func:`earlier_dependents`). :meth:`drop` says
    no earlier step of an actor is wanted: its streams end, so a search that has found one
    step of that actor's long history already ordered does not read the rest (after a drop
    the stream may still yield the one step it had read ahead)."""

    def __init__(self, events: list[Event], e: Event, streams: list[tuple[int, list[int]]]):
        self._dropped: set[int] = set()
        self._steps = _dependents(events, e, [self._backwards(actor, steps, len(steps)) for actor, steps in streams])

    def __iter__(self):
        return self

    def __next__(self) -> int:
        return next(self._steps)

    def drop(self, actor: int) -> None:
        self._dropped.add(actor)

    def _backwards(self, actor: int, steps: list[int], n: int):
        dropped = self._dropped
        for k in range(n - 1, -1, -1):
            if actor in dropped:
                return
            yield steps[k]


def _dependents(events: list[Event], e: Event, streams):
    import heapq

    last = -1
    for i in heapq.merge(*streams, reverse=True):
        if i == last:
            continue
        last = i
        if dependent(events[i], e):
            yield i


def class_key(events: list[Event]) -> tuple:
    """A value equal for two executions exactly when they order every pair of dependent steps
    alike (one class of interleavings, up to reordering independent steps). Per object of
    :func:`objects_of`, its steps in order, with consecutive steps of one commuting group
    (reads between two writes of an index, the joins after an end, every other step between
    two sleeps) gathered into a set: the dependence the search explores by, and nothing else.
    Steps are named (actor, their number among the actor's steps)."""
    objects: dict[tuple, list] = {}
    cuts = cuts_of(events)
    seen: dict[int, int] = {}
    for e in events:
        seen[e.actor] = seen.get(e.actor, 0) + 1
        name = (e.actor, seen[e.actor])
        for key, group in objects_of(e, cuts):
            _gather(objects.setdefault(key, []), name, group)
    return tuple(sorted((key, tuple((x[1], frozenset(x[2])) if x[0] == _SET else x for x in seq))
                        for key, seq in objects.items()))


_SET = "set"


def _gather(sequence: list, name: tuple, group: str | None) -> None:
    """Append a step to an object's sequence; consecutive steps of one commuting ``group``
    share a set (None: the step commutes with nothing there)."""
    if group is not None and sequence and isinstance(sequence[-1], tuple) and sequence[-1][0] == _SET \
            and sequence[-1][1] == group:
        sequence[-1][2].add(name)
    elif group is not None:
        sequence.append((_SET, group, set()))
        sequence[-1][2].add(name)
    else:
        sequence.append(name)


def own_counts(events: list[Event]) -> list[int]:
    """For each step, its number among its actor's steps (from 1)."""
    seen: dict[int, int] = {}
    out = []
    for e in events:
        seen[e.actor] = seen.get(e.actor, 0) + 1
        out.append(seen[e.actor])
    return out
