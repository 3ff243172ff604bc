"""Replay tokens: a controlled trial's schedule as one short string, and back.

Promise: :func:`encode` turns the switches of a trial (each change of the running actor: the
step it ran first, and the actor) into ``s1.<base64url>``; :func:`decode` gives them back, or
raises ValueError with a one-line reason. The token also carries a fingerprint of the
scenario's shape (its processes and array), so a token pasted for another scenario is refused
instead of replaying something else, and the run seed and trial number, which name what the
user's own code draws from ``random`` in that trial. Steps are stored as deltas, actors and deltas as
varints, so a trial of thousands of steps with a few switches is a few dozen characters.
"""

from __future__ import annotations

import base64
import zlib

PREFIX = "s1."


def fingerprint(nprocs: int, typecode: str, size: int, groups: tuple) -> int:
    """What a schedule depends on: the processes (their groups and operations) and the array."""
    text = f"{nprocs}|{typecode}|{size}|" + "|".join(map(str, groups))
    return zlib.crc32(text.encode()) & 0xFFFF


def _varint(n: int, out: bytearray) -> None:
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return


def _read_varints(data: bytes) -> list[int]:
    values, n, shift = [], 0, 0
    for byte in data:
        n |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            values.append(n)
            n, shift = 0, 0
        elif shift > 63:
            raise ValueError("a number in it is too long")
    if shift:
        raise ValueError("it ends in the middle of a number")
    return values


class Replay(tuple):
    """A decoded token: the switches to follow, or the strategy that made the schedule (its
    ID, depth and expected steps, from which the same seed and trial make it again)."""

    __slots__ = ()

    switches = property(lambda self: self[0])
    shape = property(lambda self: self[1])
    seed = property(lambda self: self[2])
    trial = property(lambda self: self[3])
    strategy = property(lambda self: self[4])  # a strategy's ID, or -1: follow the switches
    depth = property(lambda self: self[5])
    estimate = property(lambda self: self[6])
    aim = property(lambda self: self[7])  # a directed strategy's target, or None


def encode(switches, shape: int, seed: int = 0, trial: int = 1) -> str:
    """The token of a schedule given as its switches."""
    values = [shape, seed, trial, 0]
    previous = 0
    for step, actor in switches:
        values += [step - previous, actor]
        previous = step
    return _text(values)


def encode_made(strategy: int, depth: int, estimate: int, aim, shape: int, seed: int, trial: int) -> str:
    """The token of a schedule that a strategy made from (seed, trial) (and the directed
    strategy's target, ``aim``): a few numbers, however many switches it made."""
    values = [shape, seed, trial, strategy + 1, depth, estimate]
    if aim is not None:
        (kind1, loc1), (kind2, loc2), order, pause, index = aim
        values += [kind1, loc1, kind2, loc2, order, pause, index + 1]
    return _text(values)


def _text(values: list[int]) -> str:
    out = bytearray()
    for n in values:
        _varint(n, out)
    return PREFIX + base64.urlsafe_b64encode(bytes(out)).decode().rstrip("=")


def decode(token: str) -> Replay:
    """The schedule a token names, or ValueError saying why it names none."""
    if not token.startswith(PREFIX):
        raise ValueError(f"a replay token starts with {PREFIX!r}")
    body = token[len(PREFIX):]
    try:
        data = base64.b64decode(body + "=" * (-len(body) % 4), altchars=b"-_", validate=True)
    except (ValueError, TypeError):  # binascii.Error is a ValueError
        raise ValueError("it is not base64url text") from None
    values = _read_varints(data)
    if len(values) < 4:
        raise ValueError("it does not hold a schedule")
    (shape, seed, trial, kind), rest = values[:4], values[4:]
    if kind:
        if len(rest) not in (2, 9):
            raise ValueError("it does not hold a schedule")
        aim = ((rest[2], rest[3]), (rest[4], rest[5]), rest[6], rest[7], rest[8] - 1) if len(rest) == 9 else None
        return Replay(((), shape, seed, trial, kind - 1, rest[0], rest[1], aim))
    if len(rest) % 2:
        raise ValueError("it does not hold a schedule")
    switches, step = [], 0
    for k in range(0, len(rest), 2):
        step += rest[k]
        if k and rest[k] == 0:
            raise ValueError("two switches at one step")
        switches.append((step, rest[k + 1]))
    return Replay((tuple(switches), shape, seed, trial, -1, 0, 0, None))
