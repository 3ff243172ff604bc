"""What the operations that only overwrite share: element by element, or one slice a pass.

Promise: :class:`Overwrite` writes ``value_for(params, p)`` to every index of the range each
pass, one element at a time or, with ``write: slice``, as one ``arr[start:stop] = [...]``;
under the array's lock one such write is atomic, so a whole pass is when it is one slice.
"""

from __future__ import annotations

from ..points import WRITE, span
from .base import WHOLE_PASS, Operation, Role


class Overwrite(Operation):
    role = Role.OVERWRITE

    def value_for(self, params, p: int):
        raise NotImplementedError

    def step_atomic(self, group, array_lock: bool) -> bool:
        return array_lock  # one access, and the array's own lock covers it

    def pass_atomic(self, group, array_lock: bool) -> bool:
        return array_lock and (group.lock in WHOLE_PASS or group.params.write == "slice")

    def describe_write(self, p) -> str:
        return " (one slice write per pass)" if p.params.write == "slice" else ""

    def run_pass(self, run, p: int) -> None:
        arr, spec, at, on, tr = run.arr, run.spec, run.at, run.on, run.traces
        v = self.value_for(spec.params, p)
        if spec.params.write == "slice":
            start, stop = spec.start, spec.stop
            run.enter(start)
            if on:  # one access of the whole range
                entry = at(WRITE | run.flags, *span(start, stop))
            arr[start:stop] = [v] * (stop - start)
            if tr:
                run.value(entry, v)
            run.leave()
            return
        for i in run.indices:
            run.enter(i)
            if on:
                entry = at(WRITE | run.flags, i)
            arr[i] = v
            if tr:
                run.value(entry, v)
            run.leave()
