"""Small concurrent programs run by a sequential simulator: the stand-in executor for
testing searches against brute force (no processes, no threads).

A program is one list of operations per actor: ("read", i) loads arr[i] into the actor's
register, ("write", i) stores register + 1, ("set", i, v) stores v, ("acquire", L),
("release", L), ("join", actor). Every actor starts with a START step and ends with END.
"""

from __future__ import annotations

from harness.scheduler.ops import ACQUIRE, END, JOIN, READ, RELEASE, START, WRITE
from harness.search.events import Event, _apply, _can_run, dependent

KINDS = {"read": READ, "write": WRITE, "set": WRITE, "acquire": ACQUIRE, "release": RELEASE, "join": JOIN}


def steps_of(programs):
    """Each actor's steps, START and END included, as (Event, operation)."""
    out = []
    for actor, ops in enumerate(programs):
        mine = [(Event(actor, START), None)]
        mine += [(Event(actor, KINDS[op[0]], op[1]), op) for op in ops]
        mine.append((Event(actor, END), None))
        out.append(mine)
    return out


def run(programs, prefix, size=3):
    """Follow ``prefix`` (one actor per step; None: the stay rule), then the stay rule;
    (events, final array)."""
    steps = steps_of(programs)
    position = [0] * len(programs)
    array, register = [0] * size, [0] * len(programs)
    owners, ended, events = {}, set(), []
    last = -1
    while True:
        ready = [a for a in range(len(programs))
                 if position[a] < len(steps[a]) and _can_run(steps[a][position[a]][0], owners, ended)]
        if not ready:
            assert all(position[a] == len(steps[a]) for a in range(len(programs))), "deadlock"
            return events, tuple(array)
        k = len(events)
        actor = prefix[k] if k < len(prefix) and prefix[k] is not None else (last if last in ready else ready[0])
        assert actor in ready, (prefix, k, ready)
        event, op = steps[actor][position[actor]]
        position[actor] += 1
        if op and op[0] == "read":
            register[actor] = array[op[1]]
        elif op and op[0] == "write":
            array[op[1]] = register[actor] + 1
        elif op and op[0] == "set":
            array[op[1]] = op[2]
        _apply(event, owners, ended)
        events.append(event)
        last = actor


def brute_force(programs, size=3):
    """Every interleaving, by depth-first search over the choices at every point:
    [(events, final array)]."""
    steps = steps_of(programs)
    out = []

    def go(position, array, register, owners, ended, events):
        ready = [a for a in range(len(programs))
                 if position[a] < len(steps[a]) and _can_run(steps[a][position[a]][0], owners, ended)]
        if not ready:
            out.append((events, tuple(array)))
            return
        for actor in ready:
            event, op = steps[actor][position[actor]]
            array2, register2 = list(array), list(register)
            if op and op[0] == "read":
                register2[actor] = array2[op[1]]
            elif op and op[0] == "write":
                array2[op[1]] = register2[actor] + 1
            elif op and op[0] == "set":
                array2[op[1]] = op[2]
            owners2, ended2 = dict(owners), set(ended)
            _apply(event, owners2, ended2)
            position2 = list(position)
            position2[actor] += 1
            go(position2, array2, register2, owners2, ended2, events + [event])

    go([0] * len(programs), [0] * size, [0] * len(programs), {}, set(), [])
    return out


def trace_class(events):
    """What an execution's equivalence class is made of: the order of every pair of
    dependent steps of different actors, steps named by (actor, its step number). Only
    steps on one object (an index, a lock) or a join and its end can depend on each other."""
    named, seen, groups = [], {}, {}
    for k, e in enumerate(events):
        seen[e.actor] = seen.get(e.actor, 0) + 1
        named.append((e.actor, seen[e.actor]))
        key = ("lock", e.arg) if e.kind in (ACQUIRE, RELEASE) else ("index", e.arg) if e.kind in (READ, WRITE) \
            else ("actor", e.arg if e.kind == JOIN else e.actor)
        groups.setdefault(key, []).append(k)
    return frozenset((named[i], named[j]) for members in groups.values() for x, i in enumerate(members)
                     for j in members[x + 1:] if events[i].actor != events[j].actor and dependent(events[i], events[j]))
