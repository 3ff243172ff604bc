"""The instrumented array: the stand-in for the shared array that a call worker's code gets.

Promise: :class:`InstrumentedArray` (``InstrumentedArray(real, ...)``) behaves like the object
it wraps for everything the user's code does with a shared array: indexing (negative too),
slices with any step, item and slice assignment, ``len``, iteration, ``list()``, ``in``,
``repr``, and the errors these raise. Over a ``multiprocessing.Array(lock=True)``
(a SynchronizedArray) it also has ``get_lock()``, ``acquire()``, ``release()``,
``get_obj()`` and ``with arr:``; over a ``lock=False`` raw ctypes array those are missing,
with the real object's AttributeError. Any other attribute is the real object's.

On top of that it tells the timing policy about every point (:mod:`harness.points`): each
element or slice access (READ, WRITE; RMW for a write that follows the same thread's read of
that index, as in ``arr[i] += 1``; IMPLICIT through the synchronized wrapper, which takes the
array's lock inside; LOCKED while the thread holds a lock the harness knows), and each acquire
and release of the array's lock, ``$lock`` and ``$rlock``, with the values accessed when the
policy traces them. When the worker has a ``check``,
every read that sees the worker's whole ``[start, stop)`` range is handed to the checker
with the user's file and line: a slice that covers the range, and a full iteration (which
Python does through ``__getitem__``: ``iter``, ``list``, ``in``, ``for``), or any run of
single-element reads ``arr[start], arr[start + 1], ..., arr[stop - 1]`` in that order with
no write of this process in between. This is a hot path: element access costs a few
attribute loads more than the real object when nothing is injected.

Over a raw ctypes array, and for ``get_obj()`` of a synchronized one, the stand-in is an
instance of a subclass of the real ctypes array type over the same memory: ``isinstance``
holds, and the buffer protocol works (``memoryview``, ``numpy.frombuffer``, ``ctypes.sizeof``),
as it does on the real object; what user code does through such a buffer is not
instrumented (no delays, no checks), since Python code cannot see those accesses.

Limits: over a SynchronizedArray, ``type(arr)`` is this module's wrapper (the real class
is private to multiprocessing); pickling (say, handing the array to a process the user's
code starts) hands over the real, un-instrumented object.
"""

from __future__ import annotations

import sys
from operator import index as _index
from threading import get_ident

from .frames import user_where
from .points import ACQUIRE, ARRAY_LOCK, IMPLICIT, LOCKED, NO_DELAY, READ, RELEASE, RMW, TRY, WRITE, span

_FIELDS = ("_real", "_n", "_policy", "_at", "_on", "_traces", "_snaps", "_check", "_plain",
           "_start", "_stop", "_threads", "_view", "_holding", "_implicit")


class _ThreadState:
    """What one thread of the worker did last: each thread has its own read-to-write window
    and its own run of reads, so threads of one process never mix theirs."""

    __slots__ = ("last", "next", "run")

    def __init__(self):
        self.last = None  # the index (or slice) this thread read last, until it writes
        self.next = -1  # the index that continues the current run of reads
        self.run = None  # the values of that run


class Holding:
    """Which threads of this process hold a lock the harness knows (the array's own,
    ``$lock``, ``$rlock``), and how deeply: points inside carry the LOCKED flag."""

    __slots__ = ("depth",)

    def __init__(self):
        self.depth: dict[int, int] = {}

    def flag(self) -> int:
        depth = self.depth
        return LOCKED if depth and depth.get(get_ident()) else 0

    def enter(self) -> None:
        ident = get_ident()
        self.depth[ident] = self.depth.get(ident, 0) + 1

    def leave(self) -> None:
        ident = get_ident()
        left = self.depth.get(ident, 0) - 1
        if left > 0:
            self.depth[ident] = left
        else:
            self.depth.pop(ident, None)


def _the_real(obj):
    """Unpickling an instrumented array gives the real object it stood in for."""
    return obj


_RAW_CLASSES: dict = {}


def _raw_class(real_type: type) -> type:
    """A subclass of the real ctypes array type with the instrumentation in front of it,
    named like it (one per array type, made on first use)."""
    cls = _RAW_CLASSES.get(real_type)
    if cls is None:
        cls = type(real_type.__name__, (InstrumentedArray, real_type), {"__slots__": _FIELDS})
        _RAW_CLASSES[real_type] = cls
    return cls


def _span(lo: int, hi: int, step: int) -> tuple[int, ...]:
    """What a non-empty slice names to a policy (:func:`harness.points.span`): its lowest
    index to one past its highest (a step's skipped elements included)."""
    last = lo + (len(range(lo, hi, step)) - 1) * step
    return span(min(lo, last), max(lo, last) + 1)


class InstrumentedArray:
    """The instrumentation, in front of the real object. ``InstrumentedArray(real, ...)``
    gives, over a raw ctypes array (``Array(..., lock=False)``), an instance of a subclass
    of ``type(real)`` over the same memory (see :func:`_raw_class`), and over a
    SynchronizedArray an :class:`InstrumentedSynchronizedArray`."""

    __slots__ = ()

    def __new__(cls, real, inj=NO_DELAY, snaps=None, start=0, stop=None, holding=None):
        if cls is InstrumentedArray:
            if hasattr(real, "get_lock"):
                return object.__new__(InstrumentedSynchronizedArray)
            return _raw_class(type(real)).from_buffer(real)
        return object.__new__(cls)

    def __init__(self, real, inj=NO_DELAY, snaps=None, start=0, stop=None, holding=None):
        self._real = real
        self._n = len(real)
        self._start = start
        self._stop = self._n if stop is None else stop
        self._view = None
        self._holding = holding if holding is not None else Holding()
        # the synchronized wrapper takes the array's lock inside every access
        self._implicit = IMPLICIT if hasattr(real, "get_lock") else 0
        self.bind(inj, snaps)

    def _in_lock(self) -> int:
        """The flags of an access now: LOCKED while the calling thread holds a lock the
        harness knows, IMPLICIT through the synchronized wrapper."""
        return self._holding.flag() | self._implicit

    def _state(self) -> _ThreadState:
        ident = get_ident()
        state = self._threads.get(ident)
        if state is None:
            state = self._threads[ident] = _ThreadState()
        return state

    def bind(self, policy, snaps) -> None:
        """A new trial: its timing policy and snapshot checker; forget the last trial's reads."""
        self._policy = policy
        self._at = policy.at
        self._on = policy.active
        self._traces = policy.traces
        self._snaps = snaps
        self._check = snaps is not None and snaps.check is not None
        self._plain = not (self._on or self._check)  # nothing to do but pass accesses on
        self._threads: dict[int, _ThreadState] = {}  # by thread: forget the last trial's reads
        if self._view is not None:
            self._view.bind(policy, snaps)

    # -- reads --------------------------------------------------------------------------
    def __getitem__(self, i):
        if i.__class__ is int:
            if self._plain:
                return self._real[i]
            k = i
        elif i.__class__ is slice:
            return self._get_slice(i)
        else:
            try:
                k = _index(i)
            except TypeError:
                return self._real[i]  # the real object's own error
        if k < 0:
            k += self._n
        entry = self._at(READ | self._in_lock(), k) if self._on and 0 <= k < self._n else None
        v = self._real[i]
        if self._traces:
            self._policy.value(entry, v)
        state = self._state()
        state.last = k
        if self._check:
            self._track(state, k, v)
        return v

    def _track(self, state: _ThreadState, k: int, v) -> None:
        if k == state.next:
            state.run.append(v)
        elif k == self._start:
            state.run = [v]
        else:
            state.next, state.run = -1, None
            return
        state.next = k + 1
        if state.next == self._stop:
            run = state.run
            state.next, state.run = -1, None
            self._see(run)

    def _see(self, values: list) -> None:
        snaps = self._snaps
        snaps.see(values, snaps.count + 1, user_where(sys._getframe(1)))

    def _get_slice(self, s: slice):
        try:
            lo, hi, step = s.indices(self._n)
        except (TypeError, ValueError):
            return self._real[s]  # the real object's own error
        entry = self._at(READ | self._in_lock(), *_span(lo, hi, step)) if self._on and (hi - lo) * step > 0 else None
        v = self._real[s]
        if self._traces and v:
            self._policy.value(entry, v[0 if step > 0 else -1])  # the lowest index's
        state = self._state()
        state.last = (lo, hi, step)
        if self._check:
            state.next, state.run = -1, None
            a, b = self._start, self._stop
            if step == 1:
                if lo <= a and b <= hi:
                    self._see(v[a - lo:b - lo])
            elif step == -1:
                if hi < a and b - 1 <= lo:
                    self._see(v[lo - b + 1:lo - a + 1][::-1])
            elif b - a == 1:
                r = range(lo, hi, step)
                if a in r:
                    self._see([v[r.index(a)]])
        return v

    # -- writes -------------------------------------------------------------------------
    def __setitem__(self, i, value):
        if i.__class__ is int:
            if self._plain:
                self._real[i] = value
                return
            k = i
        elif i.__class__ is slice:
            self._set_slice(i, value)
            return
        else:
            try:
                k = _index(i)
            except TypeError:
                self._real[i] = value  # the real object's own error
                return
        state = self._state()
        entry = None
        if self._on:
            if k < 0:
                k += self._n
            if 0 <= k < self._n:
                entry = self._at(WRITE | (RMW if k == state.last else 0) | self._in_lock(), k)
        state.last = None
        if self._check:
            state.next, state.run = -1, None
        try:
            self._real[i] = value
        except BaseException:
            if self._traces and entry is not None:  # refused: the value that stands is what the step left
                self._policy.value(entry, self._real[k])
            raise
        if self._traces:
            self._policy.value(entry, value)

    def _set_slice(self, s: slice, value) -> None:
        state = self._state()
        entry = None
        if self._on:
            try:
                lo, hi, step = s.indices(self._n)
            except (TypeError, ValueError):
                lo, hi, step = 0, 0, 1  # no access: the real object raises its own error
            if (hi - lo) * step > 0:
                entry = self._at(WRITE | (RMW if state.last == (lo, hi, step) else 0) | self._in_lock(),
                                 *_span(lo, hi, step))
        state.last = None
        if self._check:
            state.next, state.run = -1, None
        try:
            self._real[s] = value
        except BaseException:
            if self._traces and entry is not None:  # refused: the value that stands at its lowest index
                self._policy.value(entry, self._real[_span(lo, hi, step)[0]])
            raise
        if self._traces and entry is not None:
            self._policy.value(entry, value[0 if step > 0 else -1])  # the lowest index's, as a read's

    def __delitem__(self, i):
        del self._real[i]

    # -- the rest is the real object's ----------------------------------------------------
    def __len__(self) -> int:
        return self._n

    def __repr__(self) -> str:
        return repr(self._real)

    def __reduce__(self):
        # the real object, pickled as the real object is (shared memory under
        # multiprocessing's own pickler, a copy under plain pickle)
        return _the_real, (self._real,)

    def __reduce_ex__(self, protocol):
        return self.__reduce__()

    # copy.copy would go through __reduce_ex__ and hand back the live shared array itself:
    # a copy is what the real object makes of itself (or its error)
    def __copy__(self):
        import copy

        return copy.copy(self._real)

    def __deepcopy__(self, memo):
        import copy

        return copy.deepcopy(self._real, memo)

    def __getattr__(self, name):
        if name in _FIELDS:  # not initialised yet
            raise AttributeError(name)
        return getattr(self._real, name)


def _waits_for_ever(*args, **kwargs) -> bool:
    """Whether ``acquire(*args, **kwargs)`` waits until it has the lock, read as a
    multiprocessing lock (``block``, ``timeout``) or a threading one (``blocking``) reads them."""
    block = args[0] if args else kwargs.get("block", kwargs.get("blocking", True))
    timeout = args[1] if len(args) > 1 else kwargs.get("timeout")
    return bool(block) and (timeout is None or timeout < 0)


class InstrumentedLock:
    """A lock the harness knows (the array's own, ``$lock``, ``$rlock``: ``lock_id``), with a
    point just before taking it and just before releasing it; ``arr`` is the stand-in whose
    policy and :class:`Holding` it uses."""

    __slots__ = ("_lock", "_arr", "_id")

    def __init__(self, lock, arr: InstrumentedArray, lock_id: int = ARRAY_LOCK):
        self._lock = lock
        self._arr = arr
        self._id = lock_id

    def _taking(self, waits: bool = True) -> None:
        if self._arr._on:
            self._arr._at(ACQUIRE | LOCKED | (0 if waits else TRY), -1, self._id)

    def _taken(self) -> None:
        self._arr._holding.enter()
        if self._arr._on:
            self._arr._policy.locked(self._id)

    def _releasing(self) -> None:
        if self._arr._on:
            self._arr._at(RELEASE | LOCKED, -1, self._id)

    def _released(self) -> None:
        self._arr._holding.leave()
        if self._arr._on:
            self._arr._policy.unlocked(self._id)

    def acquire(self, *args, **kwargs):
        self._taking(_waits_for_ever(*args, **kwargs))
        got = self._lock.acquire(*args, **kwargs)
        if got:
            self._taken()
        return got

    def release(self):
        self._releasing()
        result = self._lock.release()  # raises, as the real one does, when not held
        self._released()
        return result

    def __enter__(self):
        self._taking()
        got = self._lock.__enter__()
        self._taken()
        return got

    def __exit__(self, *exc):
        self._releasing()
        result = self._lock.__exit__(*exc)
        self._released()
        return result

    def __repr__(self) -> str:
        return repr(self._lock)

    def __reduce__(self):
        return self._lock.__reduce__()

    def __getattr__(self, name):
        if name in InstrumentedLock.__slots__:
            raise AttributeError(name)
        return getattr(self._lock, name)


class InstrumentedSynchronizedArray(InstrumentedArray):
    """Over a SynchronizedArray (``Array(..., lock=True)``): adds its lock methods."""

    __slots__ = (*_FIELDS, "_lock", "__weakref__")

    def __init__(self, real, inj=NO_DELAY, snaps=None, start=0, stop=None, holding=None):
        self._lock = InstrumentedLock(real.get_lock(), self)
        super().__init__(real, inj, snaps, start, stop, holding)

    def get_lock(self):
        return self._lock

    def acquire(self, *args, **kwargs):
        return self._lock.acquire(*args, **kwargs)

    def release(self):
        return self._lock.release()

    def __enter__(self):
        return self._lock.__enter__()

    def __exit__(self, *exc):
        return self._lock.__exit__(*exc)

    def get_obj(self):
        """The raw ctypes array under the lock, instrumented like this one (and, like the
        real one, without a lock of its own, and with the buffer protocol)."""
        if self._view is None:
            self._view = InstrumentedArray(self._real.get_obj(), self._policy, self._snaps, self._start, self._stop,
                                           self._holding)
        return self._view
