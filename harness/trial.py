"""The parent's side of one trial's protocol: start it, and wait for every worker's end.

Promise: :func:`watch` announces a trial in the control block (a wake-up byte only for a
worker asleep on its pipe), spins briefly for the done words (the usual clean trial costs no
system call) and otherwise sleeps on the workers' pipes and process sentinels, reading each
report as soon as it arrives (a report larger than the pipe's buffer would otherwise keep its
writer from ever marking done). It returns a :class:`TrialRun`: the reports of the workers that
finished, the workers that died, and those still running when the deadline passed. A crash
shortens the deadline to a grace period: the others may be waiting for a lock it held. Every
wait is bounded by ``timeout_s``.
"""

from __future__ import annotations

import time
from multiprocessing.connection import wait

from .control import WAKE
from .messages import TrialReport
from .records import field, record

CRASH_GRACE_S = 0.5  # after one worker crashes or dies, how long the others get to finish
SPIN_FOR_REPORTS_S = 0.002  # spin this long for the workers' done words before sleeping on the pipes
# then look at the done words this often, backing off: a clean worker sends nothing, so the
# parent learns that the last one finished only at its next look; a cap of 5 ms keeps that
# lag small against a trial (50 ms cost a trial-1 detection a fifth of its whole command),
# at a cost of 200 wake-ups a second while a long trial runs
POLL_MIN_S, POLL_MAX_S = 0.0005, 0.005


@record
class TrialRun:
    """What the workers did in one trial, as the parent saw it."""

    reports: list = field(default_factory=list)  # one per worker that finished, in worker order
    dead: list = field(default_factory=list)  # workers that died during the trial
    stuck: list = field(default_factory=list)  # workers still running at the deadline
    clean: bool = False  # every worker finished with nothing to say: nothing else to look at

    @property
    def crashed(self) -> bool:
        return any(r.crashed for r in self.reports)


class _Watch:
    def __init__(self, control, conns, procs, step: int, trial: int, timeout_s: float):
        self.control, self.conns, self.procs = control, conns, procs
        self.step, self.trial = step, trial
        self.run = TrialRun()
        self.pending: dict = {}
        self.received: dict = {}  # reports read before their done word was seen
        self.deadline = time.monotonic() + timeout_s

    def _died(self, i: int) -> None:
        self.procs[i].join(1.0)
        self.run.dead.append(i)
        self.pending.pop(i, None)
        self.deadline = min(self.deadline, time.monotonic() + CRASH_GRACE_S)

    def start(self) -> None:
        for i in self.control.go(self.step, self.trial):  # only a worker asleep on its pipe needs a message
            try:
                self.conns[i].send_bytes(WAKE)
            except OSError:  # it died between trials
                self._died(i)
        self.pending = {i: c for i, c in enumerate(self.conns) if i not in self.run.dead}

    def collect_done(self) -> None:
        """Take the reports of the workers whose done word shows the step."""
        for i, sent in self.control.finished(self.step).items():
            conn = self.pending.pop(i, None)
            if conn is None:
                continue
            if not sent:
                self.run.reports.append(TrialReport(self.trial, i))
                continue
            try:
                self.run.reports.append(self.received.pop(i) if i in self.received else conn.recv())
            except (EOFError, OSError):
                self._died(i)
        if self.run.crashed:  # the others may wait on a lock it held
            self.deadline = min(self.deadline, time.monotonic() + CRASH_GRACE_S)

    def sleep(self, poll_s: float) -> bool:
        """Sleep until a report, a death or the next look at the done words; False when the
        deadline has passed."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            return False
        procs, pending = self.procs, self.pending
        ready = wait([procs[i].sentinel for i in pending] + list(pending.values()), min(remaining, poll_s))
        for i, conn in list(pending.items()):
            if conn in ready and i not in self.received:
                try:
                    self.received[i] = conn.recv()
                    if self.received[i].crashed:  # the others may wait on a lock it held
                        self.deadline = min(self.deadline, time.monotonic() + CRASH_GRACE_S)
                    continue
                except (EOFError, OSError):
                    pass
            if procs[i].sentinel in ready or (conn in ready and i not in self.received):
                if i in self.received:
                    self.run.reports.append(self.received.pop(i))  # it reported, then died
                self._died(i)
        return True


def watch(control, conns, procs, step: int, trial: int, timeout_s: float, monitor=None) -> TrialRun:
    """Run the protocol of one trial (see the module's promise). ``monitor(watch)``, when
    given, takes a look each time the parent wakes (the controlled scheduler's watchdog); it
    may end the wait by moving ``watch.deadline``."""
    w = _Watch(control, conns, procs, step, trial, timeout_s)
    w.start()
    clean = control.wait_done(step, SPIN_FOR_REPORTS_S)
    if clean == len(conns) and not w.run.dead:
        return TrialRun(clean=True)  # the usual trial: every worker done, nobody had news
    poll_s = POLL_MIN_S
    while w.pending:
        w.collect_done()
        if monitor is not None and w.pending:
            monitor(w)
        if not w.pending or not w.sleep(poll_s):
            break
        poll_s = min(poll_s * 2, POLL_MAX_S)
    w.run.reports.extend(w.received.values())
    w.run.reports.sort(key=lambda r: r.worker)
    w.run.stuck = sorted(w.pending)
    return w.run
