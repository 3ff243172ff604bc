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


def schema_comment(new_file: str) -> str:
    """The editor's pointer to the installed schema, relative to the new file so that a
    checkout moved elsewhere (or a colleague's) still finds it; `harness schema` prints it."""
    schema = str(resources.files("harness").joinpath("scenario.schema.json"))
    try:
        where = os.path.relpath(schema, os.path.dirname(os.path.abspath(new_file)))
    except ValueError:  # another drive on Windows
        where = schema
    return f"# yaml-language-server: $schema={where}\n"


def render(template: str, path: str) -> str:
    text = resources.files("harness").joinpath("templates", f"{template}.yaml").read_text()
    return schema_comment(path) + text.replace("{name}", _name_for(path)).replace("{file}", path)
