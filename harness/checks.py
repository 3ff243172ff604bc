"""Snapshot checks: the invariants a read must see (worker side, tiny imports).

Promise: ``CHECKS[name](snapshot, previous, expected_sum, typecode, tolerance=None)`` returns
True when the snapshot keeps the invariant. ``sum`` compares in the array's C type (integer
sums wrap as the type does; float sums within ``tolerance``, which the plan derives from the
writers, or else a few ulps per value); ``monotonic`` compares with the same process's
previous snapshot.
"""

from __future__ import annotations

_INT_BITS = {"b": 8, "B": 8, "h": 16, "H": 16, "i": 32, "I": 32, "l": 64, "L": 64, "q": 64, "Q": 64}


FLOAT_EPS = {"f": 2.0 ** -23, "d": 2.0 ** -52}


def float_sum_tolerance(values, typecode: str) -> float:
    """How far a float sum may drift from rounding alone: a few ulps per value."""
    scale = sum(abs(x) for x in values) + 1.0
    return 4 * (len(values) + 1) * FLOAT_EPS.get(typecode, 2.0 ** -52) * scale


def uniform(snapshot, previous, expected_sum, typecode, tolerance=None) -> bool:
    return not snapshot or snapshot.count(snapshot[0]) == len(snapshot)


def sum_kept(snapshot, previous, expected_sum, typecode, tolerance=None) -> bool:
    total = sum(snapshot)
    bits = _INT_BITS.get(typecode)
    if bits is not None:
        return (total - expected_sum) % (1 << bits) == 0
    if tolerance is None:
        tolerance = float_sum_tolerance(snapshot, typecode)
    return abs(total - expected_sum) <= tolerance


def monotonic(snapshot, previous, expected_sum, typecode, tolerance=None) -> bool:
    if previous is None or len(previous) != len(snapshot):
        return True
    return all(a >= b for a, b in zip(snapshot, previous))


CHECKS = {"uniform": uniform, "sum": sum_kept, "monotonic": monotonic}
