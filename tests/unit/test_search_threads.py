"""Exhaustive search with threads started in the middle of a trial, against brute force.

A thread exists only after the step of its process that started it (``Thread.start()`` runs
between two scheduling points): the search must neither branch on it before then nor take a
step from before its start for a race with its steps. Simulated programs, no processes: a
``("spawn", t)`` right after an operation starts actor ``t`` inside that step."""

from __future__ import annotations

import random

import pytest

import programs as P
from harness.scheduler.ops import START, THREAD_START
from harness.search.events import Event, _can_run
from harness.search.exhaustive import Exhaustive


class ThreadMachine(P.Machine):
    def __init__(self, programs, nprocs, size=3):
        super().__init__(programs, size)
        self.nprocs, self.born, self.alive = nprocs, {}, set(range(nprocs))

    def copy(self):
        other = super().copy()
        other.__class__ = ThreadMachine
        other.nprocs, other.born, other.alive = self.nprocs, dict(self.born), set(self.alive)
        return other

    def pending(self, actor):
        if actor not in self.alive:
            return None
        got = super().pending(actor)
        if got is not None and got[0].kind == START and actor >= self.nprocs:
            return Event(actor, THREAD_START), None
        return got

    def ready(self):
        return [a for a in range(len(self.programs))
                if (nxt := self.pending(a)) is not None and _can_run(nxt[0], self.owners, self.ended)]

    def step(self, actor):
        super().step(actor)
        ops = self.programs[actor]
        while 0 <= self.position[actor] < len(ops) and ops[self.position[actor]][0] == "spawn":
            thread = ops[self.position[actor]][1]
            self.alive.add(thread)
            self.born[thread] = len(self.events)
            self.position[actor] += 1


def run(programs, nprocs, prefix):
    machine, last = ThreadMachine(programs, nprocs), -1
    while ready := machine.ready():
        k = len(machine.events)
        actor = prefix[k] if k < len(prefix) else machine.default_choice(ready, last)
        machine.step(actor)
        last = actor
    assert machine.finished(), "deadlock"
    return machine.events, tuple(machine.array), dict(machine.born)


def brute_force(programs, nprocs):
    finals, classes = set(), set()

    def go(machine):
        ready = machine.ready()
        if not ready:
            finals.add(tuple(machine.array))
            classes.add(P.trace_class(machine.events))
        for actor in ready:
            nxt = machine.copy()
            nxt.step(actor)
            go(nxt)

    go(ThreadMachine(programs, nprocs))
    return finals, classes


def explore(programs, nprocs):
    search, finals, classes = Exhaustive(nprocs=nprocs), set(), set()
    while (prefix := search.next_prefix()) is not None:
        events, final, born = run(programs, nprocs, prefix)
        finals.add(final)
        classes.add(P.trace_class(events))
        search.observe(events, born)
        assert search.executions < 5000
    return search, finals, classes


def check(programs, nprocs):
    finals, classes = brute_force(programs, nprocs)
    search, seen_finals, seen_classes = explore(programs, nprocs)
    assert search.complete
    assert seen_finals == finals and seen_classes == classes
    assert len(search.classes) == len(classes)


def test_a_thread_started_after_a_read_still_races_with_the_other_process():
    # process 0 copies a[1] into a[0]; process 1 reads a[1], then starts a thread that writes it:
    # process 0's read before or after the thread's write are two classes (the review's case)
    check([[("read", 1), ("set", 0, 9)], [("read", 1), ("spawn", 2), ("join", 2)], [("set", 1, 2)]], 2)


def random_ops(rng, k):
    ops = []
    for _ in range(k):
        r, i = rng.random(), rng.randint(0, 1)
        if r < 0.35:
            ops.append(("read", i))
        elif r < 0.7:
            ops.append(("write", i))
        elif r < 0.85:
            ops.append(("set", i, rng.randint(1, 3)))
        else:
            ops += [("acquire", 1), ("write", i), ("release", 1)]
    return ops


def random_program(rng):
    nprocs = rng.choice([1, 2])
    programs = [random_ops(rng, rng.randint(1, 2)) for _ in range(nprocs)]
    parent = rng.randrange(nprocs)
    programs[parent].insert(rng.randint(1, len(programs[parent])), ("spawn", nprocs))
    if rng.random() < 0.5:
        programs[parent].append(("join", nprocs))
    programs.append(random_ops(rng, rng.randint(1, 2)))
    return programs, nprocs


@pytest.mark.parametrize("chunk", range(4))
def test_random_programs_with_a_thread_born_mid_trial_cover_every_class(chunk):
    for seed in range(chunk * 100, chunk * 100 + 100):
        programs, nprocs = random_program(random.Random(seed))
        if sum(len(p) + 2 for p in programs) <= 12:
            check(programs, nprocs)
