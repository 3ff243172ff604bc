"""The stack of a stuck worker, as a person reads it: each thread's frames, innermost first.

Promise: :func:`trim_stack` takes faulthandler's dump of every thread of a worker and keeps,
for each thread, its frames down to the worker's entry point (``worker_main``; below it is
multiprocessing's start-up, or under fork the parent's own stack), at most ``MAX_STACK_LINES``;
a main thread that only waits for the threads the user's function started says so in one
line. Parent side.
"""

from __future__ import annotations

MAX_STACK_LINES = 40  # frames kept per thread of a stuck worker

WAITING_FOR_THREADS = ("main thread: the function returned; its process waits for the threads it started, "
                      "as a real process does before it exits")


def _thread_sections(dump: str) -> list[tuple[str, list[str]]]:
    """faulthandler's dump as (header, frame lines) per thread, the interrupted (main) one
    named so."""
    sections: list[tuple[str, list[str]]] = []
    for line in dump.splitlines():
        if line.startswith(("Thread 0x", "Current thread 0x")):
            name = "main thread" if line.startswith("Current") else "thread " + line.split()[1]
            sections.append((name + ":", []))
        elif line.strip():
            if not sections:
                sections.append(("", []))
            sections[-1][1].append(line)
    return sections


def trim_stack(dump: str) -> str:
    """faulthandler's dump, innermost frame first, each thread cut after the worker's entry
    point, ``worker_main`` (the frames below it are multiprocessing's start-up, or under fork the parent's own
    stack); a main thread that only waits for the user's threads says so in one line."""
    out = []
    for header, frames in _thread_sections(dump):
        kept = []
        for line in frames:
            kept.append(line)
            if line.rstrip().endswith(" in worker_main"):
                break
        if any(line.rstrip().endswith(" in _end_threads") for line in kept):
            out.append(WAITING_FOR_THREADS)
            continue
        out.extend(([header] if header else []) + kept[:MAX_STACK_LINES])
    return "\n".join(out) + "\n"
