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
import os
import sys
import time

from .instrumented import InstrumentedArray
from .messages import FrozenMap


class CallSetupError(Exception):
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


def prepare_call(spec, arr):
    """Import the target and return ``runner(inj, snaps)``, which calls it once."""
    func = resolve(spec.call, spec.base_dir)
    proxy = InstrumentedArray(arr, start=spec.start, stop=spec.stop)
    subs = {"$array": proxy, "$start": spec.start, "$stop": spec.stop, "$index": spec.index,
            "$worker": spec.worker, "$loops": spec.loops, "$value": spec.value}
    args, kwargs = spec.args, spec.kwargs
    scale = spec.time_scale
    if scale == 1:
        def runner(inj, snaps):
            proxy._bind(inj, snaps)
            func(*[_thaw(a, subs) for a in args], **{k: _thaw(v, subs) for k, v in kwargs})
        return runner

    real_sleep = time.sleep
    scaled = _scaled_sleep(scale, real_sleep)
    module_globals = getattr(func, "__globals__", None)
    aliases = [n for n, v in module_globals.items() if v is real_sleep] if module_globals else []

    def runner(inj, snaps):
        proxy._bind(inj, snaps)
        call_args = [_thaw(a, subs) for a in args]
        call_kwargs = {k: _thaw(v, subs) for k, v in kwargs}
        time.sleep = scaled
        for n in aliases:
            module_globals[n] = scaled
        try:
            func(*call_args, **call_kwargs)
        finally:
            time.sleep = real_sleep
            for n in aliases:
                module_globals[n] = real_sleep
    return runner
