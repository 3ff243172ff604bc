"""Fixtures shared by the test folders, and hand-built report pieces shared by the HTML
report's unit tests and its browser test.

The controlled scheduler (issues 14 and 15) adds a trace, a replay token and a certificate to the
results; until it lands, these are the shapes /docs promise, built by hand.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """Run in a fresh folder, away from this repository's pyproject.toml and .harness_cache:
    `harness run` and `harness validate` look for both from the current directory up."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def capped_counter_trace() -> list[dict]:
    """Two call workers and a thread: a check-then-act cap that lost an update at a[0]."""
    def step(n, worker, op, index, value, line, mark=None, note=None, thread=0, lock=None):
        return {"step": n, "worker": worker, "group": "capper", "process": f"capper[{worker}]", "thread": thread,
                "op": op, "index": index, "value": value, "location": f"userpat.py:{line}" if line else None,
                "loop": None if line else 1, "mark": mark, "note": note, **({"lock": lock} if lock else {})}

    return [
        step(86, 0, "start", None, None, None),
        step(87, 1, "start", None, None, None),
        step(88, 0, "read", 0, 49, 172, "stale-read"),
        step(89, 1, "read", 0, 49, 172),
        step(90, 1, "write", 0, 50, 174, "overwritten"),
        step(91, 0, "write", 0, 51, 174, "conflict", "acted on a stale read (#88)"),
        step(92, 1, "acquire", None, None, 180, lock="$lock", thread=1),
        step(93, 1, "release", None, None, 181, lock="$lock", thread=1),
        step(94, 0, "end", None, None, None),
    ]


def controlled_example(trial: int = 3) -> dict:
    return {"trial": trial, "kind": "lost_update", "indices": [0], "expected": [50, 0, 0], "observed": [51, 0, 0],
            "replay": "s1.AQIDBA", "trace": capped_counter_trace()}


PCT_CERTIFICATE = {"kind": "pct", "trials": 200, "depth": 3, "bound": 0.9871,
               "text": "PCT depth 3 over 200 trials: a bug of depth <= 3 would have been found with probability "
                       ">= 98.7%"}


@pytest.fixture
def controlled_lost_update() -> dict:
    return controlled_example()


@pytest.fixture
def certificate() -> dict:
    return dict(PCT_CERTIFICATE)
