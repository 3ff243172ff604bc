"""What the operations that check what they read share: the expected sum of their range.

Promise: :func:`with_expected_sum` gives a process's parameters with ``check_sum`` (the sum of
its range's initial values) and ``check_tolerance`` (for a float array, how far a sum may
drift from rounding, or a quarter of the smallest amount a writer moves between those
indices) when its check is ``sum``; otherwise the parameters unchanged. Parent side.
"""

from __future__ import annotations

from ..records import replace


def with_expected_sum(params, scenario, start: int, stop: int):
    if params.check != "sum":
        return params
    return replace(params, check_sum=sum(scenario.array.init[start:stop]),
                   check_tolerance=_sum_tolerance(scenario, start, stop))


def _sum_tolerance(scenario, start: int, stop: int) -> float | None:
    """For a float array: a torn sum is off by at least one moved amount, so allow a quarter
    of the smallest one, but never less than rounding at the array's magnitude (an amount
    smaller than that cannot be told from rounding at all)."""
    from ..checks import float_sum_tolerance
    from . import op_of

    if scenario.array.typecode not in ("f", "d"):
        return None
    amounts = [a for g in scenario.workers if g.start < stop and start < g.stop
               and (a := op_of(g.op).sum_change(g))]
    rounding = float_sum_tolerance(scenario.array.init[start:stop], scenario.array.typecode)
    return max(min(amounts) / 4, rounding) if amounts else rounding
