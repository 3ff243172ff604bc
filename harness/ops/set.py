"""``set``: ``arr[i] = value`` for every index of the range each pass (``write: slice``: one
slice write a pass). Several setters leave whichever wrote last."""

from __future__ import annotations


from . import keys
from ..records import record
from .overwrite import Overwrite
from .values import check_fits, number


@record(frozen=True)
class SetParams:
    value: int | float = 0
    write: str = "element"


class Set(Overwrite):
    name = "set"
    key_schemas = {"value": keys.VALUE, "write": keys.WRITE_HOW}
    required = ("value",)

    def check(self, checker, wp, w, ctype) -> None:
        if ctype is not None and "value" in w:
            check_fits(checker, wp + ("value",), w["value"], ctype)

    def params(self, w, ctype, where) -> SetParams:
        return SetParams(number(w["value"], ctype), w.get("write", "element"))

    def value_for(self, params, p: int):
        return params.value

    def index_steps(self, p, i):
        return (("=", p.params.value),) if p.start <= i < p.stop else ()

    def describe(self, p) -> str:
        return f"set {p.params.value}{self.describe_write(p)}"


OP = Set()
