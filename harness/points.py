"""Points: where a worker's code meets the shared array or a lock.

Promise: every operation, built-in or the user's through the instrumented array, tells its
timing policy (:mod:`harness.timing`) about each point with ``policy.at(point, index, lock)``
*before* the thing happens, and, when the policy ``traces``, the value an access read or wrote
after it (``policy.value(entry, value)`` with what ``at`` returned). ``point`` is a kind, with
flags or-ed in:

- ``READ``, ``WRITE``: an access of ``index``; a slice that covers more than one element
  names its lowest index as ``index`` and one past its highest as ``stop`` (a slice with a
  step covers that span, the elements it skips too);
- ``ACQUIRE``, ``RELEASE``: a lock (``lock``: ``ARRAY_LOCK``, ``DOLLAR_LOCK``, ``DOLLAR_RLOCK``);
  an acquire made for one element step names that element as ``index`` (-1 otherwise), so a
  policy can act before the critical section of a contended index;
- ``LOCKED``: inside a critical section the actor holds;
- ``RMW``: a write that follows the same actor's read of that index (the window of
  ``arr[i] += 1``);
- ``IMPLICIT``: the access takes the array's lock inside itself (a ``lock=True`` array's
  wrapper), so it cannot run while another actor holds that lock;
- ``TRY``: an acquire that does not wait for ever (``acquire(False)``, or with a timeout): it
  may run while another actor holds the lock, and fail.

After a real acquire and release the worker calls ``policy.locked(lock)`` /
``policy.unlocked(lock)``, so a policy that models locks knows who holds what. Kinds share
their numbers with :mod:`harness.scheduler.ops`. :class:`Policy` is the interface a timing
policy (:mod:`harness.timing`) implements, and the policy that does nothing. Worker side: no
imports.
"""

from __future__ import annotations

READ, WRITE, ACQUIRE, RELEASE = 0, 1, 2, 3
KIND = 15  # the bits of the kind; the flags are above
LOCKED, RMW, IMPLICIT, TRY = 16, 32, 64, 128

NO_LOCK = -1
ARRAY_LOCK, DOLLAR_LOCK, DOLLAR_RLOCK = 0, 1, 2
LOCK_OF_PLACEHOLDER = {"$lock": DOLLAR_LOCK, "$rlock": DOLLAR_RLOCK}


class Policy:
    """The interface, and the policy that does nothing. ``active`` False lets hot loops skip
    their calls to ``at``; ``traces`` False lets them skip ``value``."""

    active = False
    traces = False

    def at(self, point: int, index: int, lock: int = -1, stop: int = -1):
        """Before the access of ``index`` (to ``stop - 1``, for a slice) or the operation on
        ``lock`` that ``point`` names (:mod:`harness.points`); what to hand to :meth:`value`
        after it."""

    def value(self, entry, value) -> None:
        """The value that the access ``at`` returned ``entry`` for read or wrote."""

    def locked(self, lock: int) -> None:
        """The calling thread has just taken ``lock``."""

    def unlocked(self, lock: int) -> None:
        """The calling thread has just released ``lock``."""

    def start_line(self, wait) -> None:
        """The trial's start: ``wait()`` waits at the start line with the other workers."""
        wait()

    def done(self) -> None:
        """The calling worker's own code has returned or raised (its threads may still run)."""

    def finish(self) -> None:
        """The trial is over (what a policy learned may shape the next trial)."""


NO_DELAY = Policy()


def span(low: int, stop: int) -> tuple[int, ...]:
    """What follows ``point`` in ``at`` for an access of the indices ``low`` to ``stop - 1``:
    ``(low,)`` for one element, ``(low, NO_LOCK, stop)`` for a slice that covers more."""
    return (low,) if stop - low <= 1 else (low, NO_LOCK, stop)
