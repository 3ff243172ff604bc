"""The model: the expected final array, computed without running anything.

Promise: :func:`expected_final` gives, for each index, the values that some sequential
order of the scenario's atomic steps can leave there, computed in the array's C type
(integers wrap, ``f`` rounds to single precision after every step). An index whose result
depends on the order gets every possible value; an index the model cannot compute (written
by user code, which gets the whole array, or too many orders to enumerate) is unchecked, with
the reason. Indices with
the same initial value and the same writers share one computation, so a million-element
array costs as much as its few distinct segments.
"""

from __future__ import annotations

import math

from .cvalues import CTYPES, CType, as_bytes
from .messages import ProcessSpec
from .ops import op_of
from .records import record

MAX_ORDER_STATES = 20_000
MAX_VALUES = 256
_MIXED = "adds and sets from different processes"
_OVERFLOW = "floating-point additions that overflow to inf in some orders"


@record(frozen=True)
class IndexExpectation:
    values: tuple = ()  # acceptable final values; empty: unchecked
    tolerance: float = 0.0
    reason: str = ""  # why unchecked, or why several values are accepted

    @property
    def checked(self) -> bool:
        return bool(self.values)

    def accepts(self, observed) -> bool:
        if not self.values:
            return True
        if self.tolerance:
            return any(abs(observed - v) <= self.tolerance for v in self.values)
        return observed in self.values


@record(frozen=True)
class Expectation:
    indices: tuple[IndexExpectation, ...]
    simple: tuple | None  # the one expected list, when every index has exactly one exact value
    simple_bytes: bytes | None = None  # that list as the array's memory

    def matches_bytes(self, raw: bytes) -> bool:
        """True when the array's memory equals the one expected array: no index to check one
        by one (False only means: look closer, e.g. -0.0 against 0.0)."""
        return self.simple_bytes is not None and raw == self.simple_bytes

    def mismatches(self, observed) -> list[int]:
        """Indices whose observed value no allowed value matches."""
        if self.simple is not None:
            return [i for i, (e, o) in enumerate(zip(self.simple, observed)) if e != o]
        return [i for i, (e, o) in enumerate(zip(self.indices, observed)) if not e.accepts(o)]

    def shown(self) -> list:
        """The expected array for people: one value, a list of values, or None (unchecked)."""
        out = []
        for e in self.indices:
            if not e.values:
                out.append(None)
            elif len(e.values) == 1:
                out.append(e.values[0])
            else:
                out.append(list(e.values))
        return out


def _index_ops(p: ProcessSpec, i: int) -> tuple:
    """One pass of process p's steps on index i, in order, as its operation gives them:
    ("+", v) adds, ("=", v) stores, ("=pass",) stores the pass number."""
    return op_of(p.op).index_steps(p, i)


def _sequence(per_pass: tuple, loops: int) -> list:
    out = []
    for n in range(1, loops + 1):
        for op in per_pass:
            out.append(("=", n) if op[0] == "=pass" else op)
    return out


def _last_written(per_pass: tuple, loops: int):
    """The value a writer's final step leaves (a pass number for "=pass")."""
    op = per_pass[-1]
    return loops if op[0] == "=pass" else op[1]


def _apply(ct: CType, x, op):
    return ct.store(op[1]) if op[0] == "=" else ct.store(x + op[1])


def _solve(ct: CType, init, writers: list[tuple[tuple, int]]) -> IndexExpectation:
    """Possible finals of one index, given each writer's (per-pass ops, loops)."""
    if not writers:
        return IndexExpectation((init,))
    kinds = {op[0] for per_pass, _ in writers for op in per_pass}
    why = _MIXED
    if kinds == {"+"}:
        adds = [(op[1], loops) for per_pass, loops in writers for op in per_pass]
        if not ct.is_float:
            return IndexExpectation((ct.store(init + sum(v * n for v, n in adds)),))
        x = init
        for v, n in adds:
            for _ in range(n):
                x = ct.store(x + v)
        if len({v for v, _ in adds}) == 1:
            return IndexExpectation((x,))
        # floats with different addends: each order rounds differently
        count = sum(n for _, n in adds)
        scale = abs(init) + sum(abs(v) * n for v, n in adds)
        eps = 2.0 ** -23 if ct.bits == 32 else 2.0 ** -52
        tolerance = (count + 1) * eps * scale
        if ct.fits(scale + tolerance):
            return IndexExpectation((x,), tolerance=tolerance,
                                    reason="floating-point additions in different orders round differently")
        # some order may overflow to inf (and another not, or to -inf): no tolerance covers
        # that, so every order is enumerated as for adds and sets
        why = _OVERFLOW
    if "+" not in kinds:
        finals = sorted({ct.store(_last_written(per_pass, loops)) for per_pass, loops in writers})
        reason = "several processes overwrite it: the last writer wins" if len(finals) > 1 else ""
        return IndexExpectation(tuple(finals), reason=reason)
    seqs = [_sequence(per_pass, loops) for per_pass, loops in writers]
    if math.prod(len(s) + 1 for s in seqs) > MAX_ORDER_STATES:
        return IndexExpectation(reason=why + ": too many orders to enumerate")
    return _enumerate(ct, init, seqs, why)


def _enumerate(ct: CType, init, seqs: list[list], why: str) -> IndexExpectation:
    """Every final value over all interleavings, by dynamic programming over progress."""
    states = {tuple(0 for _ in seqs): {init}}
    total = sum(len(s) for s in seqs)
    for _ in range(total):
        nxt: dict = {}
        for pos, values in states.items():
            for k, s in enumerate(seqs):
                if pos[k] < len(s):
                    new = pos[:k] + (pos[k] + 1,) + pos[k + 1:]
                    bucket = nxt.setdefault(new, set())
                    bucket.update(_apply(ct, x, s[pos[k]]) for x in values)
                    if len(bucket) > MAX_VALUES:
                        return IndexExpectation(reason=why + ": too many possible results to list")
        states = nxt
    finals = sorted(next(iter(states.values())))
    return IndexExpectation(tuple(finals), reason=why + ": each order gives its own result" if len(finals) > 1 else "")


def expected_final(scenario, processes) -> Expectation:
    ct = CTYPES[scenario.array.typecode]
    init = scenario.array.init
    size = len(init)
    if scenario.expect.final is not None:
        idx = tuple(IndexExpectation(() if v is None else (v,), reason="" if v is not None
                                     else "expect.final leaves it unchecked")
                    for v in scenario.expect.final)
        return _finish(idx, ct)
    callers = [p for p in processes if not op_of(p.op).models]
    writers = [p for p in processes if op_of(p.op).models and op_of(p.op).writes]
    # every index in one segment between range boundaries has the same writers
    cuts = sorted({0, size} | {b for p in processes for b in (p.start, p.stop)} |
                  set().union(*(op_of(p.op).model_cuts(p) for p in writers)))
    memo: dict = {}
    out: list[IndexExpectation] = []
    for lo, hi in zip(cuts, cuts[1:]):
        # $array is the whole array: user code can write anywhere, whatever its range
        caller = callers[0] if callers else None
        if caller is not None:
            out.extend([IndexExpectation(reason=f"written by call worker '{caller.group}' (user code "
                                         "the model cannot see); set expect.final to check it")] * (hi - lo))
            continue
        if hi - lo > 1 and len(set(init[lo:hi])) == 1 and not any(
                not op_of(p.op).steps_alike_across_range and lo < p.stop and p.start < hi for p in writers):
            # one initial value and the same writers across the segment: one computation
            touching = tuple((ops, p.loops) for p in writers if (ops := _index_ops(p, lo)))
            key = (init[lo], touching)
            if key not in memo:
                memo[key] = _solve(ct, init[lo], list(touching))
            out.extend([memo[key]] * (hi - lo))
            continue
        for i in range(lo, hi):
            touching = tuple((ops, p.loops) for p in writers if (ops := _index_ops(p, i)))
            key = (init[i], touching)
            if key not in memo:
                memo[key] = _solve(ct, init[i], list(touching))
            out.append(memo[key])
    return _finish(tuple(out), ct)


def _finish(idx: tuple[IndexExpectation, ...], ct: CType) -> Expectation:
    simple = simple_bytes = None
    if all(len(e.values) == 1 and not e.tolerance for e in idx):
        simple = tuple(e.values[0] for e in idx)
        simple_bytes = as_bytes(ct.typecode, simple)
    return Expectation(idx, simple, simple_bytes)
