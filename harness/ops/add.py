"""``add``: ``arr[i] = arr[i] + value`` for every index of the range, each pass: a read and a
write, what ``arr[i] += value`` does."""

from __future__ import annotations


from ..points import READ, RMW, WRITE
from . import keys
from ..records import record
from .base import Operation, Role
from .values import check_addend, number


@record(frozen=True)
class AddParams:
    value: int | float = 1


class Add(Operation):
    name = "add"
    role = Role.RMW
    key_schemas = {"value": keys.VALUE}

    def check(self, checker, wp, w, ctype) -> None:
        check_addend(checker, wp, w, ctype)

    def params(self, w, ctype, where) -> AddParams:
        return AddParams(number(w.get("value", 1), ctype))

    def only_grows(self, group, array) -> bool:
        from ..cvalues import CTYPES

        if group.params.value < 0:
            return False
        total = group.params.value * group.loops * group.count
        return max(array.init[group.start:group.stop]) + total <= CTYPES[array.typecode].hi

    def index_steps(self, p, i):
        return (("+", p.params.value),) if p.start <= i < p.stop else ()

    def describe(self, p) -> str:
        return f"add {p.params.value}"

    def run_pass(self, run, p: int) -> None:
        arr, value, at, on, tr, flags = run.arr, run.spec.params.value, run.at, run.on, run.traces, run.flags
        for i in run.indices:
            run.enter(i)
            if on:
                entry = at(READ | flags, i)
            x = arr[i]
            if tr:
                run.value(entry, x)
            if on:
                entry = at(WRITE | RMW | flags, i)
            arr[i] = x + value
            if tr:
                run.value(entry, x + value)
            run.leave()


OP = Add()
