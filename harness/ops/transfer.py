"""``transfer``: for every index i of the range, ``arr[i] -= value; arr[j] += value`` with j
the next index of the range (wrapping): two read-modify-writes that keep the range's sum when
the step is atomic."""

from __future__ import annotations


from ..points import READ, RMW, WRITE
from . import keys
from ..records import record
from .base import Operation, Role
from .values import check_addend, number


@record(frozen=True)
class TransferParams:
    value: int | float = 1


class Transfer(Operation):
    name = "transfer"
    role = Role.RMW
    key_schemas = {"value": keys.VALUE}
    steps_alike_across_range = False  # the range's first index has its steps in the other order

    def check(self, checker, wp, w, ctype) -> None:
        check_addend(checker, wp, w, ctype)

    def params(self, w, ctype, where) -> TransferParams:
        return TransferParams(number(w.get("value", 1), ctype))

    def sum_change(self, group):
        return abs(group.params.value) or None

    def unit_of_atomicity(self) -> str:
        return "transfer step"

    def index_steps(self, p, i):
        if not p.start <= i < p.stop:
            return ()
        v = p.params.value
        if p.stop - p.start == 1 or i == p.start:  # its own step first; the wrap-around's comes last
            return (("+", -v), ("+", v))
        return (("+", v), ("+", -v))

    def model_cuts(self, p) -> set:
        # the first index of the range has its steps in the other order
        return {p.start + 1} if p.start + 1 < p.stop else set()

    def describe(self, p) -> str:
        return f"transfer {p.params.value}"

    def run_pass(self, run, p: int) -> None:
        arr, spec, at, on, tr, flags = run.arr, run.spec, run.at, run.on, run.traces, run.flags
        value, start, stop = spec.params.value, spec.start, spec.stop
        for i in run.indices:
            j = i + 1 if i + 1 < stop else start
            run.enter(i)
            for k, delta in ((i, -value), (j, value)):
                if on:
                    entry = at(READ | flags, k)
                x = arr[k]
                if tr:
                    run.value(entry, x)
                if on:
                    entry = at(WRITE | RMW | flags, k)
                arr[k] = x + delta
                if tr:
                    run.value(entry, x + delta)
            run.leave()


OP = Transfer()
