"""C value semantics of the array typecodes, computed without touching shared memory.

Promise: :func:`store` returns exactly the value that ``multiprocessing.Array(typecode)``
holds after ``arr[i] = x`` (integers wrap as the C type does, ``f`` rounds to single
precision), so the model can predict a final array bit for bit.
"""

from __future__ import annotations

import array
import math
import struct

from .records import record


@record(frozen=True)
class CType:
    typecode: str
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
            if self.bits == 32:  # as a C float stores it: beyond single precision is inf, not an error
                try:
                    return struct.unpack("f", struct.pack("f", float(value)))[0]
                except OverflowError:  # float() refuses an int too large for a double (so would copysign)
                    return math.inf if value > 0 else -math.inf
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


def _make(code: str) -> CType:
    # the array module's C types are multiprocessing.Array's (both are the platform's C types),
    # and asking it is cheaper than importing ctypes for a command that only checks files
    is_float = code in ("f", "d")
    return CType(code, is_float, array.array(code).itemsize * 8, is_float or code.islower())


TYPECODES = ("b", "B", "h", "H", "i", "I", "l", "L", "q", "Q", "f", "d")
CTYPES: dict[str, CType] = {code: _make(code) for code in TYPECODES}


def as_bytes(typecode: str, values) -> bytes:
    """The values as the shared array holds them in memory."""
    return array.array(typecode, values).tobytes()
