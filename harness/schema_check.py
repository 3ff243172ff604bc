"""Structure checks against the scenario schema, without jsonschema.

Promise: :func:`iter_errors` walks a JSON Schema dict (the one of :mod:`harness.schema`) over
parsed YAML data and yields :class:`SchemaError` objects that carry what the loader reads of
jsonschema's ``ValidationError`` (``absolute_path``, ``validator``, ``validator_value``,
``instance``, ``schema``, ``relative_schema_path``, ``message``), in jsonschema's order: the
schema's keywords in the order written, depth first. It covers exactly the draft 2020-12
keywords that schema uses (:data:`KEYWORDS`); a keyword it does not know is a bug
(:class:`~harness.errors.InternalError`), so the schema cannot outgrow it unnoticed. Why
not jsonschema itself: importing it costs more than all the rest of ``harness validate``
(40 to 75 ms); the test suite checks that both agree on every case it has.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .errors import InternalError
from .records import record

ANNOTATIONS = {"$schema", "$id", "title", "description", "x-hint"}  # x-hint: the words for a pattern error
KEYWORDS = {"type", "enum", "const", "required", "additionalProperties", "properties", "items", "minimum",
            "maximum", "exclusiveMinimum", "minItems", "maxItems", "pattern", "oneOf", "uniqueItems",
            "maxLength", "allOf", "if", "then"}


@record(frozen=True)
class SchemaError:
    absolute_path: tuple  # where in the data: keys and list indices
    validator: str | None  # the keyword that failed (None for a `false` schema)
    validator_value: object
    instance: object
    schema: object  # the (sub)schema holding the keyword
    relative_schema_path: tuple  # the keywords and names from the root schema to the failing one
    message: str


def _is_type(value, name: str) -> bool:
    if name == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer())
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if name == "string":
        return isinstance(value, str)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "array":
        return isinstance(value, list)
    if name == "object":
        return isinstance(value, dict)
    if name == "null":
        return value is None
    raise InternalError(f"schema type {name!r} is not supported by harness.schema_check")


def _equal(a, b) -> bool:
    """JSON equality: true is not 1, lists compare item by item."""
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    return a == b


def _unique(items: list) -> bool:
    if all(isinstance(x, (str, int, float, bool)) or x is None for x in items):
        keys = [(type(x) is bool, x) for x in items]  # true and 1 differ, 1 and 1.0 do not
        return len(set(keys)) == len(keys)
    return not any(_equal(items[i], items[j]) for i in range(len(items)) for j in range(i))


@lru_cache(maxsize=None)
def _regex(pattern: str):
    return re.compile(pattern)


def iter_errors(schema, instance):
    """Every place ``instance`` breaks ``schema``."""
    yield from _walk(schema, instance, (), ())


def is_valid(schema, instance) -> bool:
    return next(iter(_walk(schema, instance, (), ())), None) is None


def _walk(schema, instance, path: tuple, schema_path: tuple):
    if schema is True:
        return
    if schema is False:
        yield SchemaError(path, None, None, instance, schema, schema_path, f"{instance!r} is not allowed here")
        return
    for keyword, value in schema.items():
        if keyword in ANNOTATIONS:
            continue
        check = _CHECKS.get(keyword)
        if check is None:
            raise InternalError(f"schema keyword {keyword!r} is not supported by harness.schema_check")
        for found in check(value, instance, schema, path, schema_path + (keyword,)):
            if isinstance(found, SchemaError):
                yield found
            else:  # a message: this keyword failed here
                yield SchemaError(path, keyword, value, instance, schema, schema_path + (keyword,), found)


def _type(value, instance, schema, path, schema_path):
    names = value if isinstance(value, list) else [value]
    if not any(_is_type(instance, n) for n in names):
        yield f"{instance!r} is not of type {', '.join(map(repr, names))}"


def _enum(value, instance, schema, path, schema_path):
    if not any(_equal(instance, v) for v in value):
        yield f"{instance!r} is not one of {value!r}"


def _const(value, instance, schema, path, schema_path):
    if not _equal(instance, value):
        yield f"{value!r} was expected"


def _required(value, instance, schema, path, schema_path):
    if isinstance(instance, dict):
        for key in value:
            if key not in instance:
                yield f"{key!r} is a required property"


def _additional(value, instance, schema, path, schema_path):
    if isinstance(instance, dict) and value is False:
        extra = [k for k in instance if k not in schema.get("properties", {})]
        if extra:
            yield f"Additional properties are not allowed ({', '.join(map(repr, extra))} unexpected)"
    elif value is not False:
        raise InternalError("additionalProperties other than false is not supported by harness.schema_check")


def _properties(value, instance, schema, path, schema_path):
    if isinstance(instance, dict):
        for key, sub in value.items():
            if key in instance:
                yield from _walk(sub, instance[key], path + (key,), schema_path + (key,))


def _items(value, instance, schema, path, schema_path):
    if isinstance(instance, list):
        for i, item in enumerate(instance):
            yield from _walk(value, item, path + (i,), schema_path)


def _bound(compare, words: str):
    def check(value, instance, schema, path, schema_path):
        if _is_type(instance, "number") and compare(instance, value):
            yield f"{instance!r} is {words} {value!r}"
    return check


def _count(compare, words: str):
    def check(value, instance, schema, path, schema_path):
        if isinstance(instance, list) and compare(len(instance), value):
            yield f"{instance!r} has {words} {value} items"
    return check


def _pattern(value, instance, schema, path, schema_path):
    if isinstance(instance, str) and not _regex(value).search(instance):
        yield f"{instance!r} does not match {value!r}"


def _max_length(value, instance, schema, path, schema_path):
    if isinstance(instance, str) and len(instance) > value:
        yield f"{instance!r} is longer than {value} characters"


def _unique_items(value, instance, schema, path, schema_path):
    if value and isinstance(instance, list) and not _unique(instance):
        yield f"{instance!r} has non-unique elements"


def _one_of(value, instance, schema, path, schema_path):
    valid = sum(is_valid(sub, instance) for sub in value)
    if valid != 1:
        yield (f"{instance!r} is not valid under any of the given schemas" if valid == 0
               else f"{instance!r} is valid under more than one of the given schemas")


def _all_of(value, instance, schema, path, schema_path):
    for i, sub in enumerate(value):
        yield from _walk(sub, instance, path, schema_path + (i,))


def _if(value, instance, schema, path, schema_path):
    if "then" in schema and is_valid(value, instance):
        yield from _walk(schema["then"], instance, path, schema_path[:-1] + ("then",))


def _then(value, instance, schema, path, schema_path):
    return ()  # applied by its `if`


_CHECKS = {
    "type": _type, "enum": _enum, "const": _const, "required": _required, "additionalProperties": _additional,
    "properties": _properties, "items": _items, "pattern": _pattern, "maxLength": _max_length,
    "minimum": _bound(lambda x, v: x < v, "less than the minimum of"),
    "maximum": _bound(lambda x, v: x > v, "greater than the maximum of"),
    "exclusiveMinimum": _bound(lambda x, v: x <= v, "less than or equal to the minimum of"),
    "minItems": _count(lambda n, v: n < v, "fewer than"), "maxItems": _count(lambda n, v: n > v, "more than"),
    "uniqueItems": _unique_items, "oneOf": _one_of, "allOf": _all_of, "if": _if, "then": _then,
}
