"""Shared bits of the benchmark scripts: writing throwaway scenarios, timing commands."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def scenario_file(text: str, name: str = "bench.yaml") -> str:
    folder = tempfile.mkdtemp(prefix="harness-bench-")
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def timed_command(args: list[str]) -> tuple[float, str]:
    """Wall time of a whole command, start-up included, and its stdout."""
    began = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - began
    if done.returncode not in (0, 1):
        sys.exit(f"benchmark command failed ({done.returncode}): {' '.join(args)}\n{done.stderr}")
    return elapsed, done.stdout


def harness_command(*words: str) -> list[str]:
    return [sys.executable, "-m", "harness", *words]
