"""C value semantics pinned to ctypes itself: at every limit of every typecode, what
harness.cvalues promises is what a real ``multiprocessing.Array(typecode, n, lock=False)``
holds. The oracle is always the real array, never the project's own ``store``.
"""

from __future__ import annotations

import ctypes
import math
import multiprocessing
import struct
import sys
from multiprocessing.sharedctypes import typecode_to_type

import pytest

from harness.cvalues import CTYPES, TYPECODES, _make

INTEGER_CODES = [c for c in TYPECODES if c not in ("f", "d")]
FLT_MAX = struct.unpack("<f", b"\xff\xff\x7f\x7f")[0]  # the largest finite single, from its bits
DBL_MAX = sys.float_info.max


def held(typecode: str, value):
    """What a real shared array of this typecode holds after ``arr[0] = value``."""
    arr = multiprocessing.Array(typecode, 1, lock=False)
    arr[0] = value
    return arr[0]


def held_in_ctypes(typecode: str, value):
    """The same, through a bare ctypes array of multiprocessing's own C type for the code."""
    arr = (typecode_to_type[typecode] * 1)()
    arr[0] = value
    return arr[0]


def array_limits(typecode: str) -> tuple[int, int]:
    """The range of a real array's element, found from the array alone: all bits set reads
    back as -1 in a signed type and as the maximum in an unsigned one."""
    bits = 8 * ctypes.sizeof(typecode_to_type[typecode])
    if held(typecode, -1) == -1:
        return held(typecode, 1 << (bits - 1)), held(typecode, (1 << (bits - 1)) - 1)
    return 0, held(typecode, -1)


def test_every_numeric_typecode_of_multiprocessing_is_modelled():
    assert set(TYPECODES) == set(typecode_to_type) - {"c", "u"}


@pytest.mark.parametrize("code", TYPECODES)
def test_size_signedness_and_kind_are_the_arrays(code):
    ct = CTYPES[code]
    assert ct.typecode == code
    assert ct.bits == 8 * ctypes.sizeof(typecode_to_type[code])
    assert ct.bits == 8 * ctypes.sizeof(multiprocessing.Array(code, 1, lock=False))
    assert ct.is_float is isinstance(held(code, 0), float)
    assert ct.signed is (held(code, -1) == -1)


@pytest.mark.parametrize("code", TYPECODES)
def test_a_ctype_made_again_from_its_c_type_is_the_registered_one(code):
    # CTYPES is built once at import; making one again runs the derivation (kind, size,
    # signedness) that the tests above pin through CTYPES
    assert _make(code) == CTYPES[code]


# -- integers: lo, hi, lo-1, hi+1 and beyond ---------------------------------------------------------

@pytest.mark.parametrize("code", INTEGER_CODES)
def test_integer_limits_are_the_arrays(code):
    ct = CTYPES[code]
    assert (ct.lo, ct.hi) == array_limits(code)
    # the limits are tight: one further does not read back
    assert held(code, ct.hi) == ct.hi and held(code, ct.hi + 1) != ct.hi + 1
    assert held(code, ct.lo) == ct.lo and held(code, ct.lo - 1) != ct.lo - 1


def integer_probes(code: str) -> list[int]:
    lo, hi = array_limits(code)
    span = hi - lo + 1
    return sorted({lo, hi, lo - 1, hi + 1, lo + 1, hi - 1, lo - 2, hi + 2, 0, 1, -1,
                   span, -span, span - 1, lo - span, hi + span, hi + span + 1, 3 * span + 5, -3 * span - 5,
                   hi // 2, hi // 2 + 1, 10 ** 30, -(10 ** 30)})


@pytest.mark.parametrize("code", INTEGER_CODES)
def test_integer_store_is_what_the_array_holds_at_every_limit(code):
    ct = CTYPES[code]
    for x in integer_probes(code):
        want = held(code, x)
        assert want == held_in_ctypes(code, x)
        got = ct.store(x)
        assert got == want and type(got) is int, (code, x, got, want)


@pytest.mark.parametrize("code", INTEGER_CODES)
def test_integer_fits_exactly_the_values_the_array_holds_unchanged(code):
    ct = CTYPES[code]
    for x in integer_probes(code):
        assert ct.fits(x) is (held(code, x) == x), (code, x)
    assert not ct.fits(0.5) and not ct.fits(1.0)  # a float is no integer, even a whole one


@pytest.mark.parametrize("code", INTEGER_CODES)
def test_integer_range_is_described_with_the_arrays_limits(code):
    lo, hi = array_limits(code)
    assert CTYPES[code].describe_range() == f"an integer from {lo} to {hi}"


# -- floats: rounding to single precision, overflow to inf -----------------------------------------------

def float_probes() -> list:
    beyond = math.nextafter(FLT_MAX, math.inf)
    # single-precision rounding of FLT_MAX + half an ulp goes up, to inf; just below, down to FLT_MAX
    half_ulp_up = FLT_MAX + 2.0 ** 103
    return [0.0, -0.0, 0.1, -0.1, 1 / 3, 0.5, 1e-45, 1e-46, -1e-46, 16777217, 2 ** 24 + 1.0, 2 ** 53 + 1,
            FLT_MAX, -FLT_MAX, beyond, -beyond, math.nextafter(half_ulp_up, 0.0), half_ulp_up, -half_ulp_up,
            1e39, -1e39, DBL_MAX, -DBL_MAX, math.inf, -math.inf, 123456789, -(2 ** 70)]


@pytest.mark.parametrize("code", ["f", "d"])
def test_float_store_is_what_the_array_holds(code):
    ct = CTYPES[code]
    for x in float_probes():
        want = held(code, x)
        got = ct.store(x)
        assert type(got) is float
        assert struct.pack("<d", got) == struct.pack("<d", want), (code, x, got, want)  # -0.0 too


def test_single_precision_rounds_and_overflows_as_the_array_does():
    f = CTYPES["f"]
    assert f.store(0.1) == held("f", 0.1) != 0.1
    assert f.store(16777217) == 16777216.0
    assert f.store(FLT_MAX) == FLT_MAX
    assert f.store(math.nextafter(FLT_MAX, math.inf)) == FLT_MAX  # rounds down, still finite
    assert f.store(FLT_MAX + 2.0 ** 103) == math.inf == held("f", FLT_MAX + 2.0 ** 103)
    assert f.store(-1e39) == -math.inf
    # an integer too large even for a double (float() refuses it) is infinite too, not an error
    assert (f.store(10 ** 400), f.store(-(10 ** 400))) == (math.inf, -math.inf)
    assert f.store(1e-46) == 0.0
    x = 0.0
    for _ in range(3):  # every step rounds: not the double-precision sum
        x = f.store(x + 0.1)
    arr = multiprocessing.Array("f", 1, lock=False)
    for _ in range(3):
        arr[0] = arr[0] + 0.1
    assert x == arr[0] != 0.1 + 0.1 + 0.1


def test_double_is_the_python_float():
    d = CTYPES["d"]
    assert d.store(2 ** 53 + 1) == float(2 ** 53) == held("d", 2 ** 53 + 1)
    assert d.store(0.1) == 0.1 and d.store(DBL_MAX) == DBL_MAX


@pytest.mark.parametrize("code, largest", [("f", FLT_MAX), ("d", DBL_MAX)])
def test_float_limits_and_fits(code, largest):
    ct = CTYPES[code]
    assert (ct.lo, ct.hi) == (-math.inf, math.inf)
    assert held(code, ct.hi) == ct.hi and held(code, ct.lo) == ct.lo
    for x in (0, 1, -1, 0.1, 1e-46, largest, -largest, 10 ** 30):
        assert ct.fits(x) and math.isfinite(held(code, x)), x
    for x in (math.nextafter(largest, math.inf), -math.nextafter(largest, math.inf), math.inf, -math.inf,
              math.nan, 10 ** 400, -(10 ** 400)):
        assert not ct.fits(x), x
    for x in float_probes():  # whatever fits is stored as a finite number
        if ct.fits(x):
            assert math.isfinite(held(code, x)), x


def test_float_ranges_are_described():
    assert CTYPES["f"].describe_range() == "a finite number within single precision"
    assert CTYPES["d"].describe_range() == "a finite number"
