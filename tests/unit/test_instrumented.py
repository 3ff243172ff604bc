"""InstrumentedArray in-process: it behaves like the real shared array, injects at the
right points and hands whole-range reads to the checker with the user's file and line."""

from __future__ import annotations

import multiprocessing
import sys
import threading

import pytest

from harness import points
from harness.frames import user_where
from harness.instrumented import InstrumentedArray, InstrumentedLock
from harness.messages import ProcessSpec
from harness.ops.call import CallParams
from harness.snapshots import Snapshots as _Snapshots

# What these tests check is where the points fall and what they mean: an access (READ or
# WRITE), the read-to-write window (a WRITE flagged RMW), a lock taken or released, and whether
# the thread holds a lock; the recorder writes each point in those words.
ACCESS, BETWEEN, ACQUIRED, RELEASING, LOCKED = "access", "between", "acquired", "releasing", 4

INIT = [3, 1, 4, 1, 5, 9, 2]
N = len(INIT)
HERE = "test_instrumented.py"


class Recorder:
    """A fake injector that records every injection point."""

    active = True

    def __init__(self):
        self.calls = []
        self.locks = []
        self.stops = []  # a slice's end, -1 for one element

    traces = False

    def at(self, point, index, lock=-1, stop=-1):
        kind = point & points.KIND
        if kind == points.ACQUIRE:
            word = ACQUIRED
        elif kind == points.RELEASE:
            word = RELEASING
        else:
            word = BETWEEN if point & points.RMW else ACCESS
        self.calls.append(((word, LOCKED) if point & points.LOCKED else word, index))
        self.locks.append(lock)
        self.stops.append(stop)

    def value(self, entry, value):
        pass

    def locked(self, lock):
        pass

    def unlocked(self, lock):
        pass


class Silent(Recorder):
    active = False  # like NO_DELAY: callers must not call at() at all


class FakeSnaps:
    def __init__(self, check="uniform"):
        self.check = check
        self.count = 0
        self.seen = []

    def see(self, snapshot, pass_no, where=""):
        self.count += 1
        self.seen.append((list(snapshot), pass_no, where))


def make_real(lock: bool):
    return multiprocessing.Array("i", INIT, lock=lock)


def line_after() -> int:
    """The line number after the caller's line."""
    return sys._getframe(1).f_lineno + 1


def outcome(fn, arr):
    try:
        return ("ok", fn(arr))
    except Exception as exc:  # noqa: BLE001 - comparing what each raises
        return (type(exc), str(exc))


# -- behaves like the real object -------------------------------------------------------

READS = [pytest.param(lambda a, i=i: a[i], id=f"a[{i}]") for i in range(-N - 1, N + 1)]
SLICES = [slice(None), slice(1, 4), slice(-3, None), slice(None, None, 2), slice(None, None, -1),
          slice(5, 1, -2), slice(1, 100), slice(-100, 2), slice(4, 2), slice(None, None, 3),
          slice(6, None, -3)]
READS += [pytest.param(lambda a, s=s: a[s], id=f"a[{s}]") for s in SLICES]
READS += [
    pytest.param(lambda a: a["x"], id="a['x']"),
    pytest.param(lambda a: a[::0], id="a[::0]"),
    pytest.param(lambda a: a["x":], id="a['x':]"),
    pytest.param(lambda a: a[1.0], id="a[1.0]"),
    pytest.param(lambda a: a[True], id="a[True]"),
    pytest.param(lambda a: len(a), id="len"),
    pytest.param(lambda a: list(a), id="list"),
    pytest.param(lambda a: [x for x in a], id="for"),
    pytest.param(lambda a: list(iter(a)), id="iter"),
    pytest.param(lambda a: list(reversed(a)), id="reversed"),
    pytest.param(lambda a: list(enumerate(a)), id="enumerate"),
    pytest.param(lambda a: (4 in a, 7 in a, "x" in a), id="in"),
    pytest.param(lambda a: (sum(a), max(a), sorted(a), bool(a)), id="sum-max-sorted-bool"),
]

WRITES = [
    pytest.param(lambda a: a.__setitem__(2, 40), id="a[2]=40"),
    pytest.param(lambda a: a.__setitem__(-1, 7), id="a[-1]=7"),
    pytest.param(lambda a: a.__setitem__(N, 7), id="a[N]=7"),
    pytest.param(lambda a: a.__setitem__(-N - 1, 7), id="a[-N-1]=7"),
    pytest.param(lambda a: a.__setitem__(0, 1.5), id="a[0]=1.5"),
    pytest.param(lambda a: a.__setitem__(0, "x"), id="a[0]='x'"),
    pytest.param(lambda a: a.__setitem__("k", 1), id="a['k']=1"),
    pytest.param(lambda a: a.__setitem__(slice(1, 3), [8, 9]), id="a[1:3]=[8,9]"),
    pytest.param(lambda a: a.__setitem__(slice(1, 3), [8]), id="a[1:3]=[8] (wrong size)"),
    pytest.param(lambda a: a.__setitem__(slice(None, None, 2), [0, 0, 0, 0]), id="a[::2]=..."),
    pytest.param(lambda a: a.__setitem__(slice(None, None, -1), list(range(N))), id="a[::-1]=..."),
    pytest.param(lambda a: a.__setitem__(slice(None), [1] * N), id="a[:]=..."),
    pytest.param(lambda a: a.__setitem__(slice(None, None, 0), []), id="a[::0]=[]"),
    pytest.param(lambda a: a.__setitem__(slice("x", None), []), id="a['x':]=[]"),
    pytest.param(lambda a: _delete(a, 0), id="del a[0]"),
    pytest.param(lambda a: _delete(a, slice(1, 2)), id="del a[1:2]"),
]


def _delete(a, i):
    del a[i]


def _increment_all(a):
    for i in range(len(a)):
        a[i] += 1


WRITES.append(pytest.param(_increment_all, id="a[i]+=1"))


@pytest.mark.parametrize("instrumented", [True, False], ids=["injecting+checking", "plain"])
@pytest.mark.parametrize("lock", [True, False], ids=["lock=True", "lock=False"])
@pytest.mark.parametrize("op", READS + WRITES)
def test_same_result_and_errors_as_the_real_object(lock, op, instrumented):
    real, backing = make_real(lock), make_real(lock)
    inst = InstrumentedArray(backing, Recorder(), FakeSnaps()) if instrumented else InstrumentedArray(backing)
    assert outcome(op, inst) == outcome(op, real)
    assert backing[:] == real[:]


@pytest.mark.parametrize("lock", [True, False], ids=["lock=True", "lock=False"])
def test_repr_and_other_attributes_are_the_real_objects(lock):
    real = make_real(lock)
    inst = InstrumentedArray(real, Recorder())
    assert repr(inst) == repr(real)
    assert str(inst) == str(real)
    # anything not instrumented is the real object's
    if lock:
        assert inst._obj is real._obj
    else:
        assert inst._type_ is real._type_ and inst._length_ == N


def test_lock_false_has_no_lock_methods_like_the_real_one():
    real = make_real(False)
    inst = InstrumentedArray(real, Recorder())
    for name in ("get_lock", "acquire", "release", "get_obj"):
        with pytest.raises(AttributeError) as got:
            getattr(inst, name)
        with pytest.raises(AttributeError) as want:
            getattr(real, name)
        assert str(got.value) == str(want.value)
        assert not hasattr(inst, name)
    errors = []
    for arr in (inst, real):  # the raw array is no context manager either (3.10 raises
        with pytest.raises((TypeError, AttributeError)) as got:  # AttributeError, 3.11+ TypeError)
            with arr:
                pass
        errors.append(type(got.value))
    assert errors[0] is errors[1]


def test_lock_true_lock_methods_work_and_wrap_the_real_lock():
    real = make_real(True)
    inst = InstrumentedArray(real, Recorder())
    lock = inst.get_lock()
    assert isinstance(lock, InstrumentedLock)
    assert lock is inst.get_lock()
    assert repr(lock) == repr(real.get_lock())
    with inst.get_lock() as entered:
        assert entered is True
        inst[0] += 1  # the real RLock is re-entrant, inside and out
    assert inst.acquire() is True
    assert inst.acquire(False) is True  # re-entrant
    inst.release()
    inst.release()
    with inst:
        inst[1] = 10
    assert lock.acquire(timeout=1) is True
    lock.release()
    assert real[:2] == [INIT[0] + 1, 10]
    # released everywhere: another process's acquire would succeed
    assert real.get_lock().acquire(False)
    real.get_lock().release()
    # the real lock's other attributes show through
    assert lock._semlock is real.get_lock()._semlock


def test_get_obj_is_the_raw_array_instrumented_without_a_lock():
    real = make_real(True)
    inj = Recorder()
    inst = InstrumentedArray(real, inj)
    raw = inst.get_obj()
    assert raw is inst.get_obj()
    assert repr(raw) == repr(real.get_obj())
    assert raw[:] == INIT
    raw[2] = 77
    assert real[2] == 77
    assert inj.calls == [(ACCESS, 0), (ACCESS, 2)]
    with pytest.raises(AttributeError) as got:
        raw.get_lock()
    with pytest.raises(AttributeError) as want:
        real.get_obj().get_lock()
    assert str(got.value) == str(want.value)


@pytest.mark.parametrize("lock", [True, False], ids=["get_obj() of lock=True", "lock=False"])
def test_the_raw_array_offers_the_buffer_protocol_like_the_real_one(lock):
    """numpy.frombuffer(arr.get_obj()), memoryview and ctypes.sizeof work on the stand-in of
    a ctypes array, over the same shared memory, as they do on the real one."""
    import ctypes

    real = make_real(lock)
    inst = InstrumentedArray(real, Recorder())
    raw, real_raw = (inst.get_obj(), real.get_obj()) if lock else (inst, real)
    assert isinstance(raw, type(real_raw)) and type(raw).__name__ == type(real_raw).__name__
    assert ctypes.sizeof(raw) == ctypes.sizeof(real_raw)
    view = memoryview(raw)
    assert (view.nbytes, view.format, view.shape) == (memoryview(real_raw).nbytes, memoryview(real_raw).format, (N,))
    assert bytes(raw) == bytes(real_raw)
    alias = (ctypes.c_int * N).from_buffer(raw)  # what numpy.frombuffer does, in ctypes terms
    alias[3] = 1234
    assert real[3] == 1234 and raw[3] == 1234
    real[4] = -5
    assert alias[4] == -5


@pytest.mark.parametrize("how", ["copy", "deepcopy"])
@pytest.mark.parametrize("lock", [True, False], ids=["lock=True", "lock=False"])
def test_copying_behaves_like_copying_the_real_one(lock, how):
    import copy

    real = make_real(lock)
    inst = InstrumentedArray(real, Recorder())
    copier = getattr(copy, how)
    try:
        want = copier(real)
    except Exception as exc:  # noqa: BLE001 - the real one's error, whatever it is
        with pytest.raises(type(exc)):
            copier(inst)
        return
    got = copier(inst)
    assert type(got) is type(want) and got[:] == want[:]
    got[0] = -1  # a copy, not the shared array
    assert real[0] == INIT[0]


@pytest.mark.parametrize("lock", [True, False], ids=["lock=True", "lock=False"])
def test_pickling_outside_spawning_fails_like_the_real_one(lock):
    import pickle

    real = make_real(lock)
    inst = InstrumentedArray(real, Recorder())
    with pytest.raises((RuntimeError, pickle.PicklingError)) as got:
        pickle.dumps(inst)
    with pytest.raises((RuntimeError, pickle.PicklingError)) as want:
        pickle.dumps(real)
    assert type(got.value) is type(want.value)
    assert str(got.value) == str(want.value)


# -- injection points ------------------------------------------------------------------

@pytest.fixture(params=[True, False], ids=["lock=True", "lock=False"])
def rec(request):
    inj = Recorder()
    return InstrumentedArray(make_real(request.param), inj), inj


def test_element_read_and_write_inject_before_the_access(rec):
    arr, inj = rec
    arr[2]
    arr[-1]
    arr[3] = 5
    assert inj.calls == [(ACCESS, 2), (ACCESS, N - 1), (ACCESS, 3)]


def test_read_then_write_of_one_index_gets_the_between_point(rec):
    arr, inj = rec
    arr[2] += 1
    arr[-1] += 1
    arr[4] = arr[4] * 2
    x = arr[0]
    arr[1] = x  # a write of another index: an ordinary access
    assert inj.calls == [(ACCESS, 2), (BETWEEN, 2), (ACCESS, N - 1), (BETWEEN, N - 1),
                         (ACCESS, 4), (BETWEEN, 4), (ACCESS, 0), (ACCESS, 1)]


def test_slices_inject_once_naming_the_span_they_cover(rec):
    arr, inj = rec
    arr[1:4]
    arr[::-1]
    arr[4:2]  # empty: no access
    arr[2:5] = [1, 2, 3]
    arr[0:2] = [v + 1 for v in arr[0:2]]
    arr[3:4]  # one element: an element's access
    arr[4:0:-2]  # 4 and 2: the span between, as the lowest index and one past the highest
    assert inj.calls == [(ACCESS, 1), (ACCESS, 0), (ACCESS, 2), (ACCESS, 0), (BETWEEN, 0), (ACCESS, 3),
                         (ACCESS, 2)]
    assert inj.stops == [4, N, 5, 2, 2, -1, 5]


def test_iteration_injects_before_every_element_and_not_past_the_end(rec):
    arr, inj = rec
    list(arr)
    assert inj.calls == [(ACCESS, i) for i in range(N)]
    inj.calls.clear()
    assert 4 in arr
    assert inj.calls == [(ACCESS, 0), (ACCESS, 1), (ACCESS, 2)]


def test_out_of_range_and_bad_indices_inject_nothing(rec):
    arr, inj = rec
    for bad in (N, -N - 1, "x"):
        with pytest.raises((IndexError, TypeError)):
            arr[bad]
        with pytest.raises((IndexError, TypeError)):
            arr[bad] = 1
    assert inj.calls == []


def test_the_lock_injects_after_taking_and_before_releasing():
    inj = Recorder()
    arr = InstrumentedArray(make_real(True), inj)
    with arr.get_lock():
        arr[0] += 1
    arr.acquire()
    arr.release()
    arr.get_lock().acquire()
    arr.get_lock().release()
    with arr:
        pass
    assert arr.get_lock().acquire(True, 0) is True  # re-entrant in this process
    arr.get_lock().release()
    # every point inside the held lock carries LOCKED: the policy does not stall there
    held = [((ACQUIRED, LOCKED), -1), ((RELEASING, LOCKED), -1)]
    assert inj.calls == [((ACQUIRED, LOCKED), -1), ((ACCESS, LOCKED), 0), ((BETWEEN, LOCKED), 0),
                         ((RELEASING, LOCKED), -1)] + held * 4
    arr[1] += 1  # outside the lock again: plain points
    assert inj.calls[-2:] == [(ACCESS, 1), (BETWEEN, 1)]


def test_inactive_injector_is_never_called():
    for lock in (True, False):
        inj = Silent()
        arr = InstrumentedArray(make_real(lock), inj, FakeSnaps())
        arr[0] += 1
        list(arr)
        arr[1:3] = arr[1:3]
        if lock:
            with arr.get_lock():
                arr[2] = 0
        assert inj.calls == []


def test_a_new_trial_rebinds_array_lock_and_raw_view():
    real = make_real(True)
    first, second = Recorder(), Recorder()
    arr = InstrumentedArray(real, first)
    raw, lock = arr.get_obj(), arr.get_lock()
    arr.bind(second, None)
    arr[0]
    raw[1]
    with lock:
        pass
    assert first.calls == []
    assert second.calls == [(ACCESS, 0), (ACCESS, 1), ((ACQUIRED, LOCKED), -1), ((RELEASING, LOCKED), -1)]


# -- whole-range reads reach the checker ------------------------------------------------

@pytest.fixture(params=[True, False], ids=["lock=True", "lock=False"])
def checked(request):
    snaps = FakeSnaps()
    return InstrumentedArray(make_real(request.param), Recorder(), snaps), snaps


def _where(line: int) -> str:
    return f"{HERE}:{line}"


def test_list_and_iteration_are_checked_with_the_users_line(checked):
    arr, snaps = checked
    line = line_after()
    list(arr)
    for _ in arr:
        pass
    assert [s[0] for s in snaps.seen] == [INIT, INIT]
    assert [s[1] for s in snaps.seen] == [1, 2]
    assert snaps.seen[0][2].endswith(_where(line))
    assert snaps.seen[1][2].endswith(_where(line + 1))


def test_where_names_the_users_file_not_the_harness(checked):
    arr, snaps = checked
    list(arr)
    where = snaps.seen[0][2]
    assert "harness" not in where
    assert where.split(":")[0].endswith(HERE)


def test_whole_slices_are_checked_in_index_order(checked):
    arr, snaps = checked
    arr[:]
    arr[0:N]
    arr[-100:100]
    arr[::-1]
    arr[1:]  # misses index 0
    arr[::2]  # not every index
    assert [s[0] for s in snaps.seen] == [INIT] * 4
    assert [s[1] for s in snaps.seen] == [1, 2, 3, 4]


def test_a_run_of_single_reads_in_order_is_checked(checked):
    arr, snaps = checked
    line = line_after()
    values = [arr[i] for i in range(N)]
    assert values == INIT
    assert snaps.seen == [(INIT, 1, snaps.seen[0][2])]
    assert snaps.seen[0][2].endswith(_where(line))
    # negative indices name the same elements
    [arr[i - N] for i in range(N)]
    assert len(snaps.seen) == 2


def test_broken_runs_are_not_checked(checked):
    arr, snaps = checked
    [arr[i] for i in range(N - 1)]  # stops short,
    for _ in arr:  # and restarts at index 0, but stops after one element
        break
    [arr[i] for i in reversed(range(N))]  # wrong order
    [arr[i] for i in range(N) if i != 3]  # skips one
    for i in range(N):  # this process's own writes in between
        arr[i] += 0
    for i in range(N):
        arr[i]
        if i == 2:
            arr[5:6] = [9]
    for _ in arr:
        break
    assert snaps.seen == []
    # a restart at the range's first index begins a new run
    [arr[i] for i in (0, 1, 2, 0, 1, 2, 3, 4, 5, 6)]
    assert len(snaps.seen) == 1


def test_a_worker_range_is_what_gets_checked():
    snaps = FakeSnaps()
    arr = InstrumentedArray(make_real(True), Recorder(), snaps, start=2, stop=5)
    list(arr)  # the whole array covers [2, 5)
    arr[2:5]
    arr[1:6]
    arr[::-1]
    arr[3:5]  # does not cover it
    [arr[i] for i in range(2, 5)]
    [arr[i] for i in range(2, 4)]
    assert [s[0] for s in snaps.seen] == [INIT[2:5]] * 5
    assert [s[1] for s in snaps.seen] == [1, 2, 3, 4, 5]


def test_one_index_range_with_a_stepped_slice():
    snaps = FakeSnaps()
    arr = InstrumentedArray(make_real(False), Recorder(), snaps, start=4, stop=5)
    arr[::2]  # 0, 2, 4, 6 contains 4
    arr[::3]  # 0, 3, 6 does not
    arr[4]
    assert [s[0] for s in snaps.seen] == [[INIT[4]], [INIT[4]]]


def test_no_check_means_nothing_is_handed_over():
    snaps = FakeSnaps(check=None)
    arr = InstrumentedArray(make_real(True), Recorder(), snaps)
    list(arr)
    arr[:]
    [arr[i] for i in range(N)]
    assert snaps.seen == [] and snaps.count == 0


def test_the_raw_view_is_checked_too():
    snaps = FakeSnaps()
    arr = InstrumentedArray(make_real(True), Recorder(), snaps)
    list(arr.get_obj())
    assert snaps.seen[0][0] == INIT


def test_real_snapshot_checker_records_a_torn_read_with_where():
    real = multiprocessing.Array("i", [1, 1, 2, 2])
    spec = ProcessSpec(worker=3, group="reader", index=0, op="call", start=0, stop=4, params=CallParams(check="uniform"))
    snaps = _Snapshots(spec, trial=1)
    arr = InstrumentedArray(real, Recorder(), snaps, start=0, stop=4)
    line = line_after()
    list(arr)
    real[:] = [2, 2, 2, 2]
    list(arr)
    assert snaps.count == 2
    assert snaps.torn_count == 1
    assert snaps.torn.snapshot == (1, 1, 2, 2)
    assert snaps.torn.pass_no == 1
    assert snaps.torn.group == "reader" and snaps.torn.worker == 3
    assert snaps.torn.where.endswith(_where(line))


def test_user_where_skips_harness_frames():
    frame = sys._getframe()
    assert user_where(frame).endswith(_where(frame.f_lineno))
    assert user_where(None) == ""


# -- threads of one worker: each has its own window, runs of reads and locks -------------------

def in_thread(fn):
    t = threading.Thread(target=fn)
    t.start()
    t.join()


def test_threads_reads_never_mix_into_one_snapshot():
    snaps = FakeSnaps()
    arr = InstrumentedArray(make_real(False), Recorder(), snaps)
    [arr[i] for i in range(3)]  # the main thread reads the first half ...
    in_thread(lambda: [arr[i] for i in range(N)])  # ... another thread reads everything
    [arr[i] for i in range(3, N)]  # ... and the main thread finishes its run
    assert [s[0] for s in snaps.seen] == [INIT, INIT]
    in_thread(lambda: [arr[i] for i in range(4, N)])  # a tail alone is no snapshot
    assert len(snaps.seen) == 2


def test_the_read_to_write_window_belongs_to_one_thread():
    inj = Recorder()
    arr = InstrumentedArray(make_real(False), inj)
    arr[2]
    in_thread(lambda: arr.__setitem__(2, 0))  # not this thread's read: an ordinary access
    arr[2] = 5  # the main thread's own read of 2 came before
    assert inj.calls == [(ACCESS, 2), (ACCESS, 2), (BETWEEN, 2)]


def test_only_the_thread_holding_the_lock_is_inside_it():
    inj = Recorder()
    arr = InstrumentedArray(make_real(True), inj)
    with arr.get_lock():
        arr[0]
        in_thread(lambda: arr.get_obj().__setitem__(1, 0))  # another thread, not holding it
    assert inj.calls == [((ACQUIRED, LOCKED), -1), ((ACCESS, LOCKED), 0), (ACCESS, 1), ((RELEASING, LOCKED), -1)]


def test_a_separate_lock_is_instrumented_like_the_arrays():
    inj = Recorder()
    arr = InstrumentedArray(make_real(False), inj)
    lock = InstrumentedLock(multiprocessing.Lock(), arr)
    with lock:
        arr[3] += 1
    assert lock.acquire(timeout=0.01)
    assert not lock.acquire(timeout=0.01)  # a plain Lock: not re-entrant; the attempt is a point too
    lock.release()
    arr[3]
    assert inj.calls == [((ACQUIRED, LOCKED), -1), ((ACCESS, LOCKED), 3), ((BETWEEN, LOCKED), 3),
                         ((RELEASING, LOCKED), -1), ((ACQUIRED, LOCKED), -1), ((ACQUIRED, LOCKED), -1),
                         ((RELEASING, LOCKED), -1), (ACCESS, 3)]
    assert inj.locks[0] == points.ARRAY_LOCK  # this test's Lock stands in for the array's: the default id
    with pytest.raises(ValueError):  # releasing what is not held: the real lock's error
        lock.release()


def test_monotonic_compares_each_thread_with_its_own_previous_read():
    spec = ProcessSpec(worker=0, group="reader", index=0, op="call", start=0, stop=2, params=CallParams(check="monotonic"))
    snaps = _Snapshots(spec, trial=1, unit="read")
    snaps.see([5, 5], 1)
    in_thread(lambda: snaps.see([1, 1], 2))  # another thread's first read: nothing to compare with
    snaps.see([6, 6], 3)
    assert snaps.torn is None
    snaps.see([4, 4], 4)  # smaller than this thread's own previous read
    assert snaps.torn.previous == (6, 6) and snaps.torn.unit == "read" and snaps.torn_count == 1
