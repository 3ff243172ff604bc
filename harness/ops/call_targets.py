"""Call targets, looked up before a run: ``call: package.module:function`` must name a module
that can be found and a function that its source defines.

Promise: :func:`call_target_problems` returns one :class:`~harness.errors.Problem` (with the
``call:`` value's ``PATH:LINE:COL``) per call worker whose module is nowhere to be found
(beside the scenario file, in the current directory, or on ``sys.path``) or whose module's
source plainly defines no such name. Nothing of the user's is imported or run: modules are
found by their files and read with :mod:`ast`. Where the source cannot say for sure (a
compiled or bytecode-only module, ``from x import *``, a module ``__getattr__`` however
bound, a ``global`` statement, any use of ``globals``, ``locals``, ``vars``, ``setattr`` or
``exec``, or of ``sys.modules``, ``__dict__`` or ``__class__``), the function is taken to
exist and the run finds out.
:func:`check_call_targets` raises the problems as one :class:`~harness.errors.ScenarioError`.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys

from ..errors import Problem, ScenarioError, closest
from ..positions import label
from . import op_of

_DYNAMIC = {"globals", "locals", "vars", "setattr", "exec", "__import__"}  # calls that may bind names unseen


def _module_file(folders: list[str], dotted: str) -> str | None | bool:
    """The module's source file; None when it is nowhere; True when it exists but has no
    Python source to read (a compiled or namespace module, or one a finder provides)."""
    parts = dotted.split(".")
    for base in folders + [p or os.getcwd() for p in sys.path]:
        if not os.path.isdir(base):
            continue
        head = os.path.join(base, *parts)
        # a package wins over a module of the same name, as in Python's own import
        for candidate in (os.path.join(head, "__init__.py"), head + ".py"):
            if os.path.isfile(candidate):
                return candidate
        if os.path.isdir(head) or any(os.path.isfile(head + suffix) for suffix in
                                      (*importlib.machinery.EXTENSION_SUFFIXES, *importlib.machinery.BYTECODE_SUFFIXES)):
            return True
    try:
        spec = importlib.util.find_spec(parts[0])  # a top-level name: nothing is imported
    except (ImportError, ValueError):
        spec = None
    if spec is not None or parts[0] in sys.builtin_module_names:
        return True  # found by another finder (a zip, an editable install): not read here
    return None


def _bound_names(tree) -> set[str] | None:
    """Every name the top level of the module ``tree`` (an ast.Module) may bind, or None when that
    cannot be known."""
    import ast  # only for scenarios that call user code: 5 ms of every other run

    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            return None  # a function may bind a module-level name when it runs
        if isinstance(node, ast.Name) and node.id in _DYNAMIC:
            return None  # globals()["f"] = ..., g = globals; g()["f"] = ...
        if isinstance(node, ast.Attribute) and node.attr in ("modules", "__dict__", "__class__"):
            return None  # sys.modules[__name__].f = ..., a module's __dict__ or class replaced
    names: set[str] = set()
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            stack.extend(node.decorator_list)  # a decorator's walrus binds at the top level
            continue
        if isinstance(node, ast.Lambda):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name == "*":
                    return None
                names.add(alias.asname or alias.name.split(".")[0])
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.add(node.rest)
        stack.extend(ast.iter_child_nodes(node))
    if "__getattr__" in names:  # a module __getattr__, however bound (lazy loaders assign it)
        return None
    return names


def _missing_function(path: str, function: str) -> list[str] | None:
    """None when ``function`` may be defined in the module at ``path``; else the module's
    public functions and classes, for the message."""
    import ast

    try:
        with open(path, "rb") as f:
            tree = ast.parse(f.read(), path)
    except (OSError, SyntaxError, ValueError):
        return None  # the run reports the real import error, with the user's traceback
    names = _bound_names(tree)
    if names is None or function in names:
        return None
    return sorted(n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                  and not n.name.startswith("_"))


def call_target_problems(scenarios) -> list[Problem]:
    problems = []
    for s in scenarios:
        folders = [s.base_dir, os.getcwd()]
        for n, g in enumerate(s.workers):
            if not op_of(g.op).user_code:
                continue
            module, function = g.params.call.split(":", 1)
            line, col = g.params.call_at
            where = label(("workers", n, "call"))
            found = _module_file(folders, module)
            if found is None:
                top = module.split(".", 1)[0]
                problems.append(Problem(s.path, line, col, f"{where}: found {g.params.call!r}, but no module {top!r} "
                                        f"beside the scenario file ({folders[0]}), in the current directory "
                                        "or on sys.path"))
                continue
            if found is True:
                continue
            defined = _missing_function(found, function)
            if defined is None:
                continue
            close = closest(function, defined)
            hint = (f"; did you mean {module}:{close}?" if close else
                    f"; it defines {', '.join(defined[:8])}{', ...' if len(defined) > 8 else ''}" if defined else "")
            problems.append(Problem(s.path, line, col, f"{where}: found {g.params.call!r}, but {os.path.relpath(found)} "
                                    f"defines no {function!r}{hint}"))
    return problems


def check_call_targets(scenarios) -> None:
    """Before a run: stop with every call-target problem (exit 2) before anything starts."""
    problems = call_target_problems(scenarios)
    if problems:
        raise ScenarioError(problems)


def target_source_file(scenario, call: str) -> str | None:
    """The Python source file of the module ``call`` names, found as the run would find it;
    None when it has no source to read (``harness mutate`` reads it, and never writes it)."""
    found = _module_file([scenario.base_dir, os.getcwd()], call.split(":", 1)[0])
    return found if isinstance(found, str) else None
