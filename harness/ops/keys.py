"""The schema of the worker keys that more than one operation takes (each operation module
declares its own keys' schema, and takes these from here so they are one definition)."""

from __future__ import annotations

CHECKS = ("uniform", "sum", "monotonic")

VALUE = {"type": "number", "description": "The amount an operation adds or moves, or the value it writes; "
         "a call worker's $value."}
CHECK = {"type": "string", "enum": list(CHECKS), "description": "The invariant every snapshot it reads must keep."}
WRITE_HOW = {"type": "string", "enum": ["element", "slice"],
             "description": "One element at a time, or one slice per pass."}
