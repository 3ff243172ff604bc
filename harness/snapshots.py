"""Snapshots: what a reader read, checked as it reads it (worker side).

Promise: :class:`Snapshots` is one process's checker for one trial. ``see(snapshot, number,
where)`` counts the snapshot and checks it with the process's ``check`` (``uniform``, ``sum``,
``monotonic``: :mod:`harness.checks`), keeping the first torn one as a bounded
:class:`~harness.messages.TornRead` and counting the others. ``monotonic`` compares a snapshot
with the previous one read by the same thread: the reads of two threads have no order between
them. ``unit`` names what ``number`` counts in reports: a pass of a built-in reader, a read of
user code, or a value the user's function returned. ``check`` is None for a process that
checks nothing, so callers skip handing snapshots over. Public attributes: ``check``,
``count``, ``torn``, ``torn_count``.
"""

from __future__ import annotations

import threading

from .checks import CHECKS
from .messages import MAX_SHOWN, TornRead


class Snapshots:
    def __init__(self, spec, trial: int, unit: str = "pass"):
        self.spec, self.trial, self.unit = spec, trial, unit
        check = getattr(spec.params, "check", None)
        self.check = CHECKS[check] if check else None
        self._name = check
        self.previous: dict[int, object] = {}
        self.count = 0
        self.torn = None
        self.torn_count = 0

    def see(self, snapshot, number: int, where: str = "") -> None:
        self.count += 1
        if self.check is None:
            return
        spec, params = self.spec, self.spec.params
        thread = threading.get_ident()
        prev = self.previous.get(thread)
        if not self.check(snapshot, prev, params.check_sum, spec.typecode, params.check_tolerance):
            self.torn_count += 1
            if self.torn is None:
                # a bounded message: the report shows MAX_SHOWN values and the true length
                self.torn = TornRead(spec.worker, spec.group, number, self._name, tuple(snapshot[:MAX_SHOWN]),
                                     tuple(prev[:MAX_SHOWN]) if prev is not None else None, where,
                                     len(snapshot), sum(snapshot) if self._name == "sum" else None, self.unit)
        self.previous[thread] = snapshot
