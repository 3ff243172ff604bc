"""The user's code in a stack: the first frame that is not the harness's.

Promise: :func:`user_where` gives ``file:line`` of the first frame, from the one given
outwards, outside the harness package (relative to the current directory when it is below
it); :func:`user_traceback` formats an exception's traceback from the first such frame: the
user's code is the story, the harness's frames above it are noise. Worker side: tiny imports.
"""

from __future__ import annotations

import os

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


def user_traceback(exc: BaseException) -> str:
    """The traceback from the first frame outside the harness."""
    import traceback  # only when user code raised: with linecache and tokenize, 2 to 5 ms of every start

    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None and _ours(tb.tb_frame.f_code):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))
