"""Call workers: the user's own function, run once per trial on an instrumented array.

Promise: :func:`prepare_call` runs once per worker process. It imports the target of
``call: package.module:function`` with the scenario file's folder and the current directory
first on ``sys.path``, and returns ``runner(inj, snaps)``, which calls the function once
with the worker's arguments: ``$array`` is an :class:`~harness.instrumented.InstrumentedArray`
over the shared array, bound to this trial's injector and snapshot checker; ``$start``,
``$stop``, ``$index``, ``$worker``, ``$loops`` and ``$value`` are the worker's numbers.
Arguments are rebuilt for every trial, so a function that mutates a list it was given does
not leak into the next trial. Anything that stops the function from being called at all
(a module that does not import, a missing name, something not callable) is a
:class:`CallSetupError` whose message is one line naming the call.

``time_scale`` (when not 1) replaces ``time.sleep`` during each call with a version that
sleeps ``seconds * time_scale``: the ``time`` module's attribute, which covers
``time.sleep(...)`` anywhere, and names in the target function's own module bound to
``time.sleep`` (``from time import sleep``). Limit: a ``from time import sleep`` in some
other module, or a reference to ``time.sleep`` saved before the call (a default argument,
a module-level alias elsewhere), keeps the real sleep; so do ``asyncio.sleep``, waits with
timeouts (``Event.wait``, ``join``) and busy loops on ``time.time()``.
"""

from __future__ import annotations

import importlib
import io
import numbers
import os
import sys
import time

from .instrumented import InstrumentedArray, InstrumentedLock
from .points import LOCK_OF_PLACEHOLDER
from .messages import FrozenMap, SetupError


class CallSetupError(SetupError):
    """The call target cannot be called: reported once, the scenario gets an error verdict."""


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _search_path(base_dir: str) -> list[str]:
    front = [p for p in dict.fromkeys([base_dir, os.getcwd()]) if p]
    sys.path[:] = front + [p for p in sys.path if p not in front]
    return front


def resolve(call: str, base_dir: str = ""):
    """The function named by ``package.module:function``, or CallSetupError."""
    module_name, _, func_name = call.partition(":")
    if not module_name or not func_name:
        raise CallSetupError(f"call {call!r}: expected package.module:function")
    where = " and ".join(_search_path(base_dir))
    quiet = io.StringIO()  # what the module prints while importing is not the trial's output
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = quiet
    try:
        module = importlib.import_module(module_name)
    except (Exception, SystemExit) as exc:  # the user's module may raise anything while importing
        raise CallSetupError(f"call {call!r}: cannot import module {module_name!r} "
                             f"({_one_line(exc)}); searched first: {where}") from None
    finally:
        sys.stdout, sys.stderr = saved
    try:
        func = getattr(module, func_name)
    except AttributeError:
        origin = getattr(module, "__file__", None) or "a built-in module"
        raise CallSetupError(f"call {call!r}: module {module_name!r} ({origin}) has no attribute "
                             f"{func_name!r}") from None
    if not callable(func):
        raise CallSetupError(f"call {call!r}: {module_name}.{func_name} is a {type(func).__name__}, "
                             "not a function")
    return func


def _thaw(value, subs: dict):
    if type(value) is str:
        return subs[value] if value in subs else value
    if type(value) is FrozenMap:
        return {k: _thaw(v, subs) for k, v in value}
    if type(value) is tuple:
        return [_thaw(v, subs) for v in value]
    return value


def _scaled_sleep(scale: float, real_sleep=time.sleep):
    def sleep(seconds):
        try:
            seconds = seconds * scale
        except TypeError:
            pass  # let the real sleep raise its own error
        return real_sleep(seconds)

    sleep.__doc__ = f"time.sleep, scaled by {scale} (the scenario's time_scale)"
    return sleep


def _returned_snapshots(result, call: str) -> list:
    """The snapshots a ``check_on: returns`` function gave. A snapshot holds numbers, so a
    returned sequence of numbers is one snapshot, and a returned sequence (or generator) of
    sequences is one snapshot each."""
    if result is None or isinstance(result, (str, bytes, dict)) or not hasattr(result, "__iter__"):
        raise TypeError(f"check_on: returns, but {call} returned {type(result).__name__}, not the "
                        "values it read (a sequence of numbers, or of such sequences)")
    items = list(result)
    if all(isinstance(v, numbers.Real) for v in items):  # numpy's numbers too
        return [items] if items else []
    if all(hasattr(v, "__iter__") and not isinstance(v, (str, bytes, dict)) for v in items):
        return [list(v) for v in items]
    raise TypeError(f"check_on: returns, but {call} returned a mix of numbers and other values; "
                    "return the values it read, or a list of such reads")


def _check_returned(result, snaps, call: str) -> None:
    for n, values in enumerate(_returned_snapshots(result, call), 1):
        snaps.see(values, n, f"value {n} returned by {call}")


def _placeholders(spec, proxy, locks: dict) -> dict:
    subs = {"$array": proxy, "$start": spec.start, "$stop": spec.stop, "$index": spec.index,
            "$worker": spec.worker, "$loops": spec.loops, "$value": spec.params.value}
    for name, lock in locks.items():  # $lock, $rlock: one lock shared by every process
        subs[name] = InstrumentedLock(lock, proxy, LOCK_OF_PLACEHOLDER[name])
    return subs


def _check_arguments(params, func, subs: dict) -> None:
    """The arguments the scenario gives must fit the function's signature: a mismatch is the
    scenario's error, said once, not a TypeError in every trial."""
    import inspect

    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):  # a builtin or C function without one: the call will tell
        return
    args = [_thaw(a, subs) for a in params.args]
    kwargs = {k: _thaw(v, subs) for k, v in params.kwargs}
    try:
        signature.bind(*args, **kwargs)
    except TypeError as exc:
        raise CallSetupError(f"call {params.call!r}: the scenario's arguments do not fit "
                             f"{func.__name__}{signature}: {exc}") from None


def mutated(call: str, source: str):
    """The function that ``source`` (a mutant of the named function's own source, from ``harness mutate``)
    defines, compiled in the namespace of the module ``call`` names, so it sees the same globals
    as the original; the module itself and its file stay as they are."""
    module_name, _, func_name = call.partition(":")
    namespace: dict = {}
    exec(compile(source, f"<mutant of {call}>", "exec"), sys.modules[module_name].__dict__, namespace)
    return namespace[func_name]


def prepare_call(spec, arr, locks: dict | None = None) -> "CallRunner":
    """Import the target and return the runner that calls it once per trial."""
    func = resolve(spec.params.call, spec.base_dir)
    if spec.params.source is not None:
        func = mutated(spec.params.call, spec.params.source)
    return CallRunner(spec, func, arr, locks or {})


class CallRunner:
    """``runner(policy, snaps)`` calls the function once; ``runner.scope`` is the trial's
    context (``time.sleep`` scaled), to be held until the threads it started have ended."""

    def __init__(self, spec, func, arr, locks: dict):
        self.spec, self.params, self.func = spec, spec.params, func
        self.proxy = InstrumentedArray(arr, start=spec.start, stop=spec.stop)
        self.subs = _placeholders(spec, self.proxy, locks)
        _check_arguments(spec.params, func, self.subs)
        self.returns = self.params.check_on == "returns"
        self.scope = _SleepScaler(self.params.time_scale, func)

    def __call__(self, policy, snaps) -> None:
        params, subs = self.params, self.subs
        # checks go to what the function returns, or to every whole-range read it makes
        self.proxy.bind(policy, None if self.returns else snaps)
        call_args = [_thaw(a, subs) for a in params.args]
        call_kwargs = {k: _thaw(v, subs) for k, v in params.kwargs}
        result = self.func(*call_args, **call_kwargs)
        if self.returns:
            _check_returned(result, snaps, params.call)


class _SleepScaler:
    """While entered, ``time.sleep`` (and the target module's own names for it) sleep
    ``seconds * time_scale``; nothing at all when the scale is 1."""

    def __init__(self, scale: float, func):
        self.scale = scale
        self.real_sleep = time.sleep
        self.scaled = _scaled_sleep(scale, self.real_sleep) if scale != 1 else None
        module_globals = getattr(func, "__globals__", None) if scale != 1 else None
        self.module_globals = module_globals
        self.aliases = [n for n, v in module_globals.items() if v is self.real_sleep] if module_globals else []

    def __enter__(self):
        if self.scaled is not None:
            time.sleep = self.scaled
            for n in self.aliases:
                self.module_globals[n] = self.scaled

    def __exit__(self, *exc):
        if self.scaled is not None:
            time.sleep = self.real_sleep
            for n in self.aliases:
                self.module_globals[n] = self.real_sleep
