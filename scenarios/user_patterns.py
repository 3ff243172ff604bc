"""Functions written the way user code shares a multiprocessing.Array: threads inside a
worker, sys.exit at the end, one shared index in a large array, a lock passed as its own
argument, per-process slices, a seqlock. The user_*.yaml scenarios call them unchanged."""
import sys
import threading


def increment_in_threads_unjoined(arr, loops, threads=2):
    """Starts threads that increment every element under the array lock, and returns
    without joining them: the process still waits for them before it exits."""
    def work():
        for _ in range(loops):
            for i in range(len(arr)):
                with arr.get_lock():
                    arr[i] += 1

    for _ in range(threads):
        threading.Thread(target=work).start()


def increment_in_threads(arr, loops, threads=3):
    """Threads of one process, each adding 1 to every element, with no lock."""
    def work():
        for _ in range(loops):
            for i in range(len(arr)):
                arr[i] += 1

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()


def fill_then_exit(arr, start, stop, value):
    """Writes its slice, then ends the process the way scripts often do."""
    for i in range(start, stop):
        arr[i] = value
    sys.exit(0)


def stride_then_total(arr, index, count):
    """Each process adds 1 to every count-th element from its own index (no two processes
    share one), then bumps the shared last element, which it forgets to lock."""
    last = len(arr) - 1
    for i in range(index, last, count):
        arr[i] = arr[i] + 1
    arr[last] += 1


def increment_with_lock(arr, lock, loops):
    """A lock that is not the array's own, passed as its own argument."""
    for _ in range(loops):
        for i in range(len(arr)):
            with lock:
                arr[i] += 1


def fill_slice(arr, lo, hi, value):
    arr[lo:hi] = [value] * (hi - lo)


def seqlock_write(arr, loops):
    """One writer: arr[0] is the sequence (odd while writing), arr[1:] the data."""
    for n in range(1, loops + 1):
        arr[0] += 1
        for i in range(1, len(arr)):
            arr[i] = n
        arr[0] += 1


def seqlock_read(arr):
    """Retries until it read the data between two equal, even sequence numbers."""
    while True:
        before = arr[0]
        if before % 2:
            continue
        data = arr[1:]
        if arr[0] == before:
            return data


def seqlock_read_many(arr, loops):
    return [seqlock_read(arr) for _ in range(loops)]


def naive_read_many(arr, loops):
    """The same reads without the sequence check: what a reader sees when it does not retry."""
    return [arr[1:] for _ in range(loops)]


def increment_with_array_lock(arr, loops):
    """The same increments under the array's own lock: a different lock from $lock."""
    for _ in range(loops):
        for i in range(len(arr)):
            with arr.get_lock():
                arr[i] += 1
