"""Records: the classes ``dataclasses.dataclass`` makes, for the forms this package uses, at a
fraction of the cost of defining them.

Promise: ``@record`` (mutable) and ``@record(frozen=True)`` (optionally ``order=True``) on a class
whose fields are annotated give it what ``@dataclass`` with the same arguments gives: an
``__init__`` taking the fields in order (defaults, ``field(default_factory=...)``, then
``__post_init__``), ``__repr__`` (``Name(a=1, b='x')``), ``__eq__`` (same class, fields in
order), ``__hash__`` (frozen: of the fields; mutable: none), ``<``/``<=``/``>``/``>=`` with
``order``, ``__match_args__``, and, frozen, assignment and deletion raising
:class:`FrozenInstanceError` (an AttributeError, as dataclasses' is). A method the class
defines itself is kept. Fields of a record base class come first. :func:`replace` is
``dataclasses.replace`` for records, without importing dataclasses; dataclasses' own
``replace``, ``fields``, ``asdict`` and ``is_dataclass`` work on records too.

Why: ``@dataclass`` compiles every method of every class from source, and imports ``inspect``;
the harness's forty records cost a fifth of the CPU of a short ``harness run`` that way. Here
only ``__init__`` is compiled (its signature is the fields'); the other methods are closures
over the field names, and nothing but ``operator`` is imported. Worker side: the messages are records.
"""

from __future__ import annotations

from operator import attrgetter, eq, ge, gt, le, lt

_MISSING = object()


class FrozenInstanceError(AttributeError):
    """An assignment to (or deletion of) a field of a frozen record."""


class _Factory:
    __slots__ = ("make",)

    def __init__(self, make):
        self.make = make


def field(*, default_factory):
    """A field whose default is made anew for every instance, as ``dataclasses.field``'s."""
    return _Factory(default_factory)


def _fields_of(cls) -> dict:
    """name -> default (_MISSING: none; a _Factory: made per instance), bases' fields first."""
    fields: dict = {}
    for base in reversed(cls.__mro__[1:]):
        fields.update(base.__dict__.get("__record_fields__", {}))
    for name, kind in cls.__dict__.get("__annotations__", {}).items():
        if str(kind).startswith(("ClassVar", "typing.ClassVar")):
            continue
        fields[name] = cls.__dict__.get(name, fields.get(name, _MISSING))
        if isinstance(fields[name], _Factory):
            delattr(cls, name)  # as dataclasses leaves it: no class attribute for a factory field
    return fields


def _init_source(fields: dict, frozen: bool, post_init: bool) -> list[str]:
    params, body = ["self"], []
    for name, default in fields.items():
        if default is _MISSING:
            params.append(name)
        elif isinstance(default, _Factory):
            params.append(f"{name}=_MISSING")
            body.append(f"  if {name} is _MISSING: {name} = _default_{name}.make()")
        else:
            params.append(f"{name}=_default_{name}")
        body.append(f"  _set(self, {name!r}, {name})" if frozen else f"  self.{name} = {name}")
    if post_init:
        body.append("  self.__post_init__()")
    return [f"def __init__({', '.join(params)}):", *(body or ["  pass"])]


class _DataclassFields:
    """A record's ``__dataclass_fields__``, made on first use: ``dataclasses.replace``,
    ``fields``, ``asdict`` and ``is_dataclass`` work on records, and only the code that calls
    them imports dataclasses."""

    def __get__(self, obj, cls):
        import dataclasses

        made = {}
        for name, default in cls.__record_fields__.items():
            if isinstance(default, _Factory):
                f = dataclasses.field(default_factory=default.make)
            else:
                f = dataclasses.field() if default is _MISSING else dataclasses.field(default=default)
            f.name, f._field_type = name, dataclasses._FIELD  # what dataclass() itself sets
            made[name] = f
        cls.__dataclass_fields__ = made  # this class's own, from now on
        return made


def _values_of(names: tuple):
    """The function from a record to its fields' values, as a tuple."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return lambda obj: ()


def _methods(cls, names: tuple, frozen: bool, order: bool) -> dict:
    """What the fields decide: repr, comparisons, and for a frozen record its hash and guards."""
    values = _values_of(names)

    def __repr__(self):
        shown = ", ".join(f"{n}={v!r}" for n, v in zip(names, values(self)))
        return f"{self.__class__.__qualname__}({shown})"

    def compare(op):
        def method(self, other):
            if other.__class__ is self.__class__:
                return op(values(self), values(other))
            return NotImplemented
        return method

    made = {"__repr__": __repr__, "__eq__": compare(eq)}
    if order:
        made.update(__lt__=compare(lt), __le__=compare(le), __gt__=compare(gt), __ge__=compare(ge))
    if frozen:
        fixed = frozenset(names)

        def __hash__(self):
            return hash(values(self))

        def __setattr__(self, name, value):
            if type(self) is cls or name in fixed:
                raise FrozenInstanceError(f"cannot assign to field {name!r}")
            super(cls, self).__setattr__(name, value)

        def __delattr__(self, name):
            if type(self) is cls or name in fixed:
                raise FrozenInstanceError(f"cannot delete field {name!r}")
            super(cls, self).__delattr__(name)

        made.update(__hash__=__hash__, __setattr__=__setattr__, __delattr__=__delattr__)
    return made


def _build(cls, frozen: bool, order: bool):
    fields = _fields_of(cls)
    names = tuple(fields)
    # only __init__ is compiled: its signature is the fields', and it runs for every message
    scope = {"_MISSING": _MISSING, "_set": object.__setattr__,
             **{f"_default_{n}": d for n, d in fields.items() if d is not _MISSING}}
    exec("\n".join(_init_source(fields, frozen, hasattr(cls, "__post_init__"))), scope)  # noqa: S102 - field names only
    made = {"__init__": scope["__init__"], **_methods(cls, names, frozen, order)}
    own = cls.__dict__
    # a class that defines __eq__ gets __hash__ = None from Python: that is not a hash of its own
    explicit_hash = own.get("__hash__", _MISSING) is not _MISSING and not (
        own["__hash__"] is None and "__eq__" in own)
    for name, function in made.items():
        if name == "__hash__" and explicit_hash:
            continue
        if name not in own or name == "__hash__":
            function.__qualname__ = f"{cls.__qualname__}.{name}"
            setattr(cls, name, function)
    if not frozen and not explicit_hash:
        cls.__hash__ = None  # mutable and compared by value: unhashable, as a dataclass is
    cls.__record_fields__ = fields
    cls.__match_args__ = names
    cls.__dataclass_fields__ = _DataclassFields()
    return cls


def record(cls=None, *, frozen: bool = False, order: bool = False):
    """``@record`` or ``@record(frozen=True, order=True)``: see the module's promise."""
    if cls is None:
        return lambda c: _build(c, frozen, order)
    return _build(cls, frozen, order)


def replace(obj, **changes):
    """A copy of the record ``obj`` with ``changes``, as ``dataclasses.replace`` makes it."""
    fields = getattr(type(obj), "__record_fields__", None)
    if fields is None:
        raise TypeError(f"replace() should be called on a record, not {type(obj).__name__}")
    for name in changes:
        if name not in fields:
            raise TypeError(f"{type(obj).__name__} has no field {name!r}")
    return type(obj)(**{name: changes[name] if name in changes else getattr(obj, name) for name in fields})
