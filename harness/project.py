"""Project settings: the ``[tool.harness]`` table of ``pyproject.toml``.

Promise: :func:`find_project` walks up from a folder (the current directory) to the first
``pyproject.toml`` that has a ``[tool.harness]`` table, as pytest looks for its rootdir, and
returns a :class:`Project`: the folder that file is in (the project's root, where
``.harness_cache/`` lives), the default paths and the run settings it gives. Without such a
file the root is the starting folder and nothing is set. Keys:

    paths = ["scenarios"]       # what `harness run` and `harness validate` take when given no PATH
    trials = 500                # the rest: as the command-line options of the same names
    start_methods = ["fork", "spawn"]
    timeout_s = 30
    seed = 1234
    inject = false              # or "random", "none", "controlled", "mixed"
    strategy = "directed"       # the controlled scheduler's search: "directed", "exhaustive", "random" or "pct"
    depth = 3                   # PCT's bug depth

``paths`` are relative to the file's folder. These are project defaults: a scenario file's own
``run:`` and the command line come first (:func:`harness.settings.resolve`). A problem in the
table is a :class:`~harness.errors.UsageError`, one line naming the file and the key.
"""

from __future__ import annotations

import os
import re

from .errors import UsageError, closest, found
from .records import record
from .schema import INJECT_POLICIES, MAX_DEPTH, MAX_SEED, MAX_TIMEOUT_S, MAX_TRIALS, STRATEGIES
from .settings import RunOptions, expand_start_methods

CONFIG_FILE = "pyproject.toml"
# every way TOML can start the table: [tool.harness], [ tool . "harness" ], tool.harness.x = ...
# at the top, or a bare [tool] table or tool = {...} that may hold it
_MAY_HAVE_TABLE = re.compile(rb"""^[ \t]*(\[[ \t]*)?(tool[ \t]*\.[ \t]*["']?harness\b|tool[ \t]*(\]|=))""", re.M)
KEYS = ("paths", "trials", "start_methods", "timeout_s", "seed", "inject", "strategy", "depth")


@record(frozen=True)
class Project:
    root: str  # the folder of the config file, else the folder the search started from
    config_file: str | None = None
    paths: tuple[str, ...] = ()  # absolute
    options: RunOptions = RunOptions()


def _read_toml(path: str) -> dict | None:
    """The file's [tool.harness] table, or None when it has none."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not _MAY_HAVE_TABLE.search(raw):  # parsing TOML costs more than the rest of `harness validate`
        return None
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None
    table = data.get("tool", {}).get("harness") if isinstance(data.get("tool"), dict) else None
    if table is not None and not isinstance(table, dict):
        raise UsageError(f"{path}: tool.harness: found {found(table)}, allowed: a table ([tool.harness])")
    return table


def find_config(start: str) -> tuple[str, dict] | None:
    """The first pyproject.toml with a [tool.harness] table, from ``start`` up, and the table."""
    folder = os.path.abspath(start)
    while True:
        candidate = os.path.join(folder, CONFIG_FILE)
        if os.path.isfile(candidate):
            table = _read_toml(candidate)
            if table is not None:
                return candidate, table
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def _whole(value, low: int, high: int, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise UsageError(f"{where}: found {found(value)}, allowed: a whole number from {low} to {high}")
    return value


def _strings(value, where: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise UsageError(f"{where}: found {found(value)}, allowed: a list of names, e.g. [\"scenarios\"]")
    return value


def _options(table: dict, where: str) -> RunOptions:
    timeout = table.get("timeout_s")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                or not 0 < timeout <= MAX_TIMEOUT_S):
        raise UsageError(f"{where} timeout_s: found {found(timeout)}, allowed: a number > 0 and <= {MAX_TIMEOUT_S}")
    inject = table.get("inject")
    if isinstance(inject, bool):
        inject = "random" if inject else "none"
    if inject is not None and inject not in INJECT_POLICIES:
        raise UsageError(f"{where} inject: found {found(inject)}, allowed: true, false or one of "
                         f"{', '.join(map(repr, INJECT_POLICIES))}")
    strategy = table.get("strategy")
    if strategy is not None and strategy not in STRATEGIES:
        raise UsageError(f"{where} strategy: found {found(strategy)}, allowed: {', '.join(map(repr, STRATEGIES))}")
    methods = None
    if "start_methods" in table:
        try:
            methods = expand_start_methods(_strings(table["start_methods"], f"{where} start_methods"),
                                           f"{where} start_methods")
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    return RunOptions(
        trials=_whole(table["trials"], 1, MAX_TRIALS, f"{where} trials") if "trials" in table else None,
        seed=_whole(table["seed"], 0, MAX_SEED, f"{where} seed") if "seed" in table else None,
        start_methods=methods, timeout_s=float(timeout) if timeout is not None else None, inject=inject,
        strategy=strategy, depth=_whole(table["depth"], 1, MAX_DEPTH, f"{where} depth") if "depth" in table else None)


def find_project(start: str | None = None) -> Project:
    """The project around ``start`` (default: the current directory); see the module docstring."""
    start = os.path.abspath(start or os.getcwd())
    config = find_config(start)
    if config is None:
        return Project(start)
    path, table = config
    where = f"{path}: [tool.harness]"
    for key in table:
        if key not in KEYS:
            close = closest(key, KEYS)
            hint = f" (did you mean {close!r}?)" if close else ""
            raise UsageError(f"{where} {key}: unknown key{hint}; allowed: {', '.join(KEYS)}")
    root = os.path.dirname(path)
    paths = tuple(os.path.join(root, p) for p in _strings(table["paths"], f"{where} paths")) if "paths" in table else ()
    return Project(root, path, paths, _options(table, where))


def shown_path(path: str) -> str:
    """A path as messages show it: relative to the current directory when below it."""
    rel = os.path.relpath(path)
    return path if rel.startswith(os.pardir) else rel
