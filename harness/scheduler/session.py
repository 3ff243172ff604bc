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
from dataclasses import dataclass, field

from . import parent, strategies, token

WATCHDOG_S = 2.0  # no step for this long: the running actor blocks where the scheduler cannot see
MIN_ESTIMATE = 16


@dataclass
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


class Session:
    def __init__(self, ctx, nprocs: int, timing, shape: int, estimate: int, follow=None, dump_stack=None,
                 watchdog_s: float = WATCHDOG_S):
        self.words, self.sems = parent.new_board(ctx, nprocs)
        self.nprocs, self.timing, self.shape = nprocs, timing, shape
        self.estimate = max(MIN_ESTIMATE, estimate)
        self.follow = follow  # a decoded replay token, or None
        self.dump_stack = dump_stack or (lambda worker: "")
        self.watchdog_s = watchdog_s
        self._trial = 0

    def shared(self) -> tuple:
        return self.words, self.sems

    def before(self, seed: int, trial: int) -> None:
        """Set the board up for a trial: the strategy (and what it draws from), or the
        replay's switches to follow."""
        follow, strategy, depth, estimate = self.follow, self.timing.strategy, self.timing.depth, self.estimate
        if follow is not None and follow.strategy >= 0:  # made by a strategy: made again the same way
            strategy, depth, estimate = strategies.MODULES[follow.strategy].NAME, follow.depth, follow.estimate
        elif follow is not None:
            strategy = "stay"
        parent.reset(self.words, self.sems, strategy=strategy, seed=seed, trial=trial, estimate=estimate,
                     depth=depth, follow=follow.switches if follow is not None else ())
        self._made = (strategies.BY_NAME[strategy].ID, depth, estimate) if strategy != "stay" else None
        self._trial, self._seed = trial, seed
        self._last_step, self._last_change = 0, time.monotonic()
        self._freed_by = None

    def monitor(self, watch) -> None:
        """One look while the parent waits (``watch``: the trial's :class:`harness.trial._Watch`)."""
        words = self.words
        flags = parent.flags(words)
        if flags["deadlock"]:
            watch.deadline = time.monotonic()  # nothing will move again: end the wait now
            return
        if flags["free"]:
            return
        if watch.run.dead or watch.run.crashed or any(r.crashed for r in watch.received.values()):
            self._set_free("a worker crashed or died")
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
        self._set_free(f"no scheduling point was reached for {self.watchdog_s:g} s after step {step}: "
                       f"the running code waits on something the scheduler cannot see"
                       + (f"\n{stack}" if stack else ""))

    def _set_free(self, why: str) -> None:
        self._freed_by = why
        parent.set_free(self.words, self.sems)

    def after(self) -> Schedule:
        words = self.words
        flags = parent.flags(words)
        steps = parent.steps(words)
        self.estimate = max(MIN_ESTIMATE, steps)  # PCT's next change points: over this many steps
        replay = None
        if self._made is not None:
            replay = token.encode_made(*self._made, self.shape, self._seed, self._trial)
        elif not flags["switches_full"]:
            replay = token.encode(parent.switches(words), self.shape, self._seed, self._trial)
        schedule = Schedule(steps, replay, int(words[parent.SWITCH_N]), diverged=flags["diverged"],
                            trace=lambda: parent.trace(words), who=self.who)
        if flags["deadlock"]:
            schedule.deadlock = self._blocked()
        elif flags["free"] and self._freed_by and not self._freed_by.startswith("a worker"):
            schedule.uncontrolled = self._freed_by
        return schedule

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
