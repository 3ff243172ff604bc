"""Mutants of a loaded scenario: small changes that should make a safe scenario race.

Promise: :func:`derive` is pure apart from reading the source files of call targets (never
writing them) and returns every mutant of one safe scenario, each a whole mutated
:class:`~harness.scenario.Scenario` with a stable id (what ``expect.survives`` lists), a
unified diff of the change, and what the plan says of it:

- ``lock:GROUP:SCOPE``: a built-in group's lock scope weakened (worker -> pass -> element ->
  none, every weaker scope); for a snapshot, its lock dropped (``none`` only);
- ``range:GROUP:stop+1`` / ``range:GROUP:start-1``: a range bound moved by one into a
  neighbouring range that touches it (``GROUP.K``: process K of a partitioned group, which
  the mutant splits into one group per process);
- ``array-lock:false``: a ``lock: true`` array made ``lock: false``, where no group takes the
  array's lock explicitly (a lock scope needs ``get_lock()``);
- ``with|acquire|slice:GROUP:LINE``: a call worker's function changed on its syntax tree
  (:mod:`harness.mutate.ast_mutants`), the change at LINE of the user's file.

``plan_says`` is ``race`` when the mutant's plan finds a pair of built-in groups that can race
and the scenario's own plan does not (the mutant must race); ``safe`` when it finds none although
other processes share the changed indices (an equivalent mutant: ``reason`` gives the plan's
words, and it is not run); ``alone`` when no other process touches the indices the changed
group works on (the lock guards nothing); ``unknown`` for user code, whose locking the plan
cannot see.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace

from ..ops import Role, op_of
from ..ops.call_targets import target_source_file
from ..plan import group_ranges, make_plan
from ..scenario import Scenario, WorkerGroup
from ..schema import LOCK_SCOPES
from .ast_mutants import bound_parameters, find_function, function_mutants

LOCK_MARKERS = ("$lock", "$rlock")


@dataclass(frozen=True)
class Mutant:
    id: str  # stable: what expect.survives lists
    kind: str  # lock scope weakened | snapshot lock dropped | range bound moved | array lock removed | ...
    group: str  # the group it changes ("" for the array)
    what: str  # one line: the change
    diff: str  # unified diff of the change (the scenario's keys, or the function's source)
    scenario: Scenario  # the mutated scenario
    plan_says: str = "unknown"  # race | safe | alone | unknown (PLAN_SAYS)
    reason: str = ""  # the plan's words: why it can race, or why not

    @property
    def equivalent(self) -> bool:
        """The plan proves it cannot race although others share its indices: not run."""
        return self.plan_says == "safe"


@dataclass(frozen=True)
class Derivation:
    scenario: Scenario
    mutants: tuple[Mutant, ...]
    notes: tuple[str, ...] = ()  # what could not be mutated, and why


def derive(scenario: Scenario) -> Derivation:
    """Every mutant of a safe scenario, in a stable order, with the plan's view of each."""
    notes: list[str] = []
    made = (_lock_mutants(scenario) + _range_mutants(scenario) + _array_lock_mutants(scenario, notes)
            + _call_mutants(scenario, notes))
    racing = _racing(make_plan(scenario))
    mutants, seen = [], set()
    for m in made:
        if m.id in seen:
            notes.append(f"{m.id}: a second mutant with this id ({m.what}) is left out")
            continue
        seen.add(m.id)
        mutants.append(_judged(m, racing))
    return Derivation(scenario, tuple(mutants), tuple(notes))


# -- the scenario's keys ---------------------------------------------------------------------

def _yaml_lines(s: Scenario) -> list[str]:
    """The keys a mutant can change, written as the scenario file writes them."""
    lines = ["array:", f"  lock: {str(s.array.lock).lower()}", "workers:"]
    for g in s.workers:
        lines += [f"  - name: {g.name}", f"    op: {g.op}", f"    count: {g.count}", f"    range: [{g.start}, {g.stop}]"]
        if g.partition:
            lines.append("    partition: true")
        lines.append(f"    lock: {g.lock}")
    return lines


def _diff(before: list[str], after: list[str], path: str, mutant_id: str) -> str:
    return "\n".join(difflib.unified_diff(before, after, fromfile=path, tofile=f"{path} (mutant {mutant_id})",
                                          lineterm="", n=2))


def _mutant(scenario: Scenario, changed: Scenario, mutant_id: str, kind: str, group: str, what: str) -> Mutant:
    diff = _diff(_yaml_lines(scenario), _yaml_lines(changed), scenario.path, mutant_id)
    return Mutant(mutant_id, kind, group, what, diff, changed)


def _with_group(scenario: Scenario, n: int, *groups: WorkerGroup) -> Scenario:
    """The scenario with group n replaced by ``groups``."""
    workers = scenario.workers
    return replace(scenario, workers=workers[:n] + groups + workers[n + 1:])


def _lock_mutants(scenario: Scenario) -> list[Mutant]:
    out = []
    for n, g in enumerate(scenario.workers):
        op = op_of(g.op)
        if op.user_code or g.lock == "none":
            continue
        reader = op.role is Role.READER
        weaker = ("none",) if reader else LOCK_SCOPES[:LOCK_SCOPES.index(g.lock)][::-1]
        kind = "snapshot lock dropped" if reader else "lock scope weakened"
        for scope in weaker:
            changed = _with_group(scenario, n, replace(g, lock=scope))
            out.append(_mutant(scenario, changed, f"lock:{g.name}:{scope}", kind, g.name,
                               f"{g.name}: lock: {g.lock} -> {scope}"))
    return out


def _range_units(scenario: Scenario) -> list[tuple[int, int | None, int, int]]:
    """(group index, process k of a partitioned group or None, start, stop): the ranges a
    bound can move between. A call worker's range counts where its arguments use it."""
    units = []
    for n, g in enumerate(scenario.workers):
        if op_of(g.op).user_code:
            if g.partition or not ({"$start", "$stop"} & _strings((g.params.args, g.params.kwargs,
                                                                    g.params.args_each or ()))):
                continue
        if g.partition:
            units += [(n, k, lo, hi) for k, (lo, hi) in enumerate(group_ranges(g))]
        else:
            units.append((n, None, g.start, g.stop))
    return units


def _strings(value) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, tuple):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()


def _moved(scenario: Scenario, unit: tuple, start: int, stop: int) -> tuple[Scenario, str]:
    """The scenario with one unit's range changed, and the name of the group that has it."""
    n, k, _, _ = unit
    g = scenario.workers[n]
    if k is None:
        return _with_group(scenario, n, replace(g, start=start, stop=stop)), g.name
    parts = [replace(g, name=f"{g.name}.{j}", count=1, partition=False, start=lo, stop=hi)
             for j, (lo, hi) in enumerate(group_ranges(g))]
    parts[k] = replace(parts[k], start=start, stop=stop)
    return _with_group(scenario, n, *parts), parts[k].name


def _range_mutants(scenario: Scenario) -> list[Mutant]:
    out = []
    units = _range_units(scenario)
    for left in units:
        for right in units:
            if left is right or left[3] != right[2]:
                continue
            for unit, start, stop, bound, neighbour in ((left, left[2], left[3] + 1, "stop+1", right),
                                                        (right, right[2] - 1, right[3], "start-1", left)):
                changed, name = _moved(scenario, unit, start, stop)
                neighbour_name = _moved(scenario, neighbour, neighbour[2], neighbour[3])[1]
                out.append(_mutant(scenario, changed, f"range:{name}:{bound}", "range bound moved", name,
                                   f"{name}: range [{unit[2]}, {unit[3]}) -> [{start}, {stop}), one index into "
                                   f"{neighbour_name}'s"))
    return out


def _array_lock_mutants(scenario: Scenario, notes: list[str]) -> list[Mutant]:
    if not scenario.array.lock or any(g.lock != "none" for g in scenario.workers):
        return []
    for g in scenario.workers:
        if op_of(g.op).user_code:
            source = _function_source(scenario, g)
            if source is None or "get_lock" in source:
                notes.append(f"array-lock:false: not made: the function of call worker {g.name} "
                             f"{'uses get_lock()' if source else 'is not a top-level function the harness can read'}")
                return []
    changed = replace(scenario, array=replace(scenario.array, lock=False))
    return [_mutant(scenario, changed, "array-lock:false", "array lock removed", "", "array: lock: true -> false")]


# -- call workers ----------------------------------------------------------------------------

def _read_source(scenario: Scenario, g: WorkerGroup) -> bytes | None:
    path = target_source_file(scenario, g.params.call)
    if path is None:
        return None
    try:
        with open(path, "rb") as f:  # read only: the user's file is never written
            return f.read()
    except OSError:
        return None  # unreadable: its code is not mutated, and a note says so


def _function_source(scenario: Scenario, g: WorkerGroup) -> str | None:
    import ast

    raw = _read_source(scenario, g)
    try:
        func = find_function(ast.parse(raw), g.params.call.split(":", 1)[1]) if raw is not None else None
    except (SyntaxError, ValueError):
        return None
    return ast.unparse(func) if func is not None else None


def _placeholder_names(raw: bytes, g: WorkerGroup, placeholders: tuple[str, ...]) -> set[str]:
    import ast

    func = find_function(ast.parse(raw), g.params.call.split(":", 1)[1])
    p = g.params
    every_args = p.args_each if p.args_each is not None else (p.args,)
    every_kwargs = [p.kwargs] + [tuple(k) for k in (p.kwargs_each or ())]
    names: set[str] = set()
    for args in every_args:
        for kwargs in every_kwargs:
            names |= bound_parameters(func, args, kwargs, placeholders)
    return names


def _call_mutants(scenario: Scenario, notes: list[str]) -> list[Mutant]:
    out = []
    for n, g in enumerate(scenario.workers):
        if not op_of(g.op).user_code:
            continue
        raw = _read_source(scenario, g)
        function = g.params.call.split(":", 1)[1]
        found = function_mutants(raw, function) if raw is not None else None
        if found is None:
            notes.append(f"{g.name}: {g.params.call} is not a top-level function of a Python source file "
                         "the harness can read: its code is not mutated")
            continue
        found = function_mutants(raw, function, _placeholder_names(raw, g, LOCK_MARKERS),
                                 _placeholder_names(raw, g, ("$array",)))
        path = _shown(target_source_file(scenario, g.params.call))
        for m in found:
            mutant_id = f"{m.operator}:{g.name}:{m.line}"
            changed = _with_group(scenario, n, replace(g, params=replace(g.params, source=m.mutated)))
            diff = _diff(m.original.splitlines(), m.mutated.splitlines(), f"{path} ({function})", mutant_id)
            kind = {"with": "with-lock removed", "acquire": "acquire/release removed",
                    "slice": "slice read split"}[m.operator]
            out.append(Mutant(mutant_id, kind, g.name, f"{g.name}: {m.what} (line {m.line})", diff, changed))
    return out


def _shown(path: str) -> str:
    """A path as messages show it: relative to the current directory when inside it."""
    import os

    relative = os.path.relpath(path)
    return path if relative.startswith(os.pardir) else relative


# -- the plan's view -------------------------------------------------------------------------

def _base(name: str, scenario: Scenario) -> str:
    """A split group's process ``NAME.K`` as the scenario's own group NAME."""
    names = {g.name for g in scenario.workers}
    return name if name in names or "." not in name else name.rsplit(".", 1)[0]


def _racing(plan) -> set[tuple[str, str, str]]:
    """The pairs of built-in groups that the plan says can race, by their groups' names."""
    s = plan.scenario
    user = {g.name for g in s.workers if op_of(g.op).user_code}
    return {(_base(c.first, s), _base(c.second, s), c.kind) for c in plan.conflicts
            if c.can_race and c.first not in user and c.second not in user}


def _judged(m: Mutant, racing_before: set) -> Mutant:
    user = {g.name for g in m.scenario.workers if op_of(g.op).user_code}
    if m.group in user or (m.kind == "array lock removed" and user):
        return replace(m, plan_says="unknown", reason="user code: the plan cannot see its locking")
    plan = make_plan(m.scenario)
    new = [c for c in plan.conflicts if c.can_race
           and (_base(c.first, m.scenario), _base(c.second, m.scenario), c.kind) not in racing_before]
    touched = [c for c in plan.conflicts if m.group in ("", c.first, c.second)]
    # a pair it could race in before the change too is run all the same
    racing = new or [c for c in touched if c.can_race]
    if racing:
        return replace(m, plan_says="race", reason="; ".join(dict.fromkeys(
            f"{c.first} and {c.second} can race on [{c.start}, {c.stop}): {c.reason}" for c in racing)))
    why = "; ".join(dict.fromkeys(f"{c.first} and {c.second}: {c.reason}" for c in touched))
    if touched:
        return replace(m, plan_says="safe", reason=why)
    return replace(m, plan_says="alone", reason=f"no other process touches the indices {m.group or 'any group'} "
                   "works on")
