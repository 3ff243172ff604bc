"""C value semantics of the array typecodes, computed without touching shared memory.

Promise: :func:`store` returns exactly the value that ``multiprocessing.Array(typecode)``
holds after ``arr[i] = x`` (integers wrap as the C type does, ``f`` rounds to single
precision), so the model can predict a final array bit for bit.
"""

from __future__ import annotations

import ctypes
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class CType:
    typecode: str
    ctype: type
    is_float: bool
    bits: int
    signed: bool

    @property
    def lo(self) -> int | float:
        if self.is_float:
            return -float("inf")
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def hi(self) -> int | float:
        if self.is_float:
            return float("inf")
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    def store(self, value: int | float) -> int | float:
        """The value that a C variable of this type holds after assigning ``value``."""
        if self.is_float:
            if self.bits == 32:  # as ctypes stores it: beyond single precision is inf, not an error
                return ctypes.c_float(float(value)).value
            return float(value)
        span = 1 << self.bits
        wrapped = int(value) % span
        if self.signed and wrapped > self.hi:
            wrapped -= span
        return wrapped

    def fits(self, value: int | float) -> bool:
        if self.is_float:
            try:
                as_float = float(value)
            except OverflowError:  # an integer literal with hundreds of digits
                return False
            if self.bits == 32:
                return abs(as_float) <= 3.4028234663852886e38
            return math.isfinite(as_float)
        return isinstance(value, int) and self.lo <= value <= self.hi

    def describe_range(self) -> str:
        if self.is_float:
            return "a finite number" if self.bits == 64 else "a finite number within single precision"
        return f"an integer from {self.lo} to {self.hi}"


def _make(code: str, ctype: type) -> CType:
    is_float = ctype in (ctypes.c_float, ctypes.c_double)
    signed = is_float or code.islower()
    return CType(code, ctype, is_float, ctypes.sizeof(ctype) * 8, signed)


CTYPES: dict[str, CType] = {
    code: _make(code, ctype)
    for code, ctype in [
        ("b", ctypes.c_byte), ("B", ctypes.c_ubyte), ("h", ctypes.c_short),
        ("H", ctypes.c_ushort), ("i", ctypes.c_int), ("I", ctypes.c_uint),
        ("l", ctypes.c_long), ("L", ctypes.c_ulong), ("q", ctypes.c_longlong),
        ("Q", ctypes.c_ulonglong), ("f", ctypes.c_float), ("d", ctypes.c_double),
    ]
}
TYPECODES = tuple(CTYPES)
