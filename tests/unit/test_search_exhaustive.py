"""Exhaustive search (dynamic partial-order reduction) against brute force: on small
programs it runs at least one execution of every class of interleavings (executions that
differ only in the order of independent steps), sees every final result brute force sees,
and runs no more executions than brute force does. Simulated programs, no processes."""

from __future__ import annotations

import pytest

from harness.search import certificate
from harness.search.exhaustive import Exhaustive
from programs import brute_force, brute_force_classes, run, trace_class

INC = [("read", 0), ("write", 0)]
LOCKED_INC = [("acquire", 0), ("read", 0), ("write", 0), ("release", 0)]

PROGRAMS = {
    "two increments": [INC, INC],
    "three increments": [INC, INC, INC],
    "two locked increments": [LOCKED_INC, LOCKED_INC],
    "locked beside unlocked": [LOCKED_INC, INC],
    "independent indices": [[("read", 0), ("write", 0)], [("read", 1), ("write", 1)]],
    "readers only": [[("read", 0), ("read", 1)], [("read", 1), ("read", 0)]],
    "two loops": [INC * 2, INC * 2],
    "check then act": [[("read", 0), ("acquire", 0), ("read", 0), ("write", 0), ("release", 0)]] * 2,
    "writer and reader": [[("set", 0, 1), ("set", 1, 1)], [("read", 1), ("read", 0)]],
    "mixed three": [[("read", 0), ("write", 1)], [("read", 1), ("write", 0)], [("read", 0), ("read", 1)]],
    "locks and a race": [[("acquire", 0), ("read", 0), ("write", 0), ("release", 0), ("read", 1)],
                         [("write", 1)], [("acquire", 0), ("write", 0), ("release", 0)]],
    "try-lock taken or skipped": [[("try", 0, 3), ("read", 0), ("write", 0), ("release", 0)]] * 2,
    "try-lock beside a lock": [[("try", 0, 2), ("set", 0, 1), ("release", 0), ("read", 1)],
                               [("acquire", 0), ("set", 0, 2), ("release", 0), ("write", 1)]],
    "a sleeper goes last": [[("sleep",), ("set", 0, 1)], [("read", 0), ("write", 1)]],
    "two sleepers": [[("sleep",), ("read", 0), ("write", 0)], [("sleep",), ("read", 0), ("write", 0)]],
    "two locks": [[("acquire", 0), ("acquire", 1), ("write", 0), ("release", 1), ("release", 0)],
                  [("acquire", 1), ("write", 1), ("release", 1)]],
    # a slice is one step on every index it covers, not on its first alone
    "slice write beside an element past its start": [[("wslice", 0, 3, 1)], [("set", 2, 5)]],
    "element writes beside a slice reader": [[("set", 0, 1), ("set", 1, 1), ("set", 2, 1)],
                                             [("rslice", 0, 3), ("write", 0)]],
    "overlapping slice writes": [[("wslice", 0, 2, 1)], [("wslice", 1, 3, 2)]],
    "disjoint slices": [[("wslice", 0, 1, 1), ("rslice", 0, 1)], [("wslice", 1, 3, 2), ("rslice", 1, 3)]],
}


BRUTE_FORCE: dict = {}  # program name -> what brute force sees: each computed once per test process


def explore(programs, budget=None, starts_first=False):
    search = Exhaustive(budget, nprocs=len(programs) if starts_first else 0)
    runs = []
    while (prefix := search.next_prefix()) is not None:
        events, final = run(programs, prefix)
        runs.append((events, final))
        search.observe(events)
    return search, runs


@pytest.mark.parametrize("starts_first", [False, True], ids=["stay", "starts first"])
@pytest.mark.parametrize("name", PROGRAMS)
def test_every_class_and_result_of_brute_force_is_covered(name, starts_first):
    programs = PROGRAMS[name]
    search, runs = explore(programs, starts_first=starts_first)
    classes, finals, count = BRUTE_FORCE[name] if name in BRUTE_FORCE else BRUTE_FORCE.setdefault(
        name, brute_force_classes(programs))
    assert search.complete
    assert {trace_class(e) for e, _ in runs} == classes
    assert {f for _, f in runs} == finals
    assert len(runs) <= count


def test_independent_work_needs_one_execution():
    search, runs = explore(PROGRAMS["independent indices"])
    assert len(runs) == 1 and search.complete


def test_reduction_on_two_loops():
    _, runs = explore(PROGRAMS["two loops"])
    everything = brute_force(PROGRAMS["two loops"])
    classes = {trace_class(e) for e, _ in everything}
    assert len(runs) < len(everything)  # the point of the reduction
    assert len(runs) <= 2 * len(classes)


def test_a_budget_stops_early_and_says_it_is_not_complete():
    search, runs = explore(PROGRAMS["three increments"], budget=3)
    assert len(runs) == 3 and not search.complete and search.next_prefix() is None


def test_the_executors_face_plans_switches_and_certifies():
    from harness.search import make_search
    from harness.search.plan import Execution

    search = make_search("exhaustive")
    programs = PROGRAMS["two increments"]
    trials = 0
    while (plan := search.plan(trials + 1)) is not None:
        trials += 1
        assert plan.strategy == "fair"
        # the board's rule: a switch names its step's actor; in between, the stay rule
        actors = [dict(plan.follow).get(step) for step in range(1, 9)]
        events, final = run(programs, actors)
        search.observe(trials, Execution(tuple(events), (), 2, final[0] != 2))
    assert trials == 4
    assert search.certificate(trials) == {
        "kind": "exhaustive", "trials": 4, "interleavings": 4, "complete": True,
        "text": "verified: all 4 distinct interleavings (up to reordering of independent steps), in 4 trials"}


@pytest.mark.parametrize("name", [n for n in PROGRAMS if n not in ("locks and a race", "three increments", "mixed three")])
def test_class_key_names_exactly_the_classes_of_brute_force(name):
    from harness.search.events import class_key

    runs = brute_force(PROGRAMS[name])
    by_key: dict = {}
    for events, _ in runs:
        by_key.setdefault(class_key(events), set()).add(trace_class(events))
    assert all(len(classes) == 1 for classes in by_key.values())  # one key: one class
    assert len(by_key) == len({trace_class(e) for e, _ in runs})  # one class: one key


def test_class_key_of_ends_beside_daemon_threads_and_joins():
    from harness.scheduler.ops import END, JOIN, START, WRITE
    from harness.search.events import Event, class_key

    main, daemon, joiner = (Event(0, END, worker=0), Event(2, WRITE, 0, worker=0, daemon=True),
                            Event(1, JOIN, 0, worker=1))
    starts = [Event(0, START, worker=0), Event(1, START, worker=1), Event(2, START, worker=0, daemon=True)]
    # the daemon's write before or after its process's end: two classes
    assert class_key(starts + [daemon, main]) != class_key(starts + [main, daemon])
    # a write of another process's thread beside that end commutes
    other = Event(3, WRITE, 0, worker=1, daemon=True)
    assert class_key(starts + [other, main]) == class_key(starts + [main, other])
    # two joins after the end they wait for, in either order: one class
    second = Event(3, JOIN, 0, worker=1)
    assert class_key([*starts, main, joiner, second]) == class_key([*starts, main, second, joiner])


def test_events_of_keeps_failed_tries_workers_daemons_and_when_threads_were_born():
    from harness.scheduler.ops import START, TRY_ACQUIRE, WRITE
    from harness.scheduler.parent import ActorInfo, Entry
    from harness.search.events import available, events_of

    entries = [Entry(1, 0, START, -1, 0, 0), Entry(2, 0, TRY_ACQUIRE, 1, 0, 0, failed=True),
               Entry(3, 1, START, -1, 0, 0), Entry(4, 1, WRITE, 3, 0, (7 << 40) | 12, implicit=True)]
    actors = (ActorInfo(0, 0, False, 0), ActorInfo(1, 0, True, 2))
    events = events_of(entries, actors)
    assert events[1].ok is False and events[0].ok and events[3].implicit
    assert (events[3].worker, events[3].daemon, events[3].statement) == (0, True, 12)
    assert available(actors) == {1: 2}


def test_an_execution_that_strayed_from_its_schedule_makes_the_search_inconclusive():
    from harness.search import make_search
    from programs import follow_plans

    search = make_search("exhaustive")
    trials = follow_plans(search, PROGRAMS["two increments"], exact=lambda trial: trial != 2)
    cert = search.certificate(trials)
    assert search.finished and cert["complete"] is False and cert["inexact"] == 1


def pairwise_clocks(events):
    """The definition, step by step: every earlier dependent step's clock joined."""
    from harness.search.events import dependent

    out, last = [], {}
    for k, e in enumerate(events):
        clock = dict(out[last[e.actor]]) if e.actor in last else {}
        for i in range(k):
            if events[i].actor != e.actor and dependent(events[i], e):
                for actor, n in out[i].items():
                    clock[actor] = max(clock.get(actor, 0), n)
        clock[e.actor] = clock.get(e.actor, 0) + 1
        out.append(clock)
        last[e.actor] = k
    return out


def random_trace(rng, length=60):
    from harness.scheduler.ops import ACQUIRE, END, JOIN, READ, RELEASE, SLEEP, TRY_ACQUIRE, WRITE
    from harness.search.events import Event

    kinds = [READ, WRITE, ACQUIRE, RELEASE, TRY_ACQUIRE, JOIN, END, SLEEP]
    out = []
    for _ in range(length):
        actor = rng.randrange(4)
        kind = rng.choice(kinds)
        arg = rng.randrange(3) if kind not in (JOIN,) else rng.randrange(4)
        out.append(Event(actor, kind, arg, implicit=kind in (READ, WRITE) and rng.random() < 0.3,
                         worker=actor % 2, daemon=actor >= 2 and rng.random() < 0.5))
    return out


def test_fast_clocks_and_earlier_dependents_agree_with_their_definitions():
    import random

    from harness.search.events import clocks, dependent, earlier_dependents

    rng = random.Random(5)
    for _ in range(300):
        events = random_trace(rng)
        assert clocks(events) == pairwise_clocks(events)
        for j, found in enumerate(earlier_dependents(events)):
            assert list(found) == [i for i in range(j - 1, -1, -1)
                             if events[i].actor != events[j].actor and dependent(events[i], events[j])]


def test_a_proof_says_what_the_model_of_time_assumed():
    from harness.scheduler.ops import END, JOIN, SLEEP, START, TIMED_JOIN, WRITE
    from harness.search.events import Event
    from harness.search.exhaustive import SLEEPS, TIMED_JOINS, assumptions_of

    # actor 0 sleeps right after its start while actor 1 writes: the model held its sleep back
    held = [Event(0, START), Event(1, START), Event(1, WRITE, 0), Event(0, SLEEP), Event(0, END), Event(1, END)]
    assert assumptions_of(held) == {SLEEPS}
    alone = [Event(0, START), Event(0, SLEEP), Event(0, END)]  # nobody else ran meanwhile: nothing assumed
    assert assumptions_of(alone) == set()
    joined = [Event(0, START), Event(0, JOIN, 1, statement=TIMED_JOIN), Event(0, JOIN, 2)]
    assert assumptions_of(joined) == {TIMED_JOINS}
    cert = certificate.exhaustive(3, 3, True, assumes=[SLEEPS])
    assert cert["complete"] and cert["assumes"] == [SLEEPS] and cert["text"].endswith(f"; assuming {SLEEPS}")


def test_a_long_locked_loop_reads_back_a_bounded_part_of_its_history(monkeypatch):
    # 150 locked increments per actor: every lock step depends on every earlier one, so reading
    # each step's earlier dependents back to the trace's start was quadratic (seconds per
    # trial on real code); an actor's steps before one that happens before p's previous step
    # cannot race, and are not read. Interleaved one increment at a time, and one actor after
    # another (where actors that have not yet run touch nothing the others do)
    from harness.search import events as events_module

    read = []

    def counted(a, b):
        read.append(1)
        return dependent(a, b)

    dependent = events_module.dependent
    monkeypatch.setattr(events_module, "dependent", counted)
    n = 150
    for programs, turns in (([LOCKED_INC * n] * 2, [0, 1] + [a for _ in range(n) for a in (0, 0, 0, 0, 1, 1, 1, 1)]),
                            ([LOCKED_INC * n] * 3, [0, 1, 2])):
        events, _ = run(programs, turns, size=1)
        assert len(events) == len(programs) * (2 + 4 * n)  # each actor's start and end besides
        read.clear()
        search = Exhaustive(nprocs=0)
        search.next_prefix()
        search.observe(events)
        # the first step of an actor after another's whole run may race with all of it
        assert sum(read) <= 4 * len(events) + len(programs) * 4 * n, sum(read)


@pytest.mark.parametrize("starts_first", [False, True], ids=["stay", "starts first"])
def test_a_reader_between_two_critical_sections_has_every_class_run(starts_first):
    # found by fuzzing against brute force (which counts 8 classes here, and takes minutes, so
    # the number is written down): reversing the two critical sections after actor 1's reads
    # needs actor 1 run first where actor 0's acquire ran, since actor 2's write was asleep
    # there; actor 0's own release, which comes after that acquire, had been taken as the lead,
    # and one class was never run
    programs = [[("write", 0), ("acquire", 1), ("release", 1)], [("read", 0), ("read", 1), ("read", 2)],
                [("write", 2), ("acquire", 1), ("read", 1), ("release", 1)]]
    search, runs = explore(programs, starts_first=starts_first)
    assert search.complete and len({trace_class(e) for e, _ in runs}) == 8

