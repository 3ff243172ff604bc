"""The run cache behind ``harness run --last-failed``: what failed in the runs before.

Promise: ``.harness_cache/lastfailed.json``, in the project's root (:mod:`harness.project`:
beside the ``pyproject.toml`` that has ``[tool.harness]``, else the current directory), holds
every (file, scenario, start method) whose last verdict failed. After each run, :func:`record`
strikes off what passed and adds what failed; what the run did not touch stays, as in pytest's
cache. The folder gets a ``.gitignore`` of ``*`` so git never sees it; it also holds the
parsed-scenario cache (:mod:`harness.scenario_cache`). A cache that cannot be
read counts as empty and one that cannot be written changes nothing but a warning: neither
ever changes a run's verdict or exit status.
"""

from __future__ import annotations

import json
import os

from .output import write_atomically
from .scenario_cache import CACHE_DIR, make_folder

LAST_FAILED = "lastfailed.json"
VERSION = 1


def _key(file: str, name: str, method: str) -> tuple[str, str, str]:
    return (os.path.realpath(file), name, method)


def job_key(job) -> tuple[str, str, str]:
    return _key(job.scenario.path, job.scenario.name, job.settings.start_method)


def result_key(result) -> tuple[str, str, str]:
    return _key(result.file, result.name, result.start_method)


def cache_file(root: str) -> str:
    return os.path.join(root, CACHE_DIR, LAST_FAILED)


def read_failed(root: str) -> tuple[frozenset, str | None]:
    """The failures recorded so far, and a warning when the cache could not be read."""
    path = cache_file(root)
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        if not isinstance(doc, dict) or doc.get("version") != VERSION:
            raise ValueError(f"not a version {VERSION} cache")
        failed = frozenset(tuple(entry) for entry in doc["failed"]
                           if isinstance(entry, list) and len(entry) == 3 and all(isinstance(x, str) for x in entry))
    except FileNotFoundError:
        return frozenset(), None
    except (OSError, ValueError, KeyError, TypeError) as exc:  # json's errors are ValueErrors
        return frozenset(), f"harness: warning: ignoring the unreadable cache {path} ({exc}); it is rewritten after this run"
    return failed, None


def record(root: str, before: frozenset, results) -> str | None:
    """Write what failed after this run; a warning when it could not be written."""
    failed = set(before)
    for r in results:
        if r.verdict == "passed":
            failed.discard(result_key(r))
        elif r.verdict in ("failed", "error"):
            failed.add(result_key(r))
    folder = os.path.join(root, CACHE_DIR)
    try:
        make_folder(root)
        text = json.dumps({"version": VERSION, "failed": sorted(list(k) for k in failed)}, indent=1) + "\n"
        write_atomically(cache_file(root), text)
    except OSError as exc:
        return f"harness: warning: cannot write the cache {folder} ({exc.strerror or exc}); --last-failed will not know this run"
    return None
