"""Small concurrent programs run by a sequential simulator: the stand-in executor for
testing searches against brute force (no processes, no threads).

A program is one list of operations per actor: ("read", i) loads arr[i] into the actor's
register, ("write", i) stores register + 1, ("set", i, v) stores v, ("acquire", L),
("release", L), ("join", actor), ("sleep",) (the board runs a sleeper only when no other
actor can run), ("try", L, n) a try-acquire that, when another actor holds L, skips the
next n operations, ("rslice", lo, hi) loads the sum of arr[lo:hi] in one step, ("wslice", lo, hi, v)
stores v at every index of arr[lo:hi] in one step. Every actor starts with a START step and
ends with END.
"""

from __future__ import annotations

from harness.scheduler.ops import (ACQUIRE, END, JOIN, READ, RELEASE, SLEEP, START, TRY_ACQUIRE, WRITE, RECURSIVE)
from harness.search.events import Event, _apply, _can_run, dependent

KINDS = {"read": READ, "write": WRITE, "set": WRITE, "acquire": ACQUIRE, "release": RELEASE, "join": JOIN,
         "sleep": SLEEP, "try": TRY_ACQUIRE, "rslice": READ, "wslice": WRITE}


class Machine:
    """One state of the simulated programs; :meth:`step` runs one actor's next operation."""

    def __init__(self, programs, size=3):
        self.programs = programs
        self.position = [-1] * len(programs)  # -1: START is next; len(ops): END is next
        self.array, self.register = [0] * size, [0] * len(programs)
        self.owners, self.ended, self.events = {}, set(), []
        self.since = [0] * len(programs)  # steps run when each actor's next operation became pending

    def copy(self) -> "Machine":
        other = Machine.__new__(Machine)
        other.programs = self.programs
        other.position, other.array, other.register = list(self.position), list(self.array), list(self.register)
        other.owners, other.ended, other.events = dict(self.owners), set(self.ended), list(self.events)
        other.since = list(self.since)
        return other

    def pending(self, actor):
        """(Event, operation) the actor runs next, or None when it has ended."""
        if actor in self.ended:
            return None
        pos, ops = self.position[actor], self.programs[actor]
        if pos < 0:
            return Event(actor, START), None
        if pos >= len(ops):
            return Event(actor, END), None
        op = ops[pos]
        if op[0] in ("rslice", "wslice"):
            return Event(actor, KINDS[op[0]], op[1], stop=op[2]), op
        return Event(actor, KINDS[op[0]], op[1] if len(op) > 1 else -1), op

    def ready(self) -> list[int]:
        out = []
        for a in range(len(self.programs)):
            nxt = self.pending(a)
            if nxt is not None and _can_run(nxt[0], self.owners, self.ended):
                out.append(a)
        awake = [a for a in out if self.pending(a)[0].kind != SLEEP]
        return awake or out

    def step(self, actor) -> None:
        event, op = self.pending(actor)
        skip = 0
        if op and op[0] == "try":
            holder = self.owners.get(op[1])
            ok = holder is None or (holder[0] == actor and RECURSIVE[op[1]])
            event = Event(actor, TRY_ACQUIRE, op[1], ok=ok)
            skip = 0 if ok else op[2]
        elif op and op[0] == "read":
            self.register[actor] = self.array[op[1]]
        elif op and op[0] == "write":
            self.array[op[1]] = self.register[actor] + 1
        elif op and op[0] == "set":
            self.array[op[1]] = op[2]
        elif op and op[0] == "rslice":
            self.register[actor] = sum(self.array[op[1]:op[2]])
        elif op and op[0] == "wslice":
            self.array[op[1]:op[2]] = [op[3]] * (op[2] - op[1])
        self.position[actor] += 1 + skip
        _apply(event, self.owners, self.ended)
        self.events.append(event)
        self.since[actor] = len(self.events)

    def default_choice(self, ready, last):
        """The board's choice where no schedule gives one: among sleepers only, the one that
        began waiting first; else the stay rule (the actor that ran last, else the lowest)."""
        if len(ready) > 1 and all(self.pending(a)[0].kind == SLEEP for a in ready):
            return min(ready, key=lambda a: self.since[a])
        return last if last in ready else ready[0]

    def finished(self) -> bool:
        return len(self.ended) == len(self.programs)


def run(programs, prefix, size=3, stay_until=0):
    """Follow ``prefix`` (one actor per step; None: the stay rule up to step ``stay_until``,
    the board's rule between a schedule's switches), then the board's rule after a schedule
    (:meth:`Machine.default_choice`); (events, final array)."""
    machine = Machine(programs, size)
    last = -1
    while True:
        ready = machine.ready()
        if not ready:
            assert machine.finished(), "deadlock"
            return machine.events, tuple(machine.array)
        k = len(machine.events)
        if k < len(prefix) and prefix[k] is not None:
            actor = prefix[k]
        elif k < stay_until:
            actor = last if last in ready else ready[0]
        else:
            actor = machine.default_choice(ready, last)
        assert actor in ready, (prefix, k, ready)
        machine.step(actor)
        last = actor


def follow_plans(search, programs, steps=8, exact=lambda trial: True) -> int:
    """Drive a search's executor face (``plan`` / ``observe``) with the simulated programs,
    as the board would (a switch names its step's actor; in between, the stay rule; after
    the last, the board's rule): how many trials it took. ``exact(trial)``: whether that
    trial followed its schedule."""
    from harness.search.plan import Execution

    trials = 0
    while (plan := search.plan(trials + 1)) is not None:
        trials += 1
        actors = [dict(plan.follow).get(step) for step in range(1, steps + 1)]
        events, final = run(programs, actors, stay_until=max((step for step, _ in plan.follow), default=0))
        search.observe(trials, Execution(tuple(events), (), len(programs), False, exact=exact(trials)))
    return trials


def brute_force(programs, size=3):
    """Every interleaving, by depth-first search over the choices at every point:
    [(events, final array)]."""
    out = []

    def go(machine):
        ready = machine.ready()
        if not ready:
            out.append((machine.events, tuple(machine.array)))
            return
        for actor in ready:
            nxt = machine.copy()
            nxt.step(actor)
            go(nxt)

    go(Machine(programs, size))
    return out


def brute_force_classes(programs, size=3):
    """What brute force sees, without keeping every interleaving: (the set of trace classes,
    the set of final arrays, how many interleavings). A class is built up along the way,
    each step paired with the earlier steps it depends on.

    Every interleaving is still followed, but the ones that share a past are followed once:
    what can happen from a point on (which steps are ready, and the pairs each makes with the
    steps before it) depends only on the machine's state and on which steps ran before, not
    on their order, so the completions from that point are computed once and reused (the
    three-process programs have 60,060 interleavings and a few hundred such points)."""
    memo: dict = {}

    def key(machine, done):
        return (tuple(machine.position), tuple(machine.array), tuple(machine.register),
                frozenset(machine.owners.items()), frozenset(machine.ended), done)

    def go(machine, done, seen):
        """(the set of (pairs from here on, final array), how many interleavings)."""
        k = key(machine, done)
        if k in memo:
            return memo[k]
        ready = machine.ready()
        if not ready:
            memo[k] = {(frozenset(), tuple(machine.array))}, 1
            return memo[k]
        ends, count = set(), 0
        for actor in ready:
            nxt = machine.copy()
            nxt.step(actor)
            e = nxt.events[-1]
            me = (actor, seen.get(actor, 0) + 1)
            new = frozenset((name, me) for name, f in done if f.actor != actor and dependent(f, e))
            after, n = go(nxt, done | {(me, e)}, {**seen, actor: me[1]})
            ends |= {(new | pairs, final) for pairs, final in after}
            count += n
        memo[k] = ends, count
        return memo[k]

    ends, count = go(Machine(programs, size), frozenset(), {})
    return {pairs for pairs, _ in ends}, {final for _, final in ends}, count


LOCK_KINDS = (ACQUIRE, RELEASE, TRY_ACQUIRE)


def trace_class(events):
    """What an execution's equivalence class is made of: the order of every pair of
    dependent steps of different actors, steps named by (actor, its step number). Only
    steps on one object (an index, a lock), a join and its end, or a sleep and anything can
    depend on each other."""
    named, seen, groups, sleeps = [], {}, {}, []
    for k, e in enumerate(events):
        seen[e.actor] = seen.get(e.actor, 0) + 1
        named.append((e.actor, seen[e.actor]))
        if e.kind == SLEEP:
            sleeps.append(k)
        keys = [("index", i) for i in range(e.arg, e.end)] if e.kind in (READ, WRITE) else \
            [("lock", e.arg) if e.kind in LOCK_KINDS else ("actor", e.arg if e.kind == JOIN else e.actor)]
        for key in keys:  # a slice is on every index it covers
            groups.setdefault(key, []).append(k)
    pairs = {(min(i, j), max(i, j)) for k in sleeps for i, j in ((k, x) for x in range(len(events)))}
    pairs |= {(i, j) for members in groups.values() for x, i in enumerate(members) for j in members[x + 1:]}
    return frozenset((named[i], named[j]) for i, j in pairs
                     if i != j and events[i].actor != events[j].actor and dependent(events[i], events[j]))
