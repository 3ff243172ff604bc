"""Stage 1, load: scenario file -> validated :class:`~harness.scenario.Scenario`.

Promise: :func:`load_scenario` either returns a Scenario that every later stage can trust,
or raises :class:`~harness.errors.ScenarioError` listing every problem in the file, each as
``PATH:LINE:COL: message`` naming the key, what was found and what is allowed. Structure is
checked against :func:`harness.schema.scenario_schema` (jsonschema); what needs the whole
file (ranges inside the array, values that fit the typecode, op-specific keys) is checked
here. Nothing is imported from user code and nothing runs. Given a project's root, a file
that passed before and is unchanged is built from the parsed-scenario cache
(:mod:`harness.scenario_cache`) without YAML or the checks: the same Scenario, sooner.
"""

from __future__ import annotations

import math
import os
from functools import lru_cache

from . import schema as S
from .cvalues import CTYPES
from .errors import Problem, ScenarioError, closest
from .errors import found as _found
from .ops import OPS
from .ops.values import check_fits as _check_fits
from .paths import Unreadable, path_problem, read_regular
from .positions import Positions, label
from .scenario import MAX_TEXT, SCENARIO_SUFFIXES, ArraySpec, Expect, RunConfig, Scenario, Timing, WorkerGroup


@lru_cache(maxsize=1)
def _schema() -> dict:
    return S.scenario_schema()


_TYPE_NAMES = {"integer": "an integer", "number": "a number", "string": "a string",
               "boolean": "true or false", "array": "a list", "object": "a mapping", "null": "null"}


def _bounds(schema: dict) -> str:
    lo = schema.get("minimum", schema.get("exclusiveMinimum"))
    hi = schema.get("maximum")
    lo_text = f"> {lo}" if "exclusiveMinimum" in schema else f">= {lo}"
    if lo is not None and hi is not None:
        return f"from {lo} to {hi}" if "exclusiveMinimum" not in schema else f"{lo_text} and <= {hi}"
    return lo_text if lo is not None else f"<= {hi}"


def _misspelled(mapping: dict, schema: dict) -> set[str]:
    """The keys of ``schema`` that an unknown key of ``mapping`` is a typo of (``wokers:``
    for ``workers``): the unknown key's problem names them, so none is missing twice."""
    allowed = sorted(schema.get("properties", {}))
    if schema.get("additionalProperties") is not False:
        return set()
    return {closest(k, allowed) for k in mapping if k not in allowed} - {None}


class _Checker:
    """Collects problems for one file; a path that already has a problem gets no second one."""

    def __init__(self, path_name: str, positions: Positions):
        self.path_name = path_name
        self.positions = positions
        self.problems: list[Problem] = []
        self.bad_paths: set[tuple] = set()

    def at(self, path: tuple, message: str, *, key: bool = False) -> None:
        if any(path[:n] in self.bad_paths for n in range(len(path) + 1)):
            return
        self.bad_paths.add(path)
        line, col = self.positions.of_key(path) if key else self.positions.of_value(path)
        self.problems.append(Problem(self.path_name, line, col, f"{label(path)}: {message}"))

    # -- structure (the schema, checked by harness.schema_check) -----------------------
    def schema_errors(self, data) -> None:
        from .schema_check import iter_errors  # here: a file read back from the cache is not checked again

        errors = sorted(iter_errors(_schema(), data), key=lambda e: len(e.absolute_path), reverse=True)
        for err in errors:
            if "then" in err.relative_schema_path:
                continue  # op-specific keys: checked in _check_op_keys with the op in hand
            self._translate(err)

    def _translate(self, err) -> None:
        path = tuple(err.absolute_path)
        kind, inst, sch = err.validator, err.instance, err.schema
        if kind == "additionalProperties":
            allowed = sorted(sch.get("properties", {}))
            for key in inst:
                if key not in allowed:
                    close = closest(key, allowed)
                    hint = f" (did you mean {close!r}?)" if close else ""
                    self.at(path + (key,), f"unknown key {key!r}{hint}; allowed: {', '.join(allowed)}", key=True)
        elif kind == "required":
            misspelled = _misspelled(inst, sch)
            for key in err.validator_value:
                if key not in inst and key not in misspelled:  # a typo's own line says "did you mean"
                    self.at(path, f"missing required key {key!r}", key=bool(path))
        elif kind == "enum":
            self.at(path, f"found {_found(inst)}, allowed: {', '.join(map(str, err.validator_value))}")
        elif kind == "type":
            types = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
            wanted = " or ".join(_TYPE_NAMES.get(t, t) for t in types)
            # YAML made a number, a boolean or null of what the user meant as text (`name: 1e3`,
            # `description: yes`): say how to keep it text
            quote = ("; put it in quotes to make it text" if types == ["string"]
                     and (inst is None or isinstance(inst, (bool, int, float))) else "")
            self.at(path, f"found {_found(inst)}, expected {wanted}{quote}")
        elif kind in ("minimum", "maximum", "exclusiveMinimum"):
            self.at(path, f"found {_found(inst)}, allowed: {_bounds(sch)}")
        elif kind in ("minItems", "maxItems"):
            lo, hi = sch.get("minItems"), sch.get("maxItems")
            allowed = (f"exactly {lo}" if lo == hi else f"{lo} to {hi}" if hi is not None else f"at least {lo}")
            self.at(path, f"found {len(inst)} items, allowed: {allowed} items")
        elif kind == "pattern":
            what = sch.get("x-hint", "letters, digits, '_', '.' and '-', starting with a letter or digit")
            self.at(path, f"found {_found(inst)}, allowed: {what}")
        elif kind == "oneOf" and path == ("array",):
            if not isinstance(inst, dict):
                return  # not a mapping: its "type" error says so
            both = "size" in inst and "init" in inst
            self.at(path, "found both 'size' and 'init', allowed: exactly one of them" if both
                    else "missing 'size' or 'init': give exactly one of them", key=True)
        elif kind == "uniqueItems":
            self.at(path, f"found duplicates in {inst!r}, allowed: each item once")
        elif kind == "maxLength":
            self.at(path, f"found {len(inst)} characters, allowed: at most {err.validator_value}")
        else:  # a schema keyword this translation does not know yet: jsonschema's own words
            self.at(path, err.message)


def _non_finite(data, path=()):
    if isinstance(data, float) and not math.isfinite(data):
        yield path
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _non_finite(value, path + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _non_finite(value, path + (i,))


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _semantic(c: _Checker, data: dict, path_name: str) -> None:
    """The checks that need the whole file: values in the array's C type, ranges inside it,
    each operation's own keys, names, totals, and expectations that can come true."""
    for path in _non_finite(data):
        c.at(path, f"found {data_at(data, path)!r}, allowed: a finite number")
    array = _dict(data.get("array"))
    typecode = array.get("typecode")
    ctype = CTYPES.get(typecode) if isinstance(typecode, str) else None
    size = array.get("size") if isinstance(array.get("size"), int) else None
    if isinstance(array.get("init"), list):
        size = len(array["init"])
        if ctype:
            for i, v in enumerate(array["init"]):
                _check_fits(c, ("array", "init", i), v, ctype)
    workers = data.get("workers") if isinstance(data.get("workers"), list) else []
    _check_workers(c, workers, ctype, size, array.get("lock", True))
    _check_expect(c, _dict(data.get("expect")), workers, ctype, size)
    _check_survives(c, _dict(data.get("expect")), workers)
    _check_start_methods(c, _dict(data.get("run")).get("start_methods"))
    _check_inject(c, _dict(data.get("run")))


def _check_workers(c: _Checker, workers: list, ctype, size, array_lock) -> None:
    seen: dict[str, int] = {}
    for n, w in enumerate(workers):
        if not isinstance(w, dict):
            continue
        wp = ("workers", n)
        name = w.get("name")
        if isinstance(name, str):
            if name in seen:
                c.at(wp + ("name",), f"found {name!r} again: worker names must be unique "
                     f"(first used by workers[{seen[name]}])")
            seen.setdefault(name, n)
        op = OPS.get(w.get("op")) if isinstance(w.get("op"), str) else None
        if op:
            _check_op_keys(c, wp, w, op.name)
            op.check(c, wp, w, ctype)
        if size is not None:
            _check_range(c, wp, w, size)
        lock = w.get("lock", "none")
        if array_lock is False and lock in S.LOCK_SCOPES and lock != "none":
            c.at(wp + ("lock",), f"found {lock!r}, but array.lock is false: a lock: false array has no "
                 "get_lock(); allowed: none (or set array.lock: true)")
    counts = [w.get("count", 1) for w in workers if isinstance(w, dict)]
    total = sum(n for n in counts if isinstance(n, int) and 1 <= n <= S.MAX_PROCESSES)  # others: schema errors
    if total > S.MAX_PROCESSES:
        c.at(("workers",), f"found {total} processes in all, allowed: at most {S.MAX_PROCESSES}", key=True)


def _check_expect(c: _Checker, expect: dict, workers: list, ctype, size) -> None:
    final = expect.get("final")
    if isinstance(final, list) and size is not None:
        if len(final) != size:
            c.at(("expect", "final"), f"found {len(final)} values, allowed: exactly {size} (the array's size)")
        elif ctype:
            for i, v in enumerate(final):
                if v is not None:
                    _check_fits(c, ("expect", "final", i), v, ctype)
    if expect.get("anomaly") == "torn_read" and workers and not any(
        isinstance(w, dict) and isinstance(w.get("op"), str) and w["op"] in OPS and OPS[w["op"]].checks_reads(w)
        for w in workers
    ):
        c.at(("expect", "anomaly"), "found 'torn_read', but no worker checks what it reads: add a worker "
             "with op: snapshot, or a call worker with check:")


def _check_inject(c: _Checker, run: dict) -> None:
    """``run.inject`` and ``run.timing.inject`` say one thing twice: they must agree."""
    timing = _dict(run.get("timing"))
    if "inject" in run and "inject" in timing and run["inject"] != timing["inject"]:
        c.at(("run", "timing", "inject"), f"found {timing['inject']!r}, but run.inject says {run['inject']!r}; "
             "allowed: one of them, or both the same")


def _survivor_group(mutant: str, groups: dict) -> tuple[str, dict | None]:
    """The group a mutant id names (``range:GROUP.K:...`` names process K of a partitioned
    group), and its mapping (None: no such group)."""
    name = mutant.split(":")[1]
    if name in groups:
        return name, groups[name]
    base, _, k = name.rpartition(".")
    group = groups.get(base)
    if mutant.startswith("range:") and group and group.get("partition") is True and k.isdigit() \
            and int(k) < group.get("count", 1):
        return name, group
    return name, None


def _check_survives(c: _Checker, expect: dict, workers: list) -> None:
    """expect.survives: mutant ids of a safe scenario, naming its own groups and a change that
    can be made to them (harness mutate checks that each one names a mutant it derives)."""
    survives = expect.get("survives")
    if not isinstance(survives, list) or not survives:
        return
    if expect.get("anomaly", "none") != "none":
        c.at(("expect", "survives"), f"found {len(survives)} mutant id(s), but expect.anomaly is "
             f"{expect['anomaly']}: only a safe scenario (anomaly: none) has mutants; remove survives", key=True)
        return
    groups = {w["name"]: w for w in workers if isinstance(w, dict) and isinstance(w.get("name"), str)}
    for i, mutant in enumerate(survives):
        if not isinstance(mutant, str) or mutant == "array-lock:false" or ":" not in mutant:
            continue  # the schema's pattern reports a malformed id
        name, group = _survivor_group(mutant, groups)
        kind = mutant.split(":")[0]
        if group is None:
            c.at(("expect", "survives", i), f"found {mutant!r}, but no worker group is named {name!r}; "
                 f"allowed: {', '.join(groups) or 'a group of this file'}")
        elif kind in ("with", "acquire", "slice") and group.get("op") != "call":
            c.at(("expect", "survives", i), f"found {mutant!r}, but {name!r} is not a call worker; "
                 "allowed: with, acquire and slice mutants of a call worker's function")
        elif kind == "lock":
            scope, have = mutant.rsplit(":", 1)[1], group.get("lock", "none")
            weaker = S.LOCK_SCOPES[:S.LOCK_SCOPES.index(have)] if have in S.LOCK_SCOPES else ()
            if scope not in weaker:
                c.at(("expect", "survives", i), f"found {mutant!r}, but {name!r} has lock: {have}; allowed: "
                     f"a weaker scope ({', '.join(weaker) or 'none: it takes no lock to weaken'})")


def _check_start_methods(c: _Checker, methods) -> None:
    if not isinstance(methods, list):
        return
    import multiprocessing  # here: checking a file needs it only for this

    available = multiprocessing.get_all_start_methods()
    for i, m in enumerate(methods):
        if m in S.START_METHODS and m not in available:
            c.at(("run", "start_methods", i), f"found {m!r}, not available on this platform; "
                 f"allowed here: {', '.join(available)}")


def data_at(data, path):
    for part in path:
        data = data[part]
    return data


def _check_op_keys(c: _Checker, wp: tuple, w: dict, op: str) -> None:
    for key, ops in S.op_keys().items():
        if key in w and op not in ops:
            c.at(wp + (key,), f"key {key!r} does not apply to op {op!r}; it applies to op: {', '.join(ops)}",
                 key=True)
    for key in S.op_requires().get(op, ()):
        if key not in w:
            c.at(wp + ("op",), f"op {op!r} requires the key {key!r}")


def _check_range(c: _Checker, wp: tuple, w: dict, size: int) -> None:
    rng = w.get("range")
    if rng is not None and not (isinstance(rng, list) and len(rng) == 2 and all(
            isinstance(x, int) and not isinstance(x, bool) and 0 <= x <= S.MAX_SIZE for x in rng)):
        return  # the schema reports a range that is not two indices
    if rng is not None:
        start, stop = rng
        if not 0 <= start < stop <= size:
            c.at(wp + ("range",), f"found [{start}, {stop}], allowed: [start, stop) with "
                 f"0 <= start < stop <= {size} (the array's size)")
            return
    else:
        start, stop = 0, size
    count = w.get("count", 1)
    if w.get("partition") is True and isinstance(count, int) and count > stop - start:
        c.at(wp + ("partition",), f"cannot split {stop - start} indices [{start}, {stop}) among "
             f"{count} processes; allowed: count <= {stop - start} with partition: true")


def _build(data: dict, path_name: str, positions: Positions) -> Scenario:
    array = data["array"]
    ctype = CTYPES[array["typecode"]]
    init = array.get("init")
    values = tuple(ctype.store(v) for v in init) if init is not None else (ctype.store(0),) * int(array["size"])
    spec = ArraySpec(array["typecode"], values, array.get("lock", True))
    groups = []
    for n, w in enumerate(data["workers"]):
        start, stop = w.get("range", [0, spec.size])
        op = OPS[w["op"]]
        params = op.params(w, ctype, lambda key, n=n: positions.of_value(("workers", n, key)))
        groups.append(WorkerGroup(
            name=w["name"], op=op.name, start=start, stop=stop, count=int(w.get("count", 1)),
            partition=w.get("partition", False), loops=int(w.get("loops", 1)),
            lock=w.get("lock", "none"), think_us=int(w.get("think_us", 0)), params=params,
        ))
    expect = _dict(data.get("expect"))
    final = expect.get("final")
    run = _dict(data.get("run"))
    timing = _dict(run.get("timing"))
    defaults = Timing()
    return Scenario(
        name=data.get("name") or os.path.splitext(os.path.basename(path_name))[0],
        path=path_name,
        description=data.get("description", "") or "",
        array=spec,
        workers=tuple(groups),
        expect=Expect(expect.get("anomaly", "none"),
                      tuple(None if v is None else ctype.store(v) for v in final) if final is not None else None,
                      tuple(expect.get("survives", ())),
                      tuple(positions.of_value(("expect", "survives", i)) for i in range(len(expect.get("survives", ()))))),
        run=RunConfig(
            trials=int(run["trials"]) if "trials" in run else None, seed=run.get("seed"),
            timeout_s=float(run["timeout_s"]) if "timeout_s" in run else None,
            start_methods=tuple(run["start_methods"]) if "start_methods" in run else None,
            stop_on_detection=run.get("stop_on_detection"),
            strategy=run.get("strategy"), depth=run.get("depth"),
            timing=Timing(run.get("inject", timing.get("inject")),
                          float(timing.get("probability", defaults.probability)),
                          int(timing.get("max_delay_us", defaults.max_delay_us))),
        ),
    )


def _int_like(value):
    """JSON Schema counts 4.0 as an integer; make it one for every later stage too."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= 2**63:
        return int(value)
    return value


def _integral(data: dict) -> None:
    """Turn whole floats (``size: 4.0``) into ints where the schema asks for integers."""
    def fix(mapping, keys):
        if isinstance(mapping, dict):
            for key in keys:
                if key in mapping:
                    mapping[key] = _int_like(mapping[key])

    array = _dict(data.get("array"))
    fix(array, ("size",))
    for w in data.get("workers") if isinstance(data.get("workers"), list) else []:
        fix(w, ("count", "loops", "think_us"))
        if isinstance(w, dict) and isinstance(w.get("range"), list):
            w["range"] = [_int_like(x) for x in w["range"]]
    run = _dict(data.get("run"))
    fix(run, ("trials", "seed"))
    fix(run.get("timing"), ("max_delay_us",))


def _checked(text: str, path_name: str) -> tuple[dict, Positions]:
    """Scenario text's data, whole floats made ints, and positions, once it passed every check."""
    from .yamlpos import parse  # here: a file read back from the cache needs no YAML

    data, positions = parse(text, path_name)
    if not isinstance(data, dict):
        raise ScenarioError([Problem(path_name, 1, 1, f"(document): found {_found(data)}, expected a "
                                     "mapping with at least the keys 'array' and 'workers'")])
    _integral(data)
    checker = _Checker(path_name, positions)
    checker.schema_errors(data)
    _semantic(checker, data, path_name)
    if checker.problems:
        raise ScenarioError(checker.problems)
    return data, positions


def load_text(text: str, path_name: str) -> Scenario:
    """Validate scenario text; ``path_name`` is used in messages and as the default name."""
    data, positions = _checked(text, path_name)
    return _build(data, path_name, positions)


def _read(name: str) -> tuple[bytes, int, int]:
    """A scenario file's bytes, size and mtime_ns; a file that cannot be one is a ScenarioError."""
    try:
        raw, size, mtime_ns = read_regular(name, MAX_TEXT * 4)  # enough to tell a too-large file, never a huge read
    except Unreadable as exc:
        raise ScenarioError([Problem(name, 1, 1, str(exc))]) from None
    if size > MAX_TEXT * 4:  # more bytes than the most characters could take: say its real size
        raise ScenarioError([Problem(name, 1, 1, f"file too large: {size / 2**20:.1f} MiB ({size} bytes), "
                                     f"allowed: at most {MAX_TEXT} characters (about {MAX_TEXT // 2**20} MiB)")])
    return raw, size, mtime_ns


def load_scenario(path: str | os.PathLike, cache_root: str | None = None) -> Scenario:
    """Read and validate one scenario file. With ``cache_root`` (a project's root), a file
    unchanged since it last passed is read back from the parsed-scenario cache there instead
    of being parsed and checked again (:mod:`harness.scenario_cache`)."""
    name = os.fspath(path)
    raw, size, mtime_ns = _read(name)
    key = hit = None
    if cache_root is not None:
        from . import scenario_cache

        key = scenario_cache.key_of(name, raw, size, mtime_ns)
        hit = scenario_cache.lookup(cache_root, key)
    if hit is not None:
        data, positions = hit
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ScenarioError([Problem(name, 1, 1, f"not UTF-8 text (byte {exc.start}): scenario files are "
                                         "UTF-8 YAML")]) from None
        data, positions = _checked(text, name)
        if key is not None:
            scenario_cache.store(cache_root, key, data, positions)
    return _build(data, name, positions)


def find_scenario_files(paths) -> list[str]:
    """Expand files and folders into scenario files, sorted within each folder; a missing path
    or a file that is not YAML is a user error."""
    found: list[str] = []
    problems: list[Problem] = []
    for p in paths:
        p = os.fspath(p)
        problem = path_problem(p)
        if problem:
            problems.append(Problem(p, 1, 1, problem))
        elif os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in (os.path.join(root, f) for f in sorted(files) if f.endswith(SCENARIO_SUFFIXES)):
                    problem = path_problem(f)  # only regular files are read: a FIFO would wait forever
                    if problem:
                        problems.append(Problem(f, 1, 1, problem))
                    else:
                        found.append(f)
        else:
            if not p.endswith(SCENARIO_SUFFIXES):
                problems.append(Problem(p, 1, 1, "not a scenario file: allowed: *.yaml or *.yml"))
            found.append(p)
    if problems:
        raise ScenarioError(problems)
    return found


def load_all(paths, cache_root: str | None = None) -> list[Scenario]:
    """Load every scenario under ``paths`` (through the cache of ``cache_root``, as
    :func:`load_scenario`); all problems of all files in one ScenarioError."""
    scenarios, problems = [], []
    for f in find_scenario_files(paths):
        try:
            scenarios.append(load_scenario(f, cache_root))
        except ScenarioError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScenarioError(problems)
    return scenarios
