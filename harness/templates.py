"""``harness new``: commented starting scenarios that validate and run as written.

Promise: every template in :data:`TEMPLATES` renders to a file that ``harness validate``
accepts, named after the new file; the ``call`` template comes with the module it calls
(:func:`module_for`: ``counters.py`` beside the scenario), which ``harness new`` writes unless
a file of that name exists, so the new scenario runs before a line of it is edited.
"""

from __future__ import annotations

import os
import re

TEMPLATES = {
    "safe-locked": "two processes add under arr.get_lock(); passes when every trial is clean",
    "lost-update-canary": "two processes add without the lock; passes when an update is lost",
    "torn-read-canary": "a reader iterates beside a pass-locked writer; passes when it sees a torn array",
    "call": "your own function, unchanged, in two processes (writes counters.py beside it to edit)",
}
DEFAULT = "safe-locked"
CALL_MODULE = "counters.py"  # the module of the call template's `call: counters:increment`


def _name_for(path: str) -> str:
    stem = os.path.splitext(os.path.basename(path))[0]
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-._")
    return name or "scenario"


def _files():
    from importlib import resources

    return resources.files("harness")


def schema_comment(new_file: str) -> str:
    """The editor's pointer to the installed schema, relative to the new file so that a
    checkout moved elsewhere (or a colleague's) still finds it; `harness schema` prints it."""
    schema = str(_files().joinpath("scenario.schema.json"))
    try:
        where = os.path.relpath(schema, os.path.dirname(os.path.abspath(new_file)))
    except ValueError:  # another drive on Windows
        where = schema
    return f"# yaml-language-server: $schema={where}\n"


def render(template: str, path: str) -> str:
    text = _files().joinpath("templates", f"{template}.yaml").read_text()
    return schema_comment(path) + text.replace("{name}", _name_for(path)).replace("{file}", path)


def module_for(template: str, path: str) -> tuple[str, str] | None:
    """(path, text) of the module a template's scenario calls, beside the scenario; None
    for templates that call nothing."""
    if template != "call":
        return None
    text = _files().joinpath("templates", CALL_MODULE).read_text()
    return os.path.join(os.path.dirname(path), CALL_MODULE), text
