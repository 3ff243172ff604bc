"""Values of the operations that take one (``value:``), checked against the array's C type.

Promise: :func:`check_fits` reports a value the typecode cannot hold, :func:`check_addend` an
amount to add or move that is not even a whole step of the type (a float on an integer array,
a magnitude of 2**bits or more: one that wraps on its own is fine), and :func:`number` turns a
YAML number into the array's kind of number. Parent side.
"""

from __future__ import annotations


def check_fits(checker, path: tuple, value, ctype) -> None:
    from ..errors import found

    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    if not ctype.is_float and isinstance(value, float):
        checker.at(path, f"found {found(value)}, allowed: an integer (typecode {ctype.typecode!r} holds integers)")
    elif not ctype.fits(value):
        checker.at(path, f"found {found(value)}, allowed: {ctype.describe_range()} (typecode {ctype.typecode!r})")


def check_addend(checker, wp: tuple, w: dict, ctype) -> None:
    from ..errors import found

    value = w.get("value")
    if ctype is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    path = wp + ("value",)
    if ctype.is_float or isinstance(value, float):
        check_fits(checker, path, value, ctype)
    elif abs(value) >= 1 << ctype.bits:
        checker.at(path, f"found {found(value)}, allowed: an integer with magnitude below 2**{ctype.bits} "
                   f"(typecode {ctype.typecode!r})")


def number(value, ctype):
    """A whole number stays an int on an integer array (YAML's 2.0 included)."""
    return value if ctype.is_float else int(value)
