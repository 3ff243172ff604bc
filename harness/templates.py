"""``harness new``: commented starting scenarios that validate as written.

Promise: every template in :data:`TEMPLATES` renders to a file that ``harness validate``
accepts (the call template once its module exists), named after the new file.
"""

from __future__ import annotations

import os
import re
from importlib import resources

TEMPLATES = ("safe-locked", "lost-update-canary", "torn-read-canary", "call")
DEFAULT = "safe-locked"


def _name_for(path: str) -> str:
    stem = os.path.splitext(os.path.basename(path))[0]
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-._")
    return name or "scenario"


def schema_comment() -> str:
    path = resources.files("harness").joinpath("scenario.schema.json")
    return f"# yaml-language-server: $schema={path}\n"


def render(template: str, path: str) -> str:
    text = resources.files("harness").joinpath("templates", f"{template}.yaml").read_text()
    return schema_comment() + text.replace("{name}", _name_for(path)).replace("{file}", path)
