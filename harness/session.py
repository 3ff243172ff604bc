"""The executor's side of the controlled scheduler, for one worker set: the board, each trial's
setup, the watch during it, and what it left.

Promise: a :class:`Session` allocates the board and its semaphores from the processes'
context (:meth:`shared` is what the workers get); :meth:`before` prepares each trial (the
strategy, or the replay token's switches to follow, the expected steps for PCT's change
points: the last trial's count, deterministic under control); :meth:`monitor`, called while the
parent waits for the workers, ends the trial at once on a deadlock, sets the board free when a
worker died or crashed (the others must not wait for its turn) or when no step was made for
``watchdog_s`` (blocking the scheduler cannot see: the stack of the worker that held the turn is
kept, and the trial is ``uncontrolled``); :meth:`after` says what the trial was: a
:class:`Schedule` with its replay token, its flags, who waited for what in a deadlock, and the
trace, read from the board on demand (valid until the next trial).
"""

from __future__ import annotations

import time
from .records import field, record

from .scheduler import parent, strategies, token
from .scheduler.ops import WRITE

WATCHDOG_S = 2.0  # no step for this long: the running actor blocks where the scheduler cannot see
MIN_ESTIMATE = 16


@record
class Schedule:
    """What the controlled scheduler did in one trial."""

    steps: int
    replay: str | None  # the token, None when the switches overflowed their log
    switches: int = 0  # how often the running actor changed
    deadlock: list = field(default_factory=list)  # who waits for what (see Session._blocked)
    uncontrolled: str | None = None  # why the trial ran free (with the stack that blocked)
    diverged: bool = False  # a replay's schedule did not fit the code: not the same trial
    trace: object = None  # () -> (entries, dropped): the board's trace, until the next trial
    who: object = None  # actor -> (worker, thread), until the next trial
    ran: object = None  # () -> the (step, actor) switches that ran, until the next trial


class Session:
    def __init__(self, ctx, nprocs: int, timing, shape: int, estimate: int, follow=None, dump_stack=None,
                 watchdog_s: float = WATCHDOG_S, search=None):
        self.words, self.sems = parent.new_board(ctx, nprocs)
        self.search = search  # what each trial follows (harness.search), unless it replays a token
        self.nprocs, self.timing, self.shape = nprocs, timing, shape
        self.estimate = max(MIN_ESTIMATE, estimate)
        self.follow = follow  # a decoded replay token, or None
        self.dump_stack = dump_stack or (lambda worker: "")
        self.watchdog_s = watchdog_s
        self._trial = 0
        self._timing = False  # this trial runs free, with timing injection (mixed)

    def _plan_of(self, trial: int):
        from .search.plan import TrialPlan

        follow = self.follow
        if follow is not None and follow.strategy >= 0:  # made by a strategy: made again the same way
            return TrialPlan(strategies.MODULES[follow.strategy].NAME, depth=follow.depth, estimate=follow.estimate,
                             aim=follow.aim)
        if follow is not None:
            return TrialPlan("stay", follow=follow.switches)
        plan = self.search.plan(trial)
        if plan is None:
            from .errors import InternalError

            raise InternalError(f"trial {trial} was started after the {self.search.kind} search had finished")
        return plan

    def shared(self) -> tuple:
        return self.words, self.sems

    def before(self, seed: int, trial: int) -> None:
        """Set the board up for a trial: what the search (or the replay token) says it follows;
        a timing trial (the ``mixed`` policy's) only gets its mark, and runs free."""
        plan = self._plan_of(trial)
        self._timing = plan.strategy == "timing"
        if self._timing:
            parent.timing_trial(self.words)
            return
        estimate = plan.estimate or self.estimate
        parent.reset(self.words, self.sems, strategy=plan.strategy, seed=seed, trial=trial, estimate=estimate,
                     depth=plan.depth, follow=plan.follow)
        if plan.aim is not None:
            parent.aim(self.words, *plan.aim)
        made = not plan.follow and plan.strategy != "stay"  # named by a few numbers: the token says them
        self._made = (strategies.BY_NAME[plan.strategy].ID, plan.depth, estimate, plan.aim) if made else None
        self._trial, self._seed = trial, seed
        self._last_step, self._last_change = 0, time.monotonic()
        self._unseen_block = None  # why the watchdog set the trial free (None: it did not)

    def monitor(self, watch) -> None:
        """One look while the parent waits (``watch``: the trial's :class:`harness.trial._Watch`)."""
        if self._timing:
            return
        words = self.words
        flags = parent.flags(words)
        if flags["deadlock"]:
            watch.deadline = time.monotonic()  # nothing will move again: end the wait now
            return
        if flags["free"]:
            return
        if watch.run.dead or watch.run.crashed or any(r.crashed for r in watch.received.values()):
            parent.set_free(self.words, self.sems)  # the others must not wait for its turn
            return
        step, now = parent.steps(words), time.monotonic()
        if step != self._last_step:
            self._last_step, self._last_change = step, now
        elif now - self._last_change > self.watchdog_s:
            self._watchdog(step)

    def _watchdog(self, step: int) -> None:
        running = int(self.words[parent.RUNNING])
        worker = parent.actor_worker(self.words, running) if running >= 0 else -1
        stack = self.dump_stack(worker) if worker >= 0 else ""
        self._unseen_block = (f"no scheduling point was reached for {self.watchdog_s:g} s after step {step}: "
                              "the running code waits on something the scheduler cannot see"
                              + (f"\n{stack}" if stack else ""))
        parent.set_free(self.words, self.sems)

    def after(self, start=None, final=None) -> Schedule | None:
        """What the scheduler did in the trial (None: a timing trial, which it left alone);
        ``start`` and ``final``: the array before and after it, to find writes its trace
        does not show."""
        if self._timing:
            return None
        words = self.words
        flags = parent.flags(words)
        steps = parent.steps(words)
        self.estimate = max(MIN_ESTIMATE, steps)  # PCT's next change points: over this many steps
        self._observe(steps, flags, start, final)
        replay = None
        if self._made is not None:
            replay = token.encode_made(*self._made, self.shape, self._seed, self._trial)
        elif not flags["switches_full"]:
            replay = token.encode(parent.switches(words), self.shape, self._seed, self._trial)
        schedule = Schedule(steps, replay, int(words[parent.SWITCH_N]), diverged=flags["diverged"],
                            trace=lambda: parent.trace(words), who=self.who, ran=lambda: parent.switches(words))
        if flags["deadlock"]:
            schedule.deadlock = self._blocked()
        elif self._unseen_block:
            schedule.uncontrolled = self._unseen_block
        return schedule

    def _observe(self, steps: int, flags: dict, start, final) -> None:
        """What the search learns from the trial (the events only when it needs them). The
        trial is exact when its trace is whole and it followed the plan to its end; its
        unseen indices are those whose final value no traced write explains."""
        if self.search is None:
            return
        from .search.events import available, events_of
        from .search.plan import Execution

        exact = not (flags["free"] or flags["diverged"])
        events, born, unseen = (), {}, ()
        if self.search.wants_events(self._trial) and not flags["free"]:
            entries, dropped = parent.trace(self.words)
            actors = parent.actors(self.words)
            events, born, exact = tuple(events_of(entries, actors)), available(actors), exact and not dropped
            if exact and start is not None:
                unseen = unseen_writes(entries, start, final)
        self.search.observe(self._trial, Execution(events, (), int(self.words[parent.NEXT_THREAD]), False, born,
                                                   realized=parent.realized(self.words), steps=steps, exact=exact,
                                                   unseen=unseen))

    def _blocked(self) -> list[dict]:
        """Who waits for what: actors as (worker, thread) pairs."""
        out = []
        for w in parent.waiting(self.words):
            entry = {"actor": self.who(w["actor"]), "waits_for": w["lock"] or (
                f"{w['joins']} to end" if w["joins"] is not None else f"its {w['at']}"), "held_by": None}
            if w["holder"] >= 0:
                entry["held_by"] = self.who(w["holder"])
            if w["joins"] is not None:
                entry["joins"] = self.who(w["joins"])
            out.append(entry)
        return out

    def who(self, actor: int) -> tuple[int, int]:
        """(worker, thread) of an actor: thread 0 is a process's main thread, 1.. the threads
        it started, in order."""
        worker = parent.actor_worker(self.words, actor)
        if actor < self.nprocs:
            return worker, 0
        return worker, sum(1 for a in range(self.nprocs, actor + 1) if parent.actor_worker(self.words, a) == worker)


def unseen_writes(entries, start, final) -> tuple[int, ...]:
    """The first indices (at most MAX_UNSEEN) whose value in ``final`` (a ctypes array) no
    traced write explains, for a trial that began with ``start`` (one of the same type): each
    traced element write leaves its value (stored as the array's type stores it), a slice write
    leaves its span unknown (its trace holds one value), so final's values stand there. The
    rest changed through what the scheduler does not see: the array's buffer (numpy,
    memoryview). A buffer write that a traced write overwrote before the end leaves no mark."""
    import ctypes

    from .search.certificate import MAX_UNSEEN

    expected = type(final).from_buffer_copy(start)
    typecode = final._type_._type_
    size = ctypes.sizeof(final._type_)
    for e in entries:
        if e.kind != WRITE:
            continue
        if e.stop >= 0:
            ctypes.memmove(ctypes.addressof(expected) + e.arg * size, ctypes.addressof(final) + e.arg * size,
                           (e.stop - e.arg) * size)
        else:
            expected[e.arg] = e.value(typecode)  # wraps and rounds as the array does
    if bytes(expected) == bytes(final):  # the common case, compared in C
        return ()
    out = []
    for i, (want, got) in enumerate(zip(expected, final)):
        if want != got and not (want != want and got != got):  # NaN is NaN; -0.0 is 0.0
            out.append(i)
            if len(out) == MAX_UNSEEN:
                break
    return tuple(out)
