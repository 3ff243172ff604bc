"""Writes the trace does not show: a controlled trial's final array against what its traced
writes leave (harness.session.unseen_writes). Hand-built trace entries, no processes."""

from __future__ import annotations

import ctypes

from harness.scheduler.board import encode_value
from harness.scheduler.ops import READ, WRITE
from harness.scheduler.parent import Entry
from harness.search.certificate import MAX_UNSEEN
from harness.session import unseen_writes


def entry(step, kind, arg, value=0, stop=-1):
    return Entry(step, 0, kind, arg, encode_value(value), 0, stop=stop)


def array(ctype, values):
    return (ctype * len(values))(*values)


def test_traced_writes_explain_the_final_array_and_a_change_without_one_is_named():
    start = array(ctypes.c_int, [0, 0, 0, 0])
    trace = [entry(1, READ, 0, 0), entry(2, WRITE, 0, 1), entry(3, WRITE, 2, 7), entry(4, WRITE, 2, 8)]
    assert unseen_writes(trace, start, array(ctypes.c_int, [1, 0, 8, 0])) == ()
    # index 3 changed, and index 2 holds what no write left: both unseen
    assert unseen_writes(trace, start, array(ctypes.c_int, [1, 0, 7, 5])) == (2, 3)


def test_a_slice_write_leaves_its_span_unknown_until_an_element_write():
    start = array(ctypes.c_int, [0] * 6)
    trace = [entry(1, WRITE, 1, 9, stop=4), entry(2, WRITE, 2, 3)]
    assert unseen_writes(trace, start, array(ctypes.c_int, [0, 9, 3, 9, 0, 0])) == ()
    assert unseen_writes(trace, start, array(ctypes.c_int, [0, 9, 4, 9, 0, 0])) == (2,)


def test_values_are_compared_as_the_array_stores_them():
    # an int written to a double array, a wrapped byte, a float32's rounding, and NaN
    trace = [entry(1, WRITE, 0, 0.1), entry(2, WRITE, 1, float("nan"))]
    assert unseen_writes(trace, array(ctypes.c_float, [0, 0]), array(ctypes.c_float, [0.1, float("nan")])) == ()
    assert unseen_writes([entry(1, WRITE, 0, 300)], array(ctypes.c_ubyte, [0]), array(ctypes.c_ubyte, [44])) == ()
    assert unseen_writes([entry(1, WRITE, 0, 3.0)], array(ctypes.c_double, [0]), array(ctypes.c_double, [3])) == ()


def test_at_most_a_few_indices_are_named():
    n = MAX_UNSEEN + 5
    assert unseen_writes([], array(ctypes.c_int, [0] * n), array(ctypes.c_int, [1] * n)) == tuple(range(MAX_UNSEEN))
