"""Where the parts of a scenario file stand, and how a message names them; no YAML here.

Promise: a :class:`Positions` maps each data path (a tuple of str keys and int list indices)
to the 1-based (line, column) of its value and, for a mapping entry, of its key;
:func:`label` writes a path as the user reads it (``workers[0].op``). Both live apart from
:mod:`harness.yamlpos`, which fills them in while parsing, so that a scenario read back from
the parsed-scenario cache (:mod:`harness.scenario_cache`) and the messages of later stages
never import PyYAML.
"""

from __future__ import annotations

from .records import field, record

Path = tuple  # of str keys and int list indices


@record
class Positions:
    """Where each path's value (and, for mapping entries, its key) stands in the file."""

    values: dict = field(default_factory=dict)
    keys: dict = field(default_factory=dict)

    def of_value(self, path: Path) -> tuple[int, int]:
        while path not in self.values and path:
            path = path[:-1]
        return self.values.get(path, (1, 1))

    def of_key(self, path: Path) -> tuple[int, int]:
        return self.keys.get(path) or self.of_value(path)


def label(path: Path) -> str:
    """A path as the user reads it: ``workers[0].op``."""
    out = ""
    for part in path:
        if isinstance(part, int) or not part or not part.isprintable():  # a key like '\n' stays on one line
            out += f"[{part!r}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(document)"
