"""Mutants of a call worker's function, made on its syntax tree, never on its file.

Promise: :func:`function_mutants` parses the source it is given (the caller reads the user's
file, read-only) and returns one :class:`SourceMutant` per place where one operator applies,
each with the whole mutated function as source text. The operators:

- ``with``: a ``with X.get_lock():`` (or ``with lock:``, where ``lock`` is a parameter that
  receives ``$lock`` / ``$rlock``) loses that lock, and its body stays;
- ``acquire``: a statement ``X.acquire()`` and the next statement ``X.release()`` on the same
  ``X`` are both removed (a ``finally:`` left empty gets ``pass``);
- ``slice``: a slice read ``arr[a:b]`` (no step; ``arr`` a parameter that receives ``$array``)
  becomes element-wise reads, ``[arr[i] for i in range(*slice(a, b).indices(len(arr)))]``.

Only the named function's own body is mutated (functions nested in it included); what it
calls elsewhere is left alone. The worker compiles the mutated source in the namespace of
the function's own module (:mod:`harness.calls`), so it sees the same globals.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass

OPERATORS = ("with", "acquire", "slice")
_INDEX = "_harness_i"  # the comprehension's variable: a name user code does not use


@dataclass(frozen=True)
class SourceMutant:
    operator: str  # one of OPERATORS
    line: int  # where, in the user's file
    what: str  # one line: what the mutant changed
    original: str  # the function's source, as ast.unparse writes it
    mutated: str  # the mutated function's source


def find_function(tree: ast.Module, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The module's top-level function of that name (the last one, as Python binds it)."""
    found = None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            found = node
    return found


def bound_parameters(func, args: tuple, kwargs, placeholders: tuple[str, ...]) -> set[str]:
    """The names of the parameters that receive one of ``placeholders`` from the scenario's
    ``args`` (by position) and ``kwargs`` ((key, value) pairs)."""
    positional = [a.arg for a in func.args.posonlyargs + func.args.args]
    names = {positional[n] for n, value in enumerate(args) if value in placeholders and n < len(positional)}
    return names | {key for key, value in kwargs if value in placeholders}


def _is_lock(expr: ast.expr, lock_names: set[str]) -> bool:
    if isinstance(expr, ast.Name):
        return expr.id in lock_names
    return (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute)
            and expr.func.attr == "get_lock" and not expr.args and not expr.keywords)


def _method_call(node: ast.AST, method: str) -> str | None:
    """The receiver's dump when ``node`` is the statement ``receiver.method()``."""
    if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and not node.value.args
            and isinstance(node.value.func, ast.Attribute) and node.value.func.attr == method):
        return ast.dump(node.value.func.value)
    return None


def _key(node: ast.AST) -> tuple:
    return type(node).__name__, node.lineno, node.col_offset


def _sites(func, lock_names: set[str], array_names: set[str]) -> list[tuple[str, tuple, str]]:
    """(operator, the keys of the nodes it changes, what it does), in source order."""
    nodes = sorted((n for n in ast.walk(func) if hasattr(n, "lineno")), key=lambda n: (n.lineno, n.col_offset))
    sites = []
    released: set[tuple] = set()
    for node in nodes:
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for n, item in enumerate(node.items):
                if _is_lock(item.context_expr, lock_names):
                    sites.append(("with", (_key(node), n), f"with {ast.unparse(item.context_expr)}: removed, "
                                  "its body kept"))
        receiver = _method_call(node, "acquire")
        if receiver is not None:
            release = next((r for r in nodes if (r.lineno, r.col_offset) > (node.lineno, node.col_offset)
                            and _key(r) not in released and _method_call(r, "release") == receiver), None)
            if release is not None:
                released.add(_key(release))
                text = ast.unparse(node.value.func.value)
                sites.append(("acquire", (_key(node), _key(release)),
                              f"{text}.acquire() and the {text}.release() on line {release.lineno} removed"))
        if (isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and isinstance(node.slice, ast.Slice)
                and node.slice.step is None and isinstance(node.value, ast.Name) and node.value.id in array_names):
            sites.append(("slice", (_key(node),), f"{ast.unparse(node)} read element by element"))
    return sites


class _Apply(ast.NodeTransformer):
    """Applies one site's change to a copy of the function."""

    def __init__(self, operator: str, keys: tuple):
        self.operator, self.keys = operator, keys

    def visit_With(self, node):
        self.generic_visit(node)
        if self.operator == "with" and _key(node) == self.keys[0]:
            node.items = [item for n, item in enumerate(node.items) if n != self.keys[1]]
            return node if node.items else node.body
        return node

    visit_AsyncWith = visit_With

    def visit_Expr(self, node):
        if self.operator == "acquire" and _key(node) in self.keys:
            return None
        return self.generic_visit(node)

    def visit_Subscript(self, node):
        self.generic_visit(node)
        if self.operator == "slice" and _key(node) == self.keys[0]:
            arr, lo, hi = ast.unparse(node.value), node.slice.lower, node.slice.upper
            bounds = f"{ast.unparse(lo) if lo else 'None'}, {ast.unparse(hi) if hi else 'None'}"
            text = f"[{arr}[{_INDEX}] for {_INDEX} in range(*slice({bounds}).indices(len({arr})))]"
            return ast.copy_location(ast.parse(text, mode="eval").body, node)
        return node


def _refill(func) -> None:
    """Statement lists a removal emptied get ``pass``, so the function still compiles."""
    for node in ast.walk(func):
        if hasattr(node, "body") and isinstance(node.body, list) and not node.body:
            node.body = [ast.Pass()]
        if isinstance(node, ast.Try) and not node.handlers and not node.finalbody:
            node.finalbody = [ast.Pass()]


def mutate_function(func, operator: str, keys: tuple) -> str:
    """The source of ``func`` with one site's change applied (``func`` is left as it was)."""
    changed = _Apply(operator, keys).visit(copy.deepcopy(func))
    _refill(changed)
    return ast.unparse(ast.fix_missing_locations(changed))


def function_mutants(source: str | bytes, name: str, lock_names=(), array_names=()) -> list[SourceMutant] | None:
    """Every mutant of the top-level function ``name`` in ``source``; None when the source
    defines no such function (it is bound some other way, or the source does not parse)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    func = find_function(tree, name)
    if func is None:
        return None
    original = ast.unparse(func)
    return [SourceMutant(operator, keys[0][1], what, original, mutate_function(func, operator, keys))
            for operator, keys, what in _sites(func, set(lock_names), set(array_names))]
