"""Snapshot checks: the invariants a read must see (worker side, tiny imports).

Promise: ``CHECKS[name](snapshot, previous, expected_sum, typecode)`` returns True when the
snapshot keeps the invariant. ``sum`` compares in the array's C type (integer sums wrap as
the type does); ``monotonic`` compares with the same process's previous snapshot.
"""

from __future__ import annotations

import math

_INT_BITS = {"b": 8, "B": 8, "h": 16, "H": 16, "i": 32, "I": 32, "l": 64, "L": 64, "q": 64, "Q": 64}


def uniform(snapshot, previous, expected_sum, typecode) -> bool:
    return not snapshot or snapshot.count(snapshot[0]) == len(snapshot)


def sum_kept(snapshot, previous, expected_sum, typecode) -> bool:
    total = sum(snapshot)
    bits = _INT_BITS.get(typecode)
    if bits is not None:
        return (total - expected_sum) % (1 << bits) == 0
    scale = sum(abs(x) for x in snapshot) + abs(expected_sum) + 1.0
    return math.isclose(total, expected_sum, rel_tol=0, abs_tol=scale * len(snapshot) * 1e-6)


def monotonic(snapshot, previous, expected_sum, typecode) -> bool:
    if previous is None or len(previous) != len(snapshot):
        return True
    return all(a >= b for a, b in zip(snapshot, previous))


CHECKS = {"uniform": uniform, "sum": sum_kept, "monotonic": monotonic}
