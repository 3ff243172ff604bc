"""What every operation is: one object behind one small interface.

Promise: an :class:`Operation` says, for its own op only, which worker keys it takes
(``keys``, ``required``; the keys' schema lives in :mod:`harness.schema`), how to check them
beyond the schema and build its frozen parameters (load), which indices each process can touch
and how atomic its steps and passes are (plan), what one pass does to one index (the model),
how ``explain`` words it, how many contended points a trial has (timing), and how a worker
runs it (``runner``). The base class is what most operations share; a module overrides what
differs. Worker side: this module and the built-in operations import only worker-side code at
their top; what only the parent needs is imported where it is used.
"""

from __future__ import annotations

import time
from enum import Enum

from ..points import ACQUIRE, ARRAY_LOCK, IMPLICIT, LOCKED, RELEASE
from ..messages import SetupError  # noqa: F401 - an operation's runner raises it
from ..records import record


class Scope(str, Enum):
    """How much of a built-in operation's work one explicit ``get_lock()`` covers."""

    NONE = "none"
    ELEMENT = "element"
    PASS = "pass"
    WORKER = "worker"


HOLDING = (Scope.ELEMENT, Scope.PASS, Scope.WORKER)  # every element step holds the lock
WHOLE_PASS = (Scope.PASS, Scope.WORKER)  # every pass holds it


class Role(str, Enum):
    """What an operation does to the indices it touches, as the race analysis sees it."""

    RMW = "read-modify-write"  # reads an index, then writes it from what it read
    OVERWRITE = "overwrite"  # writes without reading: the last write wins
    READER = "reader"  # only reads, and checks what it read
    USER = "user code"  # the user's function: anything, anywhere in the array


@record(frozen=True)
class NoParams:
    """An operation without parameters of its own."""


class Operation:
    name = ""
    role = Role.OVERWRITE
    key_schemas: dict = {}  # the JSON Schema of the worker keys this operation takes beyond the common ones
    required: tuple[str, ...] = ()
    snapshot_unit = "pass"  # what a torn snapshot's number counts, in reports

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self.key_schemas)

    @property
    def writes(self) -> bool:
        return self.role is not Role.READER

    @property
    def user_code(self) -> bool:
        return self.role is Role.USER

    @property
    def rmw(self) -> bool:
        return self.role is Role.RMW

    # -- load -----------------------------------------------------------------------------
    def check(self, checker, wp: tuple, w: dict, ctype) -> None:
        """Problems the schema cannot see, reported through ``checker.at(path, message)``."""

    def checks_reads(self, w: dict) -> bool:
        """Does this worker check what it reads (so a torn_read canary can be seen)?"""
        return False

    def params(self, w: dict, ctype, where) -> object:
        """The group's frozen parameters from its YAML mapping (``where(key)``: the key's
        (line, column))."""
        return NoParams()

    # -- plan -----------------------------------------------------------------------------
    def reach(self, ranges: list[tuple[int, int]], size: int) -> list[tuple[int, int]]:
        """The indices each process can touch (its range, for built-in operations)."""
        return ranges

    def process_params(self, group, k: int, start: int, stop: int, scenario):
        """Process k's parameters (the group's, unless they differ per process)."""
        return group.params

    def step_atomic(self, group, array_lock: bool) -> bool:
        """No other process's access can land inside one of its element steps."""
        return array_lock and group.lock in HOLDING

    def pass_atomic(self, group, array_lock: bool) -> bool:
        """No other process's access can land inside one of its passes."""
        return array_lock and group.lock in WHOLE_PASS

    def only_grows(self, group, array) -> bool:
        """Every value its process leaves is at least the one before, wrap-around included."""
        return False

    def sum_change(self, group) -> float | None:
        """How far a torn sum of the indices it moves values between can be off, at least."""
        return None

    def user_code_reason(self, alone: bool) -> str:
        """Why user code can race: beside another group, or (``alone``) with its own threads."""
        return ""

    def shared_locks(self, p) -> set[str]:
        """The scenario's shared locks ($lock, $rlock) this process is given."""
        return set()

    def unit_of_atomicity(self) -> str:
        """What a sum check needs whole, for this writer: a pass, or (transfer) one step."""
        return "pass"

    # -- model ----------------------------------------------------------------------------
    models = True  # False: the model cannot compute what it leaves (user code)
    steps_alike_across_range = True  # every index of its range gets the same steps in a pass

    def index_steps(self, p, i: int) -> tuple:
        """One pass of process p on index i, as model steps: ("+", v) adds, ("=", v) stores,
        ("=pass",) stores the pass number."""
        return ()

    def model_cuts(self, p) -> set:
        """Indices where the model must not merge the segments of its range."""
        return set()

    # -- explain --------------------------------------------------------------------------
    def describe(self, p) -> str:
        return self.name

    # -- timing ---------------------------------------------------------------------------
    def hot_steps(self, p, contended: int) -> int:
        """Element steps of one trial on contended indices, given how many of its range's
        indices are contended."""
        return contended * p.loops

    # -- worker ---------------------------------------------------------------------------
    def runner(self, spec, arr, shared: dict):
        """``runner(policy, snaps)``: one trial of this process's steps."""
        return PassRunner(self, spec, arr)

    def run_pass(self, run: "PassRunner", p: int) -> None:
        """One pass (number ``p``, from 1) over the process's range."""
        raise NotImplementedError(f"operation {self.name!r} runs no passes")


class _NoLock:
    def acquire(self, *a, **k):
        return True

    def release(self):
        pass


NO_LOCK = _NoLock()


class PassRunner:
    """A built-in operation's trial: the locks of its scope around each element step, pass or
    the whole trial, its passes, and the sleep after each. What a pass uses: ``on`` (the
    policy wants points), ``at`` (its point function), ``traces`` and ``value`` (it wants the
    values accessed), ``flags`` (LOCKED inside a held lock, IMPLICIT through a lock=True
    array's wrapper), ``enter``/``leave`` (an element step's lock)."""

    def __init__(self, op: Operation, spec, arr):
        self.op, self.spec, self.arr = op, spec, arr
        scope = Scope(spec.lock)
        real = arr.get_lock() if scope is not Scope.NONE else NO_LOCK
        self.element, self.pass_lock, self.worker_lock = (real if scope is s else NO_LOCK
                                                          for s in (Scope.ELEMENT, Scope.PASS, Scope.WORKER))
        # points inside a held lock carry the LOCKED flag: a long delay there only makes the
        # others wait
        self.outer = LOCKED if scope in WHOLE_PASS else 0
        self.flags = (LOCKED if scope is not Scope.NONE else 0) | (IMPLICIT if hasattr(arr, "get_lock") else 0)
        self.indices = range(spec.start, spec.stop)

    def __call__(self, policy, snaps) -> None:
        self.policy, self.snaps = policy, snaps
        self.on, self.at = policy.active, policy.at
        self.traces, self.value = policy.traces, policy.value
        think = self.spec.think_us / 1e6
        self._take(self.worker_lock)
        for p in range(1, self.spec.loops + 1):
            self._take(self.pass_lock)
            self.op.run_pass(self, p)
            self._drop(self.pass_lock)
            if think:
                time.sleep(think)
        self._drop(self.worker_lock)

    def _take(self, lock, index: int = -1, flags: int = LOCKED) -> None:
        """Take ``lock`` (NO_LOCK: nothing to take), its point first, so a policy can act
        before the critical section (of ``index``'s element step, when it names one)."""
        if lock is NO_LOCK:
            return
        if self.on:
            self.at(ACQUIRE | flags, index, ARRAY_LOCK)
        lock.acquire()
        if self.on:
            self.policy.locked(ARRAY_LOCK)

    def _drop(self, lock) -> None:
        if lock is NO_LOCK:
            return
        if self.on:
            self.at(RELEASE | LOCKED, -1, ARRAY_LOCK)
        lock.release()
        if self.on:
            self.policy.unlocked(ARRAY_LOCK)

    def enter(self, index: int) -> None:
        """Before one element step on ``index``: its lock, if its scope is the element."""
        if self.element is not NO_LOCK:
            self._take(self.element, index, self.outer)

    def leave(self) -> None:
        if self.element is not NO_LOCK:
            self._drop(self.element)
