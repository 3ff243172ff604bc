"""Exhaustive search: every interleaving, up to reordering of independent steps.

Promise: :class:`Exhaustive` is dynamic partial-order reduction (Flanagan and Godefroid,
POPL 2005) over re-executions. Each trial follows the choices of the search stack (one actor
per step) and then the ``stay`` rule to the end; its trace extends the stack; every pair of
dependent steps of different actors that could have run the other way round (neither happens
before the other through the rest of the trace, and both could be next at once) adds, at
the point before the first, an actor that leads to the second (or, when none can, every
actor that could run there) to what must still be tried. Sleep sets skip an alternative
whose first step commutes with everything tried since it was last taken. When nothing is
left to try the space is covered: every class of executions that differ only in the order of
independent steps has been run at least once (``complete``). A budget of trials stops it
earlier, and then it is not complete.
"""

from __future__ import annotations


from . import certificate
from ..records import field, record
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


class Exhaustive:
    """Drive it with :meth:`next_prefix` / :meth:`observe` until :attr:`complete`."""

    def __init__(self, budget: int | None = None):
        self.budget = budget
        self.stack: list[Level] = []
        self.executions = 0
        self.classes: set[int] = set()  # the distinct classes run so far (hashes of their keys)
        self.complete = False
        self._prefix: list[int] | None = []  # the first trial follows nothing: stay all the way

    def next_prefix(self) -> list[int] | None:
        """The actors to run, one per step, before the ``stay`` rule takes over; None when the
        search is over (complete, or out of budget)."""
        if self.complete or (self.budget is not None and self.executions >= self.budget):
            return None
        return list(self._prefix) if self._prefix is not None else None

    def observe(self, events: list[Event], available: dict | None = None) -> None:
        """The trace of the execution that followed the last prefix."""
        self.executions += 1
        self.classes.add(hash(class_key(events)))
        before = states(events, available)
        depth = len(self._prefix or [])
        for k in range(depth, len(events)):
            sleep = self._sleep_after(k - 1, events) if k else set()
            chosen = events[k].actor
            level = Level(before[k].enabled, {a: events[i] for a, i in before[k].pending.items()},
                          chosen, {chosen}, {chosen}, sleep)
            self.stack.append(level)
            if chosen in sleep:
                # the stay rule ran an actor whose move here was already explored: the rest
                # of this execution repeats explored classes, so its points are not branched
                # on; what could run here instead must still be tried
                level.backtrack |= set(level.enabled) - sleep
                break
        self._add_backtracks(events, before)
        self._prefix = self._next()

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

    def _add_backtracks(self, events: list[Event], before) -> None:
        """For each step j of actor p, at each point where j was p's next step, the latest
        earlier step that races with it (dependent, could run at once, not already before p):
        reversing it is worth a try. Between p's previous step and j every racing step is
        the latest at some point; before p's previous step only the latest one counts."""
        stamps = clocks(events)
        counts = own_counts(events)
        last_of: dict[int, int] = {}
        for j, (e, racing) in enumerate(zip(events, earlier_dependents(events))):
            p = e.actor
            previous = last_of.get(p, -1)
            known = stamps[previous] if previous >= 0 else {}
            for i in racing:
                other = events[i]
                if not co_enabled(other, e):
                    continue
                if counts[i] <= known.get(other.actor, 0):
                    continue  # it happens before p's step already: not a race to reverse
                self._backtrack_at(i, j, p, events, stamps, counts)
                if i < previous:
                    break
            last_of[p] = j

    def _backtrack_at(self, i: int, j: int, p: int, events, stamps, counts) -> None:
        """Before step i, try an actor that leads to j first: p itself, else one whose step
        between i and j happens before j; one that is asleep there was already tried (and
        its classes covered), so the next candidate is taken; none left: every actor."""
        if i >= len(self.stack):
            return  # inside a part of the execution that is not branched on (see observe)
        level = self.stack[i]
        leads = [p] + [events[k].actor for k in range(i + 1, j)
                       if counts[k] <= stamps[j].get(events[k].actor, 0)]
        for actor in leads:
            if actor in level.enabled and actor not in level.sleep:
                level.backtrack.add(actor)
                return
        level.backtrack |= set(level.enabled)

    def _next(self) -> list[int] | None:
        while self.stack:
            level = self.stack[-1]
            todo = sorted(level.backtrack - level.done - level.sleep)
            if todo:
                level.chosen = todo[0]
                level.done.add(todo[0])
                return [lv.chosen for lv in self.stack]
            self.stack.pop()
        self.complete = True
        return None


class ExhaustiveSearch:
    """The executor's face of :class:`Exhaustive`: one trial per interleaving, until none is
    left or the trial budget (the run's trials) ends it. A trial that did not follow its
    schedule (the code took another path than its trace said it would: a spin loop that
    yielded, time read by the code), or whose trace was not whole, leaves the search without
    proof that it covered every class: it still explores, and says it is not complete."""

    kind = "exhaustive"

    def __init__(self, depth: int = 3):
        self.dpor = Exhaustive()
        self.inexact = 0  # trials that did not follow their schedule, or lost part of their trace

    @property
    def finished(self) -> bool:
        return self.dpor.next_prefix() is None

    def plan(self, trial: int) -> TrialPlan | None:
        prefix = self.dpor.next_prefix()
        if prefix is None:
            return None
        return TrialPlan("stay", follow=switches_of(prefix))

    def wants_events(self, trial: int) -> bool:
        return True

    def observe(self, trial: int, execution: Execution) -> None:
        if not execution.exact:
            self.inexact += 1
        self.dpor.observe(list(execution.events), execution.available)

    def certificate(self, trials: int) -> dict:
        return certificate.exhaustive(trials, len(self.dpor.classes), self.dpor.complete and not self.inexact,
                                      inexact=self.inexact)
