"""The parsed-scenario cache: a valid scenario file's checked data, kept so that the next run
reads it back instead of parsing YAML and checking it again (Python's ``.pyc`` idea).

Promise: :func:`store` keeps, for a file that passed every check of :mod:`harness.load`, the
data those checks passed (what :func:`harness.yamlpos.parse` made of the text, whole floats
already ints: plain JSON) and the positions of its keys and values, in
``.harness_cache/scenarios/`` of the project's root (:mod:`harness.project`). :func:`lookup`
gives them back only when everything they came from is unchanged: the file's real path, size,
mtime_ns and the CRC-32 of its bytes; the harness's version, the Python and platform running
it, and the size and mtime_ns of every file of the harness's own package and its operations
(an edited checkout's loader is another loader). An entry carries the CRC-32 of its own body,
so a torn or edited entry is a miss. Whatever is wrong with the cache (no entry, an unreadable
or corrupt one, a folder that cannot be written) is a miss or a write left undone, silently:
the file is then read and checked as if there were no cache, so the cache never changes what a
file loads as, nor a verdict. A file with a problem is never stored; its problems are found
anew each time.
"""

from __future__ import annotations

import binascii
import json
import os
import sys
from functools import lru_cache

from . import __version__
from .positions import Positions

CACHE_DIR = ".harness_cache"
SCENARIOS = "scenarios"
FORMAT = 1  # of an entry; a new one makes every older entry a miss


def _write(path: str, content: bytes) -> None:
    """The whole file or nothing (a temporary file, then a rename): a reader never sees half."""
    tmp = f"{path}.{os.getpid()}-{os.urandom(4).hex()}.tmp"
    try:
        with open(tmp, "wb") as f:
            f.write(content)
        os.replace(tmp, path)
    except OSError:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def make_folder(root: str) -> str:
    """``root``'s cache folder, made with a ``.gitignore`` of ``*`` if it is not there yet
    (OSError: it cannot be)."""
    folder = os.path.join(root, CACHE_DIR)
    if not os.path.isdir(folder):
        os.makedirs(folder, exist_ok=True)
        _write(os.path.join(folder, ".gitignore"), b"# written by harness run: never commit it\n*\n")
    return folder


def clear(root: str) -> str | None:
    """Remove ``root``'s whole cache folder (``harness run --cache-clear``); a warning when it
    cannot be removed."""
    import shutil

    folder = os.path.join(root, CACHE_DIR)
    try:
        shutil.rmtree(folder)
    except FileNotFoundError:
        pass
    except OSError as exc:
        return f"harness: warning: cannot clear the cache {folder} ({exc.strerror or exc})"
    return None


@lru_cache(maxsize=1)
def _code_stamp() -> str:
    """What the loader is: the harness's version, the Python and platform running it (which
    start methods exist is checked), and the size and mtime_ns of every file of the package and
    of its operations (stat calls only: no reading)."""
    here = os.path.dirname(os.path.abspath(__file__))
    parts = [__version__, sys.implementation.cache_tag, sys.platform, here]
    for folder in (here, os.path.join(here, "ops")):
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.name.endswith((".py", ".json")) and entry.is_file():
                    st = entry.stat()
                    parts.append(f"{entry.name}:{st.st_size}:{st.st_mtime_ns}")
    return f"{binascii.crc32(chr(0).join(parts).encode('utf-8', 'surrogateescape')):08x}"


def key_of(path: str, raw: bytes, size: int, mtime_ns: int) -> dict:
    """What an entry for the file ``path``, whose bytes are ``raw``, must have been made from."""
    return {"format": FORMAT, "file": os.path.realpath(path), "size": size, "mtime_ns": mtime_ns,
            "crc32": binascii.crc32(raw), "code": _code_stamp()}


def _entry_file(root: str, key: dict) -> str:
    real = key["file"]
    stem = os.path.basename(real)[:100]  # readable, and well inside any file name limit
    name = f"{stem}-{binascii.crc32(real.encode('utf-8', 'surrogateescape')):08x}.json"
    return os.path.join(root, CACHE_DIR, SCENARIOS, name)


def _pairs(where: dict) -> list:
    return [[list(path), line, col] for path, (line, col) in where.items()]


def lookup(root: str, key: dict) -> tuple[dict, Positions] | None:
    """The checked data and positions stored for ``key``, or None (a miss)."""
    try:
        with open(_entry_file(root, key), "rb") as f:
            header, _, body = f.read().partition(b"\n")
        head = json.loads(header)
        if head["key"] != key or head["body"] != binascii.crc32(body):
            return None
        doc = json.loads(body)
        positions = Positions({tuple(path): (line, col) for path, line, col in doc["values"]},
                              {tuple(path): (line, col) for path, line, col in doc["keys"]})
        return doc["data"], positions
    except (OSError, ValueError, KeyError, TypeError, AttributeError):  # json's errors are ValueErrors
        return None


def store(root: str, key: dict, data: dict, positions: Positions) -> None:
    """Keep a checked file's data and positions for ``key``; a cache that cannot be written
    is left as it is (the file is read and checked again next time)."""
    try:
        body = json.dumps({"data": data, "values": _pairs(positions.values), "keys": _pairs(positions.keys)},
                          allow_nan=False, separators=(",", ":")).encode("ascii")
    except (TypeError, ValueError):  # not plain JSON data: such a file is simply read every time
        return
    header = json.dumps({"key": key, "body": binascii.crc32(body)}, separators=(",", ":")).encode("ascii")
    try:
        make_folder(root)
        path = _entry_file(root, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        _write(path, header + b"\n" + body)
    except OSError:
        pass  # a read-only checkout: every run reads the file, as without a cache
