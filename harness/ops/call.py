"""``call``: the user's own function, unchanged, once per trial in each process.

Promise: ``call: package.module:function`` with ``args``/``kwargs`` (or ``args_each`` /
``kwargs_each``, one per process), whose ``$`` placeholders become the process's numbers, the
instrumented array and the scenario's shared locks (:mod:`harness.calls` runs it, worker side).
The user's code gets the whole array and may start threads, so the race analysis takes it to
touch every index and to race even with itself, and the model leaves what it writes unchecked
(``expect.final`` says). ``check`` applies to its whole-range reads, or with ``check_on:
returns`` to what it returns.
"""

from __future__ import annotations


from ..messages import FrozenMap
from ..points import LOCK_OF_PLACEHOLDER
from . import keys
from ..records import record, replace
from .base import Operation, Role
from .checked import with_expected_sum

CALL_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$"
PLACEHOLDERS = ("$array", "$start", "$stop", "$index", "$worker", "$loops", "$value", "$lock", "$rlock")
ARGUMENT_KEYS = ("args", "kwargs", "args_each", "kwargs_each")


@record(frozen=True)
class CallParams:
    call: str = ""
    args: tuple = ()
    kwargs: tuple = ()  # (key, value) pairs, so the parameters stay hashable
    args_each: tuple | None = None  # one args list per process of the group, instead of args
    kwargs_each: tuple | None = None  # one kwargs mapping per process, merged over kwargs
    value: object = None  # for $value
    check: str | None = None
    check_on: str = "reads"  # check every whole-range read, or the values the function returns
    time_scale: float = 1.0
    call_at: tuple = (0, 0)  # (line, column) of `call:` in the file, for errors found before a run
    check_sum: object = None
    check_tolerance: float | None = None
    # harness mutate: the source of a mutated version of the function, which the worker runs
    # instead of the named one (compiled in that function's module; the file is never touched)
    source: str | None = None


def freeze(value):
    """YAML lists and mappings as tuples and FrozenMaps, so the parameters stay hashable."""
    if isinstance(value, list):
        return tuple(freeze(v) for v in value)
    if isinstance(value, dict):
        return FrozenMap((k, freeze(v)) for k, v in value.items())
    return value


class Call(Operation):
    name = "call"
    role = Role.USER
    key_schemas = {
        "value": keys.VALUE,
        "check": keys.CHECK,
        "call": {"type": "string", "pattern": CALL_PATTERN, "x-hint": "package.module:function, e.g. "
                 "'mypkg.counters:increment'", "description": "package.module:function, called once per trial."},
        "args": {"type": "array", "description": "Positional arguments; $-placeholders are replaced."},
        "kwargs": {"type": "object", "description": "Keyword arguments; $-placeholders are replaced."},
        "args_each": {"type": "array", "items": {"type": "array"},
                      "description": "One list of positional arguments per process of the group (count of "
                                     "them), instead of args."},
        "kwargs_each": {"type": "array", "items": {"type": "object"},
                        "description": "One mapping of keyword arguments per process of the group (count of "
                                       "them), added to kwargs."},
        "check_on": {"type": "string", "enum": ["reads", "returns"],
                     "description": "reads (default): check every whole-range read; returns: check what the "
                                    "function returns (each value it yields)."},
        "time_scale": {"type": "number", "minimum": 0, "maximum": 1000,
                       "description": "Multiplies every time.sleep inside the call (default 1)."},
    }
    required = ("call",)
    models = False

    # -- load ----------------------------------------------------------------------------
    def check(self, checker, wp, w, ctype) -> None:
        for key in ARGUMENT_KEYS:
            _check_placeholders(checker, wp + (key,), w.get(key), "value" in w)
        if "args" in w and "args_each" in w:
            checker.at(wp + ("args_each",), "found both 'args' and 'args_each', allowed: one of them "
                       "(args_each gives each process its own args)", key=True)
        count = w.get("count", 1)
        for key, what in (("args_each", "lists"), ("kwargs_each", "mappings")):
            each = w.get(key)
            if isinstance(each, list) and isinstance(count, int) and len(each) != count:
                checker.at(wp + (key,), f"found {len(each)} {what}, allowed: exactly {count}, one per process "
                           f"of the group (count: {count})")
        if w.get("check_on") == "returns" and "check" not in w:
            checker.at(wp + ("check_on",), "found 'returns', but the worker has no 'check': add check: "
                       "uniform, sum or monotonic (what each returned value must keep)")

    def checks_reads(self, w: dict) -> bool:
        return "check" in w

    def params(self, w, ctype, where) -> CallParams:
        return CallParams(
            call=w["call"], args=freeze(w.get("args", [])), kwargs=freeze(w.get("kwargs", {})),
            args_each=freeze(w["args_each"]) if "args_each" in w else None,
            kwargs_each=freeze(w["kwargs_each"]) if "kwargs_each" in w else None,
            value=w.get("value"), check=w.get("check"), check_on=w.get("check_on", "reads"),
            time_scale=float(w.get("time_scale", 1.0)), call_at=where("call"))

    # -- plan ----------------------------------------------------------------------------
    def reach(self, ranges, size):
        return [(0, size)] * len(ranges)  # $array is the whole array, whatever its range

    def process_params(self, group, k, start, stop, scenario):
        """Process k's own arguments: args_each and kwargs_each give each process its own."""
        g = group.params
        args = g.args_each[k] if g.args_each is not None else g.args
        kwargs = g.kwargs
        if g.kwargs_each is not None:
            own = dict(g.kwargs_each[k])
            kwargs = FrozenMap([(key, v) for key, v in kwargs if key not in own] + list(own.items()))
        return with_expected_sum(replace(g, args=args, kwargs=kwargs, args_each=None, kwargs_each=None),
                                 scenario, start, stop)

    def step_atomic(self, group, array_lock: bool) -> bool:
        return False  # its locking is the user's

    def pass_atomic(self, group, array_lock: bool) -> bool:
        return False

    def user_code_reason(self, alone: bool) -> str:
        if alone:
            return ("a call worker runs user code, which may start threads that race with each other; "
                    "its locking shows only when it runs, so before a run the plan counts it as able to race")
        return ("a call worker runs user code; its locking shows only when it runs, so before a run the plan "
                "counts it as able to race")

    def shared_locks(self, p) -> set[str]:
        """The scenario's shared locks this process is given ($lock, $rlock)."""
        return _strings((p.params.args, p.params.kwargs)) & set(LOCK_OF_PLACEHOLDER)

    # -- explain and reports ---------------------------------------------------------------
    def describe(self, p) -> str:
        return f"call {p.params.call}" + (f" (check: {p.params.check})" if p.params.check else "")

    def unit(self, spec) -> str:
        """What a torn snapshot's number counts: user code's reads, or its returned values."""
        return "returned value" if spec.params.check_on == "returns" else "read"

    # -- worker ---------------------------------------------------------------------------
    def runner(self, spec, arr, shared: dict):
        from ..calls import prepare_call  # imports the user's module: CallSetupError if it cannot

        return prepare_call(spec, arr, shared.get("locks", {}))


def _strings(value) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, tuple):  # lists and FrozenMap pairs
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()


def _check_placeholders(checker, path: tuple, value, has_value: bool) -> None:
    if isinstance(value, str) and value.startswith("$"):
        if value not in PLACEHOLDERS:
            checker.at(path, f"unknown placeholder {value!r}; allowed: {', '.join(PLACEHOLDERS)}")
        elif value == "$value" and not has_value:
            checker.at(path, "placeholder '$value' used, but the worker has no 'value' key")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_placeholders(checker, path + (i,), item, has_value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_placeholders(checker, path + (key,), item, has_value)


OP = Call()
