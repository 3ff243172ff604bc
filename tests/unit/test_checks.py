"""Snapshot checks with the odd value at every position, on sizes 1, 2 and more: a check that
skips a position (the first, the last) passes a torn snapshot there and hides the race."""

from __future__ import annotations

import ctypes
from multiprocessing.sharedctypes import typecode_to_type

import pytest

from harness.checks import CHECKS, FLOAT_EPS, float_sum_tolerance, monotonic, sum_kept, uniform

SIZES = (1, 2, 3, 5)
INTEGER_CODES = ("b", "B", "h", "H", "i", "I", "l", "L", "q", "Q")


def with_odd(size: int, position: int, base=7, odd=8) -> list:
    snapshot = [base] * size
    snapshot[position] = odd
    return snapshot


def test_checks_registry_names_the_contracts_checks():
    assert CHECKS == {"uniform": uniform, "sum": sum_kept, "monotonic": monotonic}


# -- uniform -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("size", SIZES)
def test_uniform_sees_the_odd_value_at_every_position(size):
    assert uniform([7] * size, None, None, "i")
    for position in range(size):
        torn = with_odd(size, position)
        assert uniform(torn, None, None, "i") is (size == 1), (size, position)
        assert uniform(tuple(torn), None, None, "i") is (size == 1)


@pytest.mark.parametrize("size", SIZES)
def test_uniform_sees_a_float_odd_value_at_every_position(size):
    for position in range(size):
        assert uniform(with_odd(size, position, 0.1, 0.1 + 2 ** -50), None, None, "d") is (size == 1)


def test_uniform_of_nothing_and_of_equal_zeros():
    assert uniform([], None, None, "i")
    assert uniform([0.0, -0.0], None, None, "f")  # equal values, whatever their bits


# -- sum ------------------------------------------------------------------------------------------------------

def span_of(code: str) -> int:
    """The integer type's span, from multiprocessing's own C type (not the check's table)."""
    return 1 << (8 * ctypes.sizeof(typecode_to_type[code]))


@pytest.mark.parametrize("code", INTEGER_CODES)
@pytest.mark.parametrize("size", SIZES)
def test_integer_sum_sees_a_changed_value_at_every_position(code, size):
    span = span_of(code)
    total = 7 * size
    assert sum_kept([7] * size, None, total, code)
    for position in range(size):
        for off, kept in ((1, False), (-1, False), (span // 2, False), (span, True), (-span, True),
                          (2 * span, True), (span + 1, False)):
            snapshot = with_odd(size, position, 7, 7 + off)
            assert sum_kept(snapshot, None, total, code) is kept, (code, size, position, off)


@pytest.mark.parametrize("code", INTEGER_CODES)
def test_integer_sum_compares_in_the_c_type(code):
    span = span_of(code)
    hi = span - 1 if code.isupper() else span // 2 - 1
    # the sum of the initial values may itself be out of the type's range: it wraps the same way
    assert sum_kept([hi, 1], None, hi + 1, code)
    assert sum_kept([hi, 1], None, hi + 1 - span, code)
    assert not sum_kept([hi, 2], None, hi + 1 - span, code)


@pytest.mark.parametrize("code", ["f", "d"])
@pytest.mark.parametrize("size", SIZES)
def test_float_sum_sees_a_changed_value_at_every_position(code, size):
    values = [0.1 * (k + 1) for k in range(size)]
    total = sum(values)
    assert sum_kept(values, None, total, code)
    for position in range(size):
        torn = list(values)
        torn[position] += 1.0
        assert not sum_kept(torn, None, total, code), (size, position)
        assert sum_kept(torn, None, total, code, tolerance=1.5)
        assert not sum_kept(torn, None, total, code, tolerance=0.5)
        torn[position] -= 2.0
        assert not sum_kept(torn, None, total, code), (size, position)


@pytest.mark.parametrize("code", ["f", "d"])
def test_float_sum_tolerance_is_a_few_ulps_per_value_at_the_sums_scale(code):
    eps = {"f": 2.0 ** -23, "d": 2.0 ** -52}[code]
    assert FLOAT_EPS[code] == eps
    values = [1.0, -3.0, 2.0]
    tol = float_sum_tolerance(values, code)
    assert tol == 4 * (len(values) + 1) * eps * (6.0 + 1.0)
    assert sum_kept(values, None, tol, code) and not sum_kept(values, None, tol * 1.01, code)
    assert float_sum_tolerance([], code) == 4 * eps


def test_float_sum_tolerance_of_an_unknown_code_is_double_precision():
    assert float_sum_tolerance([1.0], "x") == float_sum_tolerance([1.0], "d")


def test_explicit_tolerance_replaces_the_rounding_allowance():
    assert sum_kept([1.0, 2.0], None, 3.0 + 4e-15, "d")
    assert not sum_kept([1.0, 2.0], None, 3.0 + 4e-15, "d", tolerance=0.0)
    assert sum_kept([1.0, 2.0], None, 3.25, "d", tolerance=0.25)
    assert not sum_kept([1.0, 2.0], None, 3.25, "d", tolerance=0.2)


# -- monotonic ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("size", SIZES)
def test_monotonic_sees_a_value_going_down_at_every_position(size):
    previous = [7] * size
    assert monotonic([7] * size, previous, None, "i")
    for position in range(size):
        assert not monotonic(with_odd(size, position, 7, 6), previous, None, "i"), (size, position)
        assert monotonic(with_odd(size, position, 7, 8), previous, None, "i"), (size, position)
        # one value up does not excuse another going down
        up_and_down = with_odd(size, position, 8, 6)
        assert not monotonic(up_and_down, previous, None, "i")


def test_monotonic_has_nothing_to_compare_on_the_first_snapshot_or_another_shape():
    assert monotonic([1, 0], None, None, "i")
    assert monotonic([0], [5, 5], None, "i")
    assert monotonic([0, 0, 0], [5, 5], None, "i")
    assert not monotonic([0, 0], [5, 5], None, "i")
