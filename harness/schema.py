"""The JSON Schema of the scenario format: the single source of truth for its structure.

Promise: :func:`scenario_schema` accepts every structurally valid scenario file and rejects
unknown keys, wrong types and out-of-range values, including keys that belong to another
``op``. The loader validates with it; ``harness schema`` prints it for editors. Checks that
need the whole file (ranges inside the array, values fitting the typecode) live in
``harness.load``.
"""

from __future__ import annotations

import json

from .cvalues import TYPECODES

LOCK_SCOPES = ("none", "element", "pass", "worker")
ANOMALIES = ("none", "lost_update", "torn_read", "any")
START_METHODS = ("fork", "spawn", "forkserver")
INJECT_POLICIES = ("random", "none", "controlled", "mixed")
# what each policy does, as `harness run --inject` and pytest's --harness-inject both say it
INJECT_HELP = ("random: seeded timing injection; controlled: the harness decides which worker runs between two "
               "accesses (exact replay, traces); mixed (default): a free trial, then controlled trials aimed at the "
               "predicted races, then timing injection with one controlled trial in four; none: run free")
STRATEGIES = ("directed", "exhaustive", "random", "pct")  # the controlled scheduler's searches
MAX_DEPTH = 16


def op_names() -> tuple[str, ...]:
    from .ops import OPS

    return tuple(OPS)


def op_keys() -> dict[str, tuple[str, ...]]:
    """Keys that only some operations take (and which); every other worker key is common."""
    from .ops import op_keys

    return op_keys()


def _op_key_schemas() -> dict[str, dict]:
    from .ops import key_schemas

    return key_schemas()


def op_requires() -> dict[str, tuple[str, ...]]:
    from .ops import op_requires

    return op_requires()


MAX_SIZE = 10_000_000
MAX_PROCESSES = 256
MAX_LOOPS = 10_000_000
MAX_TRIALS = 100_000_000
MAX_SEED = 2**63 - 1
MAX_TIMEOUT_S = 86_400
MAX_DELAY_US = 1_000_000
MAX_THINK_US = 10_000_000
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
SCHEMA_ID = "https://github.com/array-race-harness/scenario.schema.json"
_GROUP = r"[A-Za-z0-9][A-Za-z0-9_.-]*"
# a mutant's id (harness mutate), as expect.survives names it
MUTANT_ID_PATTERN = (rf"^(lock:{_GROUP}:(none|element|pass)|range:{_GROUP}:(start-1|stop\+1)|array-lock:false"
                     rf"|(with|acquire|slice):{_GROUP}:[0-9]+)$")
MUTANT_ID_HINT = ("a mutant id as harness mutate prints it: lock:GROUP:SCOPE, range:GROUP:start-1, "
                  "range:GROUP:stop+1, array-lock:false, with:GROUP:LINE, acquire:GROUP:LINE, slice:GROUP:LINE")


def _int(lo: int, hi: int, description: str) -> dict:
    return {"type": "integer", "minimum": lo, "maximum": hi, "description": description}


def _enum(values: tuple[str, ...], description: str) -> dict:
    return {"type": "string", "enum": list(values), "description": description}


NUMBER = {"type": "number"}


def _worker_schema() -> dict:
    properties = {
        "name": {"type": "string", "pattern": NAME_PATTERN, "maxLength": 100,
                 "description": "Group name, unique in the file."},
        "count": _int(1, MAX_PROCESSES, "Processes in this group (default 1)."),
        "range": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": MAX_SIZE},
                  "minItems": 2, "maxItems": 2,
                  "description": "Half-open index range [start, stop); default: the whole array."},
        "partition": {"type": "boolean",
                      "description": "Split the range into `count` contiguous chunks, one per process."},
        "loops": _int(1, MAX_LOOPS, "Passes over the range in one trial (default 1)."),
        "op": _enum(op_names(), "What one element step does."),
        "lock": _enum(LOCK_SCOPES, "Explicit get_lock() scope (default none)."),
        "think_us": _int(0, MAX_THINK_US, "Sleep after each pass, in microseconds (default 0)."),
        **_op_key_schemas(),
    }
    rules = []
    keys, requires = op_keys(), op_requires()
    for op in op_names():
        forbidden = {key: False for key, ops in keys.items() if op not in ops}
        then: dict = {"properties": forbidden}
        if op in requires:
            then["required"] = list(requires[op])
        rules.append({"if": {"properties": {"op": {"const": op}}, "required": ["op"]}, "then": then})
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "op"],
        "properties": properties,
        "allOf": rules,
    }


def _array_schema() -> dict:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["typecode"],
        "oneOf": [{"required": ["size"]}, {"required": ["init"]}],
        "properties": {
            "typecode": _enum(TYPECODES, "The C type of every element."),
            "size": _int(1, MAX_SIZE, "Number of elements, all starting at 0."),
            "init": {"type": "array", "items": NUMBER, "minItems": 1, "maxItems": MAX_SIZE,
                     "description": "Initial values."},
            "lock": {"type": "boolean", "description": "true: Array(lock=True) with its RLock; false: a raw array."},
        },
    }


def _expect_schema() -> dict:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "anomaly": _enum(ANOMALIES, "What the run must show (default none)."),
            "final": {"type": "array", "items": {"type": ["number", "null"]},
                      "description": "The expected final array; null leaves an index unchecked."},
            "survives": {"type": "array", "uniqueItems": True,
                         "items": {"type": "string", "pattern": MUTANT_ID_PATTERN, "x-hint": MUTANT_ID_HINT},
                         "description": "Mutants (harness mutate) expected to survive: a lock this "
                                        "scenario shows to be unneeded, by the id harness mutate prints."},
        },
    }


def _run_schema() -> dict:
    timing = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "inject": _enum(INJECT_POLICIES, "Timing injection policy (default mixed)."),
            "probability": {"type": "number", "minimum": 0, "maximum": 1},
            "max_delay_us": _int(0, MAX_DELAY_US, "Upper bound of one delay."),
        },
    }
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "trials": _int(1, MAX_TRIALS, "Trials per start method (default 200)."),
            "seed": _int(0, MAX_SEED, "Run seed (default: random, printed)."),
            "timeout_s": {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_TIMEOUT_S,
                          "description": "One trial longer than this is a hang (default 10)."},
            "start_methods": {"type": "array", "items": _enum(START_METHODS, "A start method."),
                              "minItems": 1, "uniqueItems": True},
            "stop_on_detection": {"type": "boolean"},
            "inject": _enum(INJECT_POLICIES, "random: seeded timing injection; controlled: the "
                            "harness decides which worker runs between two points; mixed (default): a free trial, then controlled trials aimed "
                            "at the predicted races, then timing injection with one controlled trial in four; "
                            "none: run free."),
            "strategy": _enum(STRATEGIES, "Under inject: controlled or mixed, the search: directed (default), a random trial then the races "
                              "predicted from its trace, each aimed at; exhaustive, every interleaving up to reordering "
                              "of independent steps (dynamic partial-order reduction), as far as the trials go; random, "
                              "a random choice at every point; pct, random priorities with depth - 1 change points."),
            "depth": _int(1, MAX_DEPTH, "PCT's bug depth: depth - 1 priority change points per trial (default 3)."),
            "timing": timing,
        },
    }


def scenario_schema() -> dict:
    """The JSON Schema (draft 2020-12) of one scenario file."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "array-race-harness scenario",
        "description": "One scenario: a shared multiprocessing.Array, groups of worker processes, "
                       "and the expected outcome.",
        "type": "object",
        "additionalProperties": False,
        "required": ["array", "workers"],
        "properties": {
            "name": {"type": "string", "pattern": NAME_PATTERN, "maxLength": 200,
                     "description": "Default: the file's stem."},
            "description": {"type": "string"},
            "array": _array_schema(),
            "workers": {"type": "array", "minItems": 1, "maxItems": MAX_PROCESSES, "items": _worker_schema()},
            "expect": _expect_schema(),
            "run": _run_schema(),
        },
    }


def schema_json() -> str:
    return json.dumps(scenario_schema(), indent=2) + "\n"
