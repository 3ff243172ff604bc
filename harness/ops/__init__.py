"""Operations: one module each behind one interface (:class:`~harness.ops.base.Operation`),
found through this registry.

Promise: :data:`OPS` maps every op name a scenario may use to its operation; the name of an
operation appears in its own module and here, nowhere else. Adding an operation is one new
module and one line below. Worker side: the modules import only worker-side code at their top.
"""

from __future__ import annotations

from . import add, call, snapshot, stamp, transfer
from . import set as setting
from .base import Operation, Role

OPS: dict[str, Operation] = {m.OP.name: m.OP for m in (add, setting, stamp, transfer, snapshot, call)}


def op_of(name: str) -> Operation:
    return OPS[name]


def op_keys() -> dict[str, tuple[str, ...]]:
    """Every operation-specific worker key, and the operations that take it."""
    out: dict[str, list[str]] = {}
    for name, op in OPS.items():
        for key in op.keys:
            out.setdefault(key, []).append(name)
    return {key: tuple(names) for key, names in out.items()}


def key_schemas() -> dict[str, dict]:
    """The JSON Schema of every operation-specific worker key."""
    out: dict[str, dict] = {}
    for op in OPS.values():
        for key, schema in op.key_schemas.items():
            out.setdefault(key, schema)
    return out


def op_requires() -> dict[str, tuple[str, ...]]:
    return {name: op.required for name, op in OPS.items() if op.required}


__all__ = ["OPS", "Operation", "Role", "op_keys", "op_of", "op_requires"]
