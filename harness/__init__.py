"""A concurrency correctness harness for Python processes that share arrays.

The public API, in stage order: :func:`load_scenario` (load, validate), :func:`make_plan`
(processes, expected final array, races), :func:`run_scenario` / :func:`run_all` (execute
and detect), :func:`harness.explain.explain` and the reporters in :mod:`harness.report`. Names are imported lazily so a
spawned worker process that imports ``harness.worker`` does not pay for YAML or the loader.
"""

from __future__ import annotations

__version__ = "0.1.0"

_LAZY = {
    "load_scenario": "harness.load", "load_all": "harness.load", "load_text": "harness.load",
    "make_plan": "harness.plan", "run_scenario": "harness.api", "run_all": "harness.api",
    "RunReport": "harness.api", "RunOptions": "harness.settings", "RunSettings": "harness.settings",
    "resolve": "harness.settings",
    "HarnessError": "harness.errors", "ScenarioError": "harness.errors",
}
__all__ = sorted(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'harness' has no attribute {name!r}")
