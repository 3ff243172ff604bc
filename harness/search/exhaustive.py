"""Exhaustive search: every interleaving, up to reordering of independent steps.

Promise: :class:`Exhaustive` is dynamic partial-order reduction (Flanagan and Godefroid,
POPL 2005) over re-executions. Each trial follows the choices of the search stack (one actor
per step) and then the ``fair`` rule to the end (the actor that ran last runs on; among
sleepers only, the first to sleep); its trace extends the stack; every pair of
dependent steps of different actors that could have run the other way round (neither happens
before the other through the rest of the trace, and both could be next at once) adds, at
the point before the first, an actor that leads to the second (or, when none can, every
actor that could run there) to what must still be tried. Sleep sets skip an alternative
whose first step commutes with everything tried since it was last taken. When nothing is
left to try the space is covered: every class of executions that differ only in the order of
independent steps has been run at least once (``complete``). A budget of trials stops it
earlier, and then it is not complete.

Shards (``--shard K/N``, :mod:`harness.shard`) split the tree of executions, each part a
sound search of its own, their classes disjoint and together every class:

1. Every process's START runs first (the prefix 0, 1, ..., n-1), and those levels never
   branch. START commutes with every step of another actor but a sleep, and a sleep runs
   only when no other actor can, which no actor can while a START is pending: every
   execution is equivalent to one that begins so, and a race DPOR reports against a START
   is one that cannot be reversed.
2. At the split levels s = n .. n+D-1 (D the least depth with n**D >= N, at most
   ``MAX_SPLIT``), the backtrack set is every enabled actor (full expansion): no backtrack
   point that another shard's executions would find is missed, since above the split there
   is nothing left to find. Choices at a split level are taken in one order (the first
   execution's, then by actor) in every shard, so the sleep sets agree.
3. A path's choices at the split levels, each as its position among the sorted enabled
   actors, make one number; shard K owns the paths numbered K-1 mod N. Below the split it
   runs ordinary DPOR with sleep sets over what it owns and nothing else. Above it, a shard
   runs one execution for each choice of an intermediate split level, to learn the next
   level: such an execution of a path another shard owns is counted (``shared``), not
   hidden, and its class is the owner's.
4. A shard counts the class of an execution only when it owns its path and the execution
   never ran an actor of the sleep set. Two such executions of different paths are never
   equivalent: where the paths part, the actor taken first (x) was done when the other (y)
   was taken, so had x's step commuted with everything up to where it ran in the other
   execution, x would have been asleep there. And every class has such an execution: the
   sleep set only skips what a sibling subtree covers. So the shards' counts add up to the
   whole space's (``harness merge``), and a shard is ``complete`` when its part is.
"""

from __future__ import annotations


from . import certificate
from ..records import field, record
from ..scheduler.ops import JOIN, SLEEP, TIMED_JOIN
from ..shard import WHOLE, owns
from .events import Event, class_key, clocks, co_enabled, dependent, earlier_dependents, own_counts, states
from .plan import Execution, TrialPlan, switches_of


@record
class Level:
    """The point before one step of the current execution."""

    enabled: frozenset
    pending: dict  # actor -> its next event there (for sleep sets)
    chosen: int
    backtrack: set = field(default_factory=set)
    done: set = field(default_factory=set)
    sleep: set = field(default_factory=set)


MAX_SPLIT = 4  # split levels at most: more would only add executions that learn the split


def split_depth(nprocs: int, shards: int) -> int:
    """How many levels the split takes: enough paths for every shard, when there are actors."""
    depth = 1
    while max(1, nprocs) ** depth < shards and nprocs > 1 and depth < MAX_SPLIT:
        depth += 1
    return depth


class Exhaustive:
    """Drive it with :meth:`next_prefix` / :meth:`observe` until :attr:`complete`. As shard
    ``(K, N)`` of a search over ``nprocs`` processes, the part the module's promise says."""

    def __init__(self, budget: int | None = None, shard: tuple[int, int] = WHOLE, nprocs: int = 0,
                 split: int | None = None):
        self.budget = budget
        self.stack: list[Level] = []
        self.executions = 0
        self.classes: set[int] = set()  # the distinct classes run so far (hashes of their keys)
        self.complete = False
        self.shard = shard
        sharded = shard[1] > 1
        self.fixed = nprocs  # the START levels, run first and never branched on (see 1. above)
        self.split = (split or split_depth(nprocs, shard[1])) if sharded else 0  # split levels after them
        self.shared = 0  # executions of paths another shard owns, run to learn the split
        self._prefix: list[int] | None = list(range(self.fixed))  # then the fair rule all the way

    def next_prefix(self) -> list[int] | None:
        """The actors to run, one per step, before the ``fair`` rule takes over; None when the
        search is over (complete, or out of budget)."""
        if self.complete or (self.budget is not None and self.executions >= self.budget):
            return None
        return list(self._prefix) if self._prefix is not None else None

    def observe(self, events: list[Event], available: dict | None = None) -> None:
        """The trace of the execution that followed the last prefix."""
        self.executions += 1
        before = states(events, available)
        blocked = self._extend(events, before)
        if not self.split:
            self.classes.add(hash(class_key(events)))
        elif not self._owned(len(self.stack)):
            self.shared += 1
        elif not blocked:  # an execution that ran an actor asleep repeats a class (maybe another shard's)
            self.classes.add(hash(class_key(events)))
        self._add_backtracks(events, available)
        self._prefix = self._next()

    def _extend(self, events: list[Event], before) -> bool:
        """The levels of the steps after the prefix; True when the execution ran an actor
        that was asleep (from there on it is not branched on)."""
        for k in range(len(self.stack), len(events)):
            sleep = self._sleep_after(k - 1, events) if k else set()
            chosen = events[k].actor
            level = Level(before[k].enabled, {a: events[i] for a, i in before[k].pending.items()},
                          chosen, {chosen}, {chosen}, sleep)
            if self.fixed <= k < self.fixed + self.split:
                level.backtrack = set(level.enabled)  # a split level: full expansion
            self.stack.append(level)
            if chosen in sleep:
                # the fair rule ran an actor whose move here was already explored: the rest
                # of this execution repeats explored classes, so its points are not branched
                # on; what could run here instead must still be tried
                level.backtrack |= set(level.enabled) - sleep
                return True
        return False

    def _path_number(self, depth: int) -> int:
        """The number of the path through the split levels among the first ``depth`` levels:
        each choice's position among its level's sorted enabled actors, one digit each."""
        number, radix = 0, max(1, self.fixed)
        for level in self.stack[self.fixed:min(depth, self.fixed + self.split)]:
            number = number * radix + sorted(level.enabled).index(level.chosen)
        return number

    def _owned(self, depth: int) -> bool:
        return owns(self.shard, self._path_number(depth))

    def _sleep_after(self, k: int, events: list[Event]) -> set:
        """Sleep set of the point after step k: what slept or was done at k and commutes
        with the step taken."""
        level = self.stack[k]
        taken = events[k]
        out = set()
        for actor in level.sleep | (level.done - {level.chosen}):
            nxt = level.pending.get(actor)
            if nxt is not None and not dependent(nxt, taken):
                out.add(actor)
        return out

    def _add_backtracks(self, events: list[Event], available=None) -> None:
        """For each step j of actor p, at each point where j was p's next step, the latest
        earlier step that races with it (dependent, could run at once, not already before p):
        reversing it is worth a try. Between p's previous step and j every racing step is
        the latest at some point; before p's previous step only the latest one counts."""
        stamps = clocks(events, available)
        counts = own_counts(events)
        last_of: dict[int, int] = {}
        for j, (e, racing) in enumerate(zip(events, earlier_dependents(events))):
            p = e.actor
            previous = last_of.get(p, -1)
            for i in racing:
                other = events[i]
                if previous >= 0 and _before(i, previous, events, stamps, counts):
                    # it happens before p's step already: not a race to reverse, nor is any
                    # earlier step of its actor (program order), so a lock's long history
                    # is not read back to the trace's start
                    racing.drop(other.actor)
                    continue
                if not co_enabled(other, e):
                    continue
                self._backtrack_at(i, j, p, events, stamps, counts)
                if i < previous:
                    break
            last_of[p] = j

    def _backtrack_at(self, i: int, j: int, p: int, events, stamps, counts) -> None:
        """Before step i, try an actor that leads to j first: p itself, else one whose step
        between i and j happens before j and not after i; one that is asleep there was already
        tried (and its classes covered), so the next candidate is taken; none left: every actor."""
        if i >= len(self.stack) or i < self.fixed:
            return  # not branched on (see observe), or a START: a race that cannot be reversed
        level = self.stack[i]
        # an actor whose step between them happens before j but not after i: run first at i,
        # it starts a sequence that puts j before i (a step after i, such as i's own actor's
        # next one, does not: its actor would run i again)
        leads = [p] + [events[k].actor for k in range(i + 1, j)
                       if _before(k, j, events, stamps, counts) and not _before(i, k, events, stamps, counts)]
        for actor in leads:
            if actor in level.enabled and actor not in level.sleep:
                level.backtrack.add(actor)
                return
        level.backtrack |= set(level.enabled)

    def _next(self) -> list[int] | None:
        """The next prefix to follow: the deepest level with something left to try, in this
        shard's part (below the split, only a path it owns is branched on; at the last split
        level, the paths of other shards are marked done, in the same order as theirs)."""
        last_split = self.fixed + self.split - 1
        while self.stack:
            depth = len(self.stack)
            level = self.stack[-1]
            if self.split and depth - 1 > last_split and not self._owned(depth):
                self.stack.pop()  # another shard's subtree
                continue
            for actor in sorted(level.backtrack - level.done - level.sleep):
                level.chosen = actor
                level.done.add(actor)
                if depth - 1 != last_split or self._owned(depth):
                    return [lv.chosen for lv in self.stack]
            self.stack.pop()
        self.complete = True
        return None


def _before(x: int, y: int, events: list[Event], stamps, counts) -> bool:
    """Does step x happen before (or be) step y: is it among the steps of its actor that y's
    vector clock counts?"""
    return counts[x] <= stamps[y].get(events[x].actor, 0)


SLEEPS = "each time.sleep lasts until no other worker can run"
TIMED_JOINS = "each join with a timeout waits for its thread's end"


def assumptions_of(events) -> set[str]:
    """What the scheduler's model of time decided for this execution: a sleep held back while
    another worker ran (a real sleep may end sooner), a join with a timeout that waited for the
    end (a real one may time out). The classes it covers are those of that model."""
    out = set()
    last: dict[int, int] = {}
    for k, e in enumerate(events):
        if e.kind == SLEEP and any(events[i].actor != e.actor for i in range(last.get(e.actor, -1) + 1, k)):
            out.add(SLEEPS)
        elif e.kind == JOIN and e.statement == TIMED_JOIN:
            out.add(TIMED_JOINS)
        last[e.actor] = k
    return out


class ExhaustiveSearch:
    """The executor's face of :class:`Exhaustive`: one trial per interleaving, until none is
    left or the trial budget (the run's trials) ends it. A trial that did not follow its
    schedule (the code took another path than its trace said it would: a spin loop that
    yielded, time read by the code), or whose trace was not whole, leaves the search without
    proof that it covered every class: it still explores, and says it is not complete."""

    kind = "exhaustive"

    def __init__(self, depth: int = 3, shard: tuple[int, int] = WHOLE, nprocs: int = 0):
        self.dpor = Exhaustive(shard=shard, nprocs=nprocs)
        self.inexact = 0  # trials that did not follow their schedule, or lost part of their trace
        self.unseen: tuple = ()  # indices a trial changed where no traced step wrote (the first such trial's)
        self.assumptions: set[str] = set()  # what the scheduler's model of time took for granted

    @property
    def finished(self) -> bool:
        return self.dpor.next_prefix() is None

    def plan(self, trial: int) -> TrialPlan | None:
        prefix = self.dpor.next_prefix()
        if prefix is None:
            return None
        return TrialPlan("fair", follow=switches_of(prefix))

    def wants_events(self, trial: int) -> bool:
        return True

    def observe(self, trial: int, execution: Execution) -> None:
        if not execution.exact:
            self.inexact += 1
        self.unseen = self.unseen or execution.unseen
        self.assumptions |= assumptions_of(execution.events)
        self.dpor.observe(list(execution.events), execution.available)

    def certificate(self, trials: int) -> dict:
        dpor = self.dpor
        return certificate.exhaustive(trials, len(dpor.classes), dpor.complete and not self.inexact,
                                      inexact=self.inexact, shard=dpor.shard, shared=dpor.shared,
                                      assumes=sorted(self.assumptions), unseen=self.unseen)
