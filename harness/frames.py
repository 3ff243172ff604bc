"""The user's code in a stack: the first frame that is not the harness's.

Promise: :func:`user_where` gives ``file:line`` of the first frame, from the one given
outwards, outside the harness package (relative to the current directory when it is below
it); :func:`user_location` packs the same place into one integer (a hash of the file's name
and the line) for the controlled scheduler's trace, and :func:`file_id` is that hash, so the
parent can find the file again; :func:`user_traceback` formats an exception's traceback from the first such frame: the
user's code is the story, the harness's frames above it are noise. Worker side: tiny imports.
"""

from __future__ import annotations

import os
from zlib import crc32

HARNESS_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _ours(code) -> bool:
    return code.co_filename.startswith(HARNESS_DIR)


def user_where(frame) -> str:
    """``file:line`` of the first frame, from ``frame`` outwards, that is not harness code."""
    while frame is not None and _ours(frame.f_code):
        frame = frame.f_back
    if frame is None:
        return ""
    name = frame.f_code.co_filename
    try:
        rel = os.path.relpath(name)
        if not rel.startswith(".." + os.sep):
            name = rel
    except ValueError:  # another drive (Windows)
        pass
    return f"{name}:{frame.f_lineno}"


LINE_BITS = 24
_FILE_IDS: dict = {}  # code object -> its file's id, shifted


def file_id(filename: str) -> int:
    """A 24-bit id of a source file, stable across processes and runs."""
    return crc32(filename.encode("utf-8", "surrogateescape")) & 0xFFFFFF or 1


def user_location(frame) -> int:
    """The first user frame's place, from ``frame`` outwards, as ``file_id << 24 | line``
    (0: no user frame)."""
    while frame is not None and _ours(frame.f_code):
        frame = frame.f_back
    if frame is None:
        return 0
    code = frame.f_code
    shifted = _FILE_IDS.get(code)
    if shifted is None:
        shifted = _FILE_IDS[code] = file_id(code.co_filename) << LINE_BITS
    return shifted | min(frame.f_lineno or 0, (1 << LINE_BITS) - 1)


def user_traceback(exc: BaseException) -> str:
    """The traceback from the first frame outside the harness."""
    import traceback  # only when user code raised: with linecache and tokenize, 2 to 5 ms of every start

    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None and _ours(tb.tb_frame.f_code):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))
