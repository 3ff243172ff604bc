"""``stamp``: ``arr[i] = p``, the pass number, for every index of the range each pass
(``write: slice``: one slice write a pass). A stamped array only grows, pass after pass."""

from __future__ import annotations


from . import keys
from ..records import record
from .overwrite import Overwrite


@record(frozen=True)
class StampParams:
    write: str = "element"


class Stamp(Overwrite):
    name = "stamp"
    key_schemas = {"write": keys.WRITE_HOW}

    def params(self, w, ctype, where) -> StampParams:
        return StampParams(w.get("write", "element"))

    def value_for(self, params, p: int):
        return p

    def only_grows(self, group, array) -> bool:
        from ..cvalues import CTYPES

        return group.loops <= CTYPES[array.typecode].hi and max(array.init[group.start:group.stop]) <= 1

    def index_steps(self, p, i):
        return (("=pass",),) if p.start <= i < p.stop else ()

    def describe(self, p) -> str:
        return f"stamp{self.describe_write(p)}"


OP = Stamp()
