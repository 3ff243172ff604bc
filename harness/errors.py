"""The harness's exceptions.

Promise: every problem caused by the user's input (a scenario file, a command-line option)
is a :class:`HarnessError`, whose ``str()`` is ready to print as-is, one line per problem.
Anything else escaping the harness is a bug and says so (:class:`InternalError`).
"""

from __future__ import annotations

from .records import record


class HarnessError(Exception):
    """Root of every user error: bad scenario files, bad options. Printed without traceback."""

    def lines(self) -> list[str]:
        return str(self).splitlines() or [type(self).__name__]


@record(frozen=True, order=True)
class Problem:
    """One problem in a scenario file, located at 1-based ``line`` and ``column``."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


def elide(text: str, limit: int, unit: str = "characters") -> str:
    """``text`` if it is short, else its start and its length: one line stays one line."""
    return text if len(text) <= limit else f"{text[:12]}...({len(text)} {unit})"


def found(value) -> str:
    """A value as a message names it after "found": its kind, and the value where short."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, (int, float)):
        return f"the number {elide(repr(value), 30, 'digits')}"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def closest(word, choices) -> str | None:
    """The choice a mistyped word most likely meant, for a "did you mean" hint; None if none is close."""
    import difflib  # only on the way to an error message

    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return close[0] if close else None


class ScenarioError(HarnessError):
    """One or more problems in scenario files, each with ``PATH:LINE:COL``."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(HarnessError):
    """A bad command-line option or argument."""


class InternalError(Exception):
    """A bug in the harness, not in the user's input."""

    def __init__(self, message: str):
        super().__init__(f"internal error (this is a bug in the harness, please report it): {message}")
