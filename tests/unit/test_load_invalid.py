"""Invalid scenario texts: every one is a ScenarioError at an exact line and column.

One table-driven test; each case is a whole file (so its line numbers can be read off),
the expected ``(line, column)`` of the first problem and a substring of its message.
"""

from __future__ import annotations

import pytest

from harness.cli import main
from harness.errors import Problem, ScenarioError
from harness.load import load_text

# The smallest valid file; most cases below add or change one line of it.
#   1 array:
#   2   typecode: i
#   3   size: 4
#   4 workers:
#   5   - name: a
#   6     op: add
BASE = "array:\n  typecode: i\n  size: 4\nworkers:\n  - name: a\n    op: add\n"


def doc(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def with_worker(*extra: str) -> str:
    """BASE plus keys of workers[0], from line 7 on."""
    return BASE + "".join(f"    {e}\n" for e in extra)


def base_with(old: str, new: str) -> str:
    assert old in BASE
    return BASE.replace(old, new)


CASES = [
    # -- not a scenario mapping at all ----------------------------------------------------
    pytest.param("", 1, 1, "empty file", id="empty-file"),
    pytest.param("   \n\n", 1, 1, "empty file", id="blank-file"),
    pytest.param("# just a comment\n# and another\n", 1, 1, "empty file", id="comment-only"),
    pytest.param("array: [1, 2\nworkers: x\n", 2, 8, "YAML syntax error", id="yaml-syntax-error"),
    pytest.param("array:\n\ttypecode: i\n", 2, 1, "YAML syntax error", id="yaml-tab-indent"),
    pytest.param("- array\n- workers\n", 1, 1, "found a list of 2 items, expected a mapping",
                 id="list-instead-of-mapping"),
    pytest.param("hello\n", 1, 1, "found the string 'hello', expected a mapping", id="scalar-document"),
    pytest.param("42\n", 1, 1, "found the number 42, expected a mapping", id="number-document"),
    pytest.param(BASE + "array:\n  typecode: b\n", 7, 1, "duplicate key 'array' (first defined at line 1)",
                 id="duplicate-top-key"),
    pytest.param(with_worker("op: set"), 7, 5, "workers[0].op: duplicate key 'op' (first defined at line 6)",
                 id="duplicate-worker-key"),
    pytest.param("array: !!python/object/apply:os.system ['echo pwned']\nworkers: []\n", 1, 8,
                 "unsupported YAML tag 'tag:yaml.org,2002:python/object/apply:os.system'", id="unsafe-tag"),
    pytest.param(base_with("size: 4", "size: !mytag 4"), 3, 9, "array.size: unsupported YAML tag '!mytag'",
                 id="custom-tag"),
    pytest.param("array: !!set {a, b}\n", 1, 8, "unsupported YAML tag 'tag:yaml.org,2002:set'", id="set-tag"),
    pytest.param(BASE + "? [1, 2]\n: x\n", 7, 3, "keys must be plain strings, found a sequence",
                 id="non-string-key"),
    pytest.param("a: !!bool maybe\n", 1, 4, "cannot read value 'maybe'", id="bad-explicit-bool"),
    pytest.param("a: !!int ''\n", 1, 4, "cannot read value ''", id="bad-explicit-int"),
    pytest.param("a: {<<: 5}\n", 1, 4, "expected a mapping or list of mappings for merging", id="bad-merge-key"),
    pytest.param("array:\n  typecode: \x00\n", 2, 13, "character U+0000 is not allowed", id="nul-character"),
    # -- unknown keys at every level, with did-you-mean -----------------------------------
    pytest.param(BASE + "workerz: 1\n", 7, 1, "unknown key 'workerz' (did you mean 'workers'?); allowed: array,",
                 id="unknown-top-key"),
    pytest.param(BASE + "1: x\n", 7, 1, "unknown key '1'", id="integer-top-key"),
    pytest.param(base_with("size: 4", "size: 4\n  locks: true"), 4, 3,
                 "array.locks: unknown key 'locks' (did you mean 'lock'?); allowed: init, lock, size, typecode",
                 id="unknown-array-key"),
    pytest.param(with_worker("valu: 2"), 7, 5, "workers[0].valu: unknown key 'valu' (did you mean 'value'?)",
                 id="unknown-worker-key"),
    pytest.param(BASE + "expect:\n  anomally: none\n", 8, 3,
                 "expect.anomally: unknown key 'anomally' (did you mean 'anomaly'?); allowed: anomaly, final",
                 id="unknown-expect-key"),
    pytest.param(BASE + "run:\n  trails: 3\n", 8, 3, "run.trails: unknown key 'trails' (did you mean 'trials'?)",
                 id="unknown-run-key"),
    pytest.param(BASE + "run:\n  timing:\n    injekt: none\n", 9, 5,
                 "run.timing.injekt: unknown key 'injekt' (did you mean 'inject'?)", id="unknown-timing-key"),
    pytest.param(BASE + "zzz: 1\n", 7, 1, "unknown key 'zzz'; allowed:", id="unknown-key-no-suggestion"),
    pytest.param(BASE + '"x\\ny": 1\n', 7, 1, "['x\\ny']: unknown key 'x\\ny'", id="unknown-key-with-newline"),
    # -- missing required keys -------------------------------------------------------------
    pytest.param(doc("workers:", "  - name: a", "    op: add"), 1, 1, "(document): missing required key 'array'",
                 id="missing-array"),
    pytest.param(doc("array:", "  typecode: i", "  size: 4"), 1, 1, "(document): missing required key 'workers'",
                 id="missing-workers"),
    pytest.param(doc("array:", "  size: 4", "workers:", "  - name: a", "    op: add"), 1, 1,
                 "array: missing required key 'typecode'", id="missing-typecode"),
    pytest.param(doc("array:", "  typecode: i", "  size: 4", "workers:", "  - op: add"), 5, 5,
                 "workers[0]: missing required key 'name'", id="missing-worker-name"),
    pytest.param(doc("array:", "  typecode: i", "  size: 4", "workers:", "  - name: a"), 5, 5,
                 "workers[0]: missing required key 'op'", id="missing-worker-op"),
    pytest.param(doc("array:", "  typecode: i", "  size: 4", "workers: []"), 4, 10,
                 "workers: found 0 items, allowed: 1 to 256 items", id="no-workers"),
    # -- wrong types -----------------------------------------------------------------------
    pytest.param(base_with("size: 4", "size: four"), 3, 9, "array.size: found the string 'four', expected an integer",
                 id="size-is-string"),
    pytest.param(base_with("size: 4", "size: 2.5"), 3, 9, "array.size: found the number 2.5, expected an integer",
                 id="size-is-fraction"),
    pytest.param(doc("array:", "  typecode: i", "  size: 4", "workers:", "  name: a"), 5, 3,
                 "workers: found a mapping, expected a list", id="workers-is-mapping"),
    pytest.param(doc("array: 5", "workers: [{name: a, op: add}]"), 1, 8, "array: found the number 5, expected a mapping",
                 id="array-is-number"),
    pytest.param(doc("array:", "workers: [{name: a, op: add}]"), 1, 7, "array: found null, expected a mapping",
                 id="array-is-null"),
    pytest.param(doc("array: {typecode: [i], size: 2}", "workers: [{name: a, op: add}]"), 1, 19,
                 "array.typecode: found a list of 1 items, expected a string", id="typecode-is-list"),
    pytest.param(with_worker("loops: true"), 7, 12, "workers[0].loops: found the boolean true, expected an integer",
                 id="loops-is-bool"),
    pytest.param(with_worker("value: ten"), 7, 12, "workers[0].value: found the string 'ten', expected a number",
                 id="value-is-string"),
    pytest.param(base_with("size: 4", "size: 4\n  lock: yes please"), 4, 9,
                 "array.lock: found the string 'yes please', expected true or false", id="array-lock-is-string"),
    pytest.param(BASE + "expect: 5\n", 7, 9, "expect: found the number 5, expected a mapping", id="expect-is-number"),
    pytest.param(BASE + "name: 1e3\n", 7, 7, "name: found the number 1000.0, expected a string; put it in quotes "
                 "to make it text", id="name-read-as-a-number"),
    pytest.param(BASE + "description: yes\n", 7, 14, "description: found the boolean true, expected a string; put it "
                 "in quotes to make it text", id="description-read-as-a-boolean"),
    pytest.param(BASE + "name: two words\n", 7, 7, "name: found the string 'two words', allowed: letters, digits",
                 id="name-pattern"),
    pytest.param(base_with("op: add", "op: call\n    call: os.system"), 7, 11,
                 "workers[0].call: found the string 'os.system', allowed: package.module:function",
                 id="call-pattern"),
    # -- enum typos --------------------------------------------------------------------------
    pytest.param(base_with("op: add", "op: ad"), 6, 9,
                 "workers[0].op: found the string 'ad', allowed: add, set, stamp, transfer, snapshot, call",
                 id="op-typo"),
    pytest.param(with_worker("lock: elemnt"), 7, 11,
                 "workers[0].lock: found the string 'elemnt', allowed: none, element, pass, worker", id="lock-typo"),
    pytest.param(base_with("typecode: i", "typecode: x"), 2, 13,
                 "array.typecode: found the string 'x', allowed: b, B, h, H, i, I, l, L, q, Q, f, d",
                 id="typecode-x"),
    pytest.param(BASE + "expect:\n  anomaly: lost\n", 8, 12,
                 "expect.anomaly: found the string 'lost', allowed: none, lost_update, torn_read, any",
                 id="anomaly-typo"),
    pytest.param(BASE + "run:\n  start_methods: [fork, spwan]\n", 8, 25,
                 "run.start_methods[1]: found the string 'spwan', allowed: fork, spawn, forkserver",
                 id="start-method-typo"),
    pytest.param(BASE + "run:\n  start_methods: [fork, fork]\n", 8, 18,
                 "run.start_methods: found duplicates", id="start-method-twice"),
    pytest.param(base_with("op: add", "op: snapshot\n    check: uniq"), 7, 12,
                 "workers[0].check: found the string 'uniq', allowed: uniform, sum, monotonic", id="check-typo"),
    pytest.param(BASE + "run:\n  timing:\n    inject: always\n", 9, 13,
                 "run.timing.inject: found the string 'always', allowed: random, none", id="inject-typo"),
    # -- numbers out of range ---------------------------------------------------------------
    pytest.param(base_with("size: 4", "size: " + str(10**30)), 3, 9,
                 "array.size: found the number 100000000000...(31 digits), allowed: from 1 to 10000000",
                 id="size-huge"),
    pytest.param(BASE + "run:\n  trials: " + str(10**40) + "\n", 8, 11,
                 "run.trials: found the number 100000000000...(41 digits), allowed: from 1 to 100000000",
                 id="trials-huge"),
    pytest.param(base_with("size: 4", "size: -3"), 3, 9, "array.size: found the number -3, allowed: from 1 to",
                 id="size-negative"),
    pytest.param(base_with("size: 4", "size: 0"), 3, 9, "array.size: found the number 0, allowed: from 1 to",
                 id="size-zero"),
    pytest.param(with_worker("count: 0"), 7, 12, "workers[0].count: found the number 0, allowed: from 1 to 256",
                 id="count-zero"),
    pytest.param(BASE + "run:\n  timeout_s: 0\n", 8, 14, "run.timeout_s: found the number 0, allowed: > 0 and <= 86400",
                 id="timeout-zero"),
    pytest.param(BASE + "run:\n  timing:\n    probability: 1.5\n", 9, 18,
                 "run.timing.probability: found the number 1.5, allowed: from 0 to 1", id="probability-above-1"),
    pytest.param(with_worker("count: 200") + "  - name: b\n    op: add\n    count: 100\n", 4, 1,
                 "workers: found 300 processes in all, allowed: at most 256", id="too-many-processes"),
    pytest.param(doc("array:", "  typecode: d", "  init: [1" + "0" * 400 + "]", "workers: [{name: a, op: add}]"),
                 3, 10, "array.init[0]: found the number 100000000000...(401 digits), allowed: a finite number",
                 id="double-init-beyond-float"),
    pytest.param(doc("array: {typecode: i, size: 3}", "workers: [{name: a, op: add, value: " + "9" * 5000 + "}]"),
                 2, 37, "workers[0].value: cannot read value '999999999999...(5000 characters)': far too many "
                 "digits for any value a scenario can hold", id="value-beyond-pythons-digit-limit"),
    # -- size / init ---------------------------------------------------------------------------
    pytest.param(base_with("size: 4", "size: 4\n  init: [1, 2]"), 1, 1,
                 "array: found both 'size' and 'init', allowed: exactly one of them", id="both-size-and-init"),
    pytest.param(base_with("  size: 4\n", ""), 1, 1, "array: missing 'size' or 'init': give exactly one of them",
                 id="neither-size-nor-init"),
    pytest.param(base_with("size: 4", "init: []"), 3, 9, "array.init: found 0 items, allowed: 1 to",
                 id="init-empty"),
    # -- ranges and partitions ------------------------------------------------------------------
    pytest.param(with_worker("range: [2, 9]"), 7, 12,
                 "workers[0].range: found [2, 9], allowed: [start, stop) with 0 <= start < stop <= 4 (the array's size)",
                 id="range-out-of-array"),
    pytest.param(with_worker("range: [3, 3]"), 7, 12, "workers[0].range: found [3, 3], allowed: [start, stop)",
                 id="range-empty"),
    pytest.param(with_worker("range: [3, 1]"), 7, 12, "workers[0].range: found [3, 1]", id="range-start-after-stop"),
    pytest.param(with_worker("range: [0, 1, 2]"), 7, 12, "workers[0].range: found 3 items, allowed: exactly 2 items",
                 id="range-three-items"),
    pytest.param(with_worker("range: [-1, 2]"), 7, 13, "workers[0].range[0]: found the number -1, allowed: from 0 to",
                 id="range-negative"),
    pytest.param(with_worker("range: [0, " + str(10**40) + "]"), 7, 16,
                 "workers[0].range[1]: found the number 100000000000...(41 digits)", id="range-huge"),
    pytest.param(base_with("size: 4", "size: 4.0") + "    range: [0, 9]\n", 7, 12,
                 "workers[0].range: found [0, 9], allowed: [start, stop) with 0 <= start < stop <= 4",
                 id="range-out-of-whole-float-size"),
    pytest.param(with_worker("count: 5", "partition: true"), 8, 16,
                 "workers[0].partition: cannot split 4 indices [0, 4) among 5 processes; allowed: count <= 4",
                 id="partition-count-above-indices"),
    pytest.param(with_worker("range: [1, 3]", "count: 3", "partition: true"), 9, 16,
                 "cannot split 2 indices [1, 3) among 3 processes", id="partition-count-above-range"),
    # -- locks -------------------------------------------------------------------------------------
    pytest.param(base_with("size: 4", "size: 4\n  lock: false") + "    lock: element\n", 8, 11,
                 "workers[0].lock: found 'element', but array.lock is false: a lock: false array has no get_lock()",
                 id="lock-scope-on-unlocked-array"),
    # -- op-specific keys --------------------------------------------------------------------------
    pytest.param(base_with("op: add", "op: set"), 6, 9, "workers[0].op: op 'set' requires the key 'value'",
                 id="set-without-value"),
    pytest.param(base_with("op: add", "op: call"), 6, 9, "workers[0].op: op 'call' requires the key 'call'",
                 id="call-without-call"),
    pytest.param(with_worker("write: slice"), 7, 5,
                 "workers[0].write: key 'write' does not apply to op 'add'; it applies to op: set, stamp",
                 id="write-on-add"),
    pytest.param(with_worker("read: slice"), 7, 5,
                 "workers[0].read: key 'read' does not apply to op 'add'; it applies to op: snapshot", id="read-on-add"),
    pytest.param(with_worker("call: m:f"), 7, 5,
                 "workers[0].call: key 'call' does not apply to op 'add'; it applies to op: call", id="call-on-add"),
    pytest.param(base_with("op: add", "op: set\n    value: 2") + "    check: uniform\n", 8, 5,
                 "workers[0].check: key 'check' does not apply to op 'set'; it applies to op: snapshot, call",
                 id="check-on-set"),
    pytest.param(base_with("op: add", "op: snapshot\n    value: 2"), 7, 5,
                 "workers[0].value: key 'value' does not apply to op 'snapshot'", id="value-on-snapshot"),
    pytest.param(with_worker("time_scale: 0.5"), 7, 5,
                 "workers[0].time_scale: key 'time_scale' does not apply to op 'add'", id="time-scale-on-add"),
    # -- names -------------------------------------------------------------------------------------
    pytest.param(BASE + "  - name: a\n    op: add\n", 7, 11,
                 "workers[1].name: found 'a' again: worker names must be unique (first used by workers[0])",
                 id="duplicate-worker-names"),
    # -- expect.final ------------------------------------------------------------------------------
    pytest.param(BASE + "expect:\n  final: [1, 2]\n", 8, 10,
                 "expect.final: found 2 values, allowed: exactly 4 (the array's size)", id="final-wrong-length"),
    pytest.param(base_with("typecode: i", "typecode: B") + "expect:\n  final: [1, 2, 300, 4]\n", 8, 17,
                 "expect.final[2]: found the number 300, allowed: an integer from 0 to 255 (typecode 'B')",
                 id="final-does-not-fit-B"),
    pytest.param(BASE + "expect:\n  final: [1, 2.5, 3, 4]\n", 8, 14,
                 "expect.final[1]: found the number 2.5, allowed: an integer (typecode 'i' holds integers)",
                 id="final-float-for-i"),
    # -- call placeholders ---------------------------------------------------------------------------
    pytest.param(base_with("op: add", "op: call\n    call: m:f\n    args: [$array, $bogus]"), 8, 20,
                 "workers[0].args[1]: unknown placeholder '$bogus'; allowed: $array, $start, $stop, $index",
                 id="unknown-placeholder-args"),
    pytest.param(base_with("op: add", "op: call\n    call: m:f\n    kwargs: {a: [1, $nope]}"), 8, 21,
                 "workers[0].kwargs.a[1]: unknown placeholder '$nope'", id="unknown-placeholder-kwargs"),
    pytest.param(base_with("op: add", "op: call\n    call: m:f\n    args: [$value]"), 8, 12,
                 "workers[0].args[0]: placeholder '$value' used, but the worker has no 'value' key",
                 id="value-placeholder-without-value"),
    pytest.param(base_with("op: add", "op: call\n    call: m:f\n    count: 2\n    args_each: [[$array, $lockk], [1]]"),
                 9, 26, "workers[0].args_each[0][1]: unknown placeholder '$lockk'", id="unknown-placeholder-args-each"),
    pytest.param(base_with("op: add", "op: call\n    call: m:f\n    args: [1]\n    args_each: [[1]]"), 9, 5,
                 "workers[0].args_each: found both 'args' and 'args_each', allowed: one of them "
                 "(args_each gives each process its own args)", id="args-and-args-each"),
    pytest.param(base_with("op: add", "op: call\n    call: m:f\n    count: 3\n    args_each: [[1], [2]]"), 9, 16,
                 "workers[0].args_each: found 2 lists, allowed: exactly 3, one per process of the group (count: 3)",
                 id="args-each-count"),
    pytest.param(base_with("op: add", "op: call\n    call: m:f\n    kwargs_each: [{a: 1}, {a: 2}]"), 8, 18,
                 "workers[0].kwargs_each: found 2 mappings, allowed: exactly 1, one per process of the group (count: 1)",
                 id="kwargs-each-count"),
    pytest.param(base_with("op: add", "op: call\n    call: m:f\n    args_each: [$array]"), 8, 17,
                 "workers[0].args_each[0]: found the string '$array', expected a list", id="args-each-not-lists"),
    pytest.param(base_with("op: add", "op: call\n    call: m:f\n    check_on: returns"), 8, 15,
                 "workers[0].check_on: found 'returns', but the worker has no 'check': add check: uniform, sum or "
                 "monotonic (what each returned value must keep)", id="check-on-without-check"),
    pytest.param(base_with("op: add", "op: call\n    call: m:f\n    check: sum\n    check_on: writes"), 9, 15,
                 "workers[0].check_on: found the string 'writes', allowed: reads, returns", id="check-on-enum"),
    pytest.param(with_worker("args_each: [[1]]"), 7, 5,
                 "key 'args_each' does not apply to op 'add'; it applies to op: call", id="args-each-on-add"),
    # -- values that do not fit the typecode -------------------------------------------------------------
    pytest.param(doc("array:", "  typecode: B", "  init: [1, 256]", "workers: [{name: a, op: add}]"), 3, 13,
                 "array.init[1]: found the number 256, allowed: an integer from 0 to 255 (typecode 'B')",
                 id="init-out-of-range-B"),
    pytest.param(doc("array:", "  typecode: b", "  init: [-129]", "workers: [{name: a, op: add}]"), 3, 10,
                 "array.init[0]: found the number -129, allowed: an integer from -128 to 127 (typecode 'b')",
                 id="init-out-of-range-b"),
    pytest.param(doc("array:", "  typecode: i", "  init: [1, 2.5]", "workers: [{name: a, op: add}]"), 3, 13,
                 "array.init[1]: found the number 2.5, allowed: an integer (typecode 'i' holds integers)",
                 id="float-init-for-i"),
    pytest.param(base_with("op: add", "op: set\n    value: -1").replace("typecode: i", "typecode: H"), 7, 12,
                 "workers[0].value: found the number -1, allowed: an integer from 0 to 65535 (typecode 'H')",
                 id="set-value-out-of-range-H"),
    pytest.param(with_worker("value: 1.5"), 7, 12,
                 "workers[0].value: found the number 1.5, allowed: an integer (typecode 'i' holds integers)",
                 id="float-add-value-for-i"),
    pytest.param(base_with("op: add", "op: transfer") + "    value: 1.5\n", 7, 12,
                 "workers[0].value: found the number 1.5, allowed: an integer (typecode 'i' holds integers)",
                 id="float-transfer-value-for-i"),
    pytest.param(base_with("op: add", "op: transfer").replace("typecode: i", "typecode: b") + "    value: 256\n",
                 7, 12, "workers[0].value: found the number 256, allowed: an integer with magnitude below 2**8 "
                 "(typecode 'b')", id="transfer-value-too-big-for-b"),
    pytest.param(with_worker("value: " + str(2**32)), 7, 12,
                 "workers[0].value: found the number 4294967296, allowed: an integer with magnitude below 2**32",
                 id="add-value-too-big-for-i"),
    pytest.param(base_with("typecode: i", "typecode: f") + "    value: 1.0e+39\n", 7, 12,
                 "workers[0].value: found the number 1e+39, allowed: a finite number within single precision",
                 id="add-value-beyond-float32"),
    pytest.param(doc("array:", "  typecode: d", "  init: [.nan, 1]", "workers: [{name: a, op: add}]"), 3, 10,
                 "array.init[0]: found nan, allowed: a finite number", id="nan-init"),
    pytest.param(base_with("typecode: i", "typecode: d") + "    value: .inf\n", 7, 12,
                 "workers[0].value: found inf, allowed: a finite number", id="inf-value"),
    pytest.param(base_with("typecode: i", "typecode: d") + "expect:\n  final: [0, -.inf, 0, 0]\n", 8, 14,
                 "expect.final[1]: found -inf, allowed: a finite number", id="minus-inf-final"),
    # -- expectations that cannot be met -----------------------------------------------------------
    pytest.param(BASE + "expect:\n  anomaly: torn_read\n", 8, 12,
                 "expect.anomaly: found 'torn_read', but no worker checks what it reads", id="torn-read-without-reader"),
]


@pytest.mark.parametrize("text, line, column, message", CASES)
def test_invalid_scenario(text, line, column, message):
    with pytest.raises(ScenarioError) as info:
        load_text(text, "s.yaml")
    problems = info.value.problems
    assert problems, "a ScenarioError must carry at least one problem"
    first = problems[0]
    assert isinstance(first, Problem)
    assert first.path == "s.yaml"
    assert (first.line, first.column) == (line, column), problems
    assert message in first.message, problems
    for p in problems:  # every problem is one printable line
        assert "\n" not in str(p)
        assert str(p).startswith(f"s.yaml:{p.line}:{p.column}: ")
    assert str(info.value).splitlines() == [str(p) for p in problems]


@pytest.mark.parametrize("op, typecode, value, found", [
    ("set", "i", "x", "the string 'x'"), ("set", "f", "true", "the boolean true"),
    ("add", "i", "x", "the string 'x'"), ("transfer", "d", "false", "the boolean false"),
])
def test_a_value_that_is_no_number_is_one_problem_not_also_a_range_problem(op, typecode, value, found):
    with pytest.raises(ScenarioError) as info:
        load_text(f"array: {{typecode: {typecode}, size: 2}}\nworkers:\n  - {{name: a, op: {op}, value: {value}}}\n",
                  "s.yaml")
    assert [str(p) for p in info.value.problems] == [f"s.yaml:3:{28 + len(op)}: workers[0].value: found {found}, "
                                                     "expected a number"]


def test_multiple_problems_are_all_reported_in_file_order():
    text = doc(
        "array:",            # 1
        "  typecode: x",     # 2  bad enum
        "  size: 0",         # 3  below minimum
        "workers:",          # 4
        "  - name: a",       # 5
        "    op: ad",        # 6  bad enum
        "    bogus: 1",      # 7  unknown key
        "foo: 2",            # 8  unknown top key
    )
    with pytest.raises(ScenarioError) as info:
        load_text(text, "s.yaml")
    got = [(p.line, p.column, p.message) for p in info.value.problems]
    assert len(got) == 5, got
    expected = [
        (2, 13, "array.typecode: found the string 'x'"),
        (3, 9, "array.size: found the number 0"),
        (6, 9, "workers[0].op: found the string 'ad'"),
        (7, 5, "workers[0].bogus: unknown key 'bogus'"),
        (8, 1, "foo: unknown key 'foo'"),
    ]
    for (line, col, message), (want_line, want_col, want) in zip(got, expected):
        assert (line, col) == (want_line, want_col)
        assert message.startswith(want)


def test_semantic_problems_in_several_workers_all_reported():
    text = doc(
        "array:",                       # 1
        "  typecode: B",                # 2
        "  size: 3",                    # 3
        "workers:",                     # 4
        "  - name: w",                  # 5
        "    op: set",                  # 6
        "    value: 256",               # 7  does not fit B
        "  - name: w",                  # 8  duplicate name
        "    op: add",                  # 9
        "    range: [0, 4]",            # 10 out of the array
    )
    with pytest.raises(ScenarioError) as info:
        load_text(text, "s.yaml")
    got = [(p.line, p.column) for p in info.value.problems]
    assert got == [(7, 12), (8, 11), (10, 12)]
    assert "allowed: an integer from 0 to 255" in info.value.problems[0].message
    assert "worker names must be unique" in info.value.problems[1].message
    assert "0 <= start < stop <= 3" in info.value.problems[2].message


def test_multiple_documents_are_one_clean_error():
    text = BASE + "---\n" + BASE
    with pytest.raises(ScenarioError) as info:
        load_text(text, "s.yaml")
    (problem,) = info.value.problems
    assert (problem.line, problem.column) == (7, 1)
    assert "expected a single document" in problem.message


def test_alias_bomb_is_refused_quickly():
    text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    prev = "a"
    for name in "bcdefghij":  # 10**10 values once expanded
        text += f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]\n"
        prev = name
    with pytest.raises(ScenarioError) as info:
        load_text(text, "s.yaml")
    assert "aliases expand to too many values" in info.value.problems[0].message


def _nested(levels: int, padding: bool = False) -> str:
    """``a:`` (one mapping, the document) holding ``levels - 1`` lists inside each other on
    line 2; with padding, a file large enough for libyaml to read it when it is shallow."""
    pad = "# " + "x" * 70000 + "\n" if padding else ""
    return pad + "a: " + "[" * (levels - 1) + "]" * (levels - 1) + "\n"


@pytest.mark.parametrize("padding", [False, True], ids=["pure-python", "libyaml-sized"])
@pytest.mark.parametrize("brackets", [100, 5000, 40000])
def test_nesting_too_deep_is_one_error_where_the_level_past_the_limit_opens(padding, brackets):
    from harness.yamlpos import MAX_NESTING, TOO_DEEP

    assert MAX_NESTING == 100
    with pytest.raises(ScenarioError) as info:
        load_text(_nested(brackets + 1, padding), "s.yaml")
    line = 2 if padding else 1
    # the document's mapping is level 1: the 100th bracket, at column 3 + 100, opens level 101
    assert info.value.problems == [Problem("s.yaml", line, 103, TOO_DEEP)]


@pytest.mark.parametrize("padding", [False, True], ids=["pure-python", "libyaml-sized"])
def test_nesting_at_the_limit_is_read(padding):
    with pytest.raises(ScenarioError) as info:  # a valid YAML, just not a scenario
        load_text(_nested(100, padding), "s.yaml")
    assert not any("nesting" in p.message for p in info.value.problems)


def test_block_nesting_past_the_limit_is_found_where_it_opens():
    text = "".join("  " * i + f"k{i}:\n" for i in range(101)) + "  " * 101 + "v: 1\n"
    with pytest.raises(ScenarioError) as info:
        load_text(text, "s.yaml")
    # line 1's mapping is level 1; line 101's, the value of k99, level 101, at column 2 * 100 + 1
    assert [(p.line, p.column) for p in info.value.problems] == [(101, 201)]
    assert "nesting too deep" in info.value.problems[0].message


def test_aliases_that_nest_past_the_limit_are_too_deep_too():
    # each anchor holds the one before: a flat text, 101 lists deep once the aliases are followed
    text = "a0: &a0 [1]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 101))
    with pytest.raises(ScenarioError) as info:
        load_text(text, "s.yaml")
    assert "nesting too deep" in info.value.problems[0].message


def test_cli_validate_prints_one_line_per_problem(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text(doc("array:", "  typecode: x", "  size: 0", "workers:", "  - name: a", "    op: ad"))
    assert main(["validate", str(bad)]) == 2
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Traceback" not in out
    lines = err.splitlines()
    assert lines == [
        f"{bad}:2:13: array.typecode: found the string 'x', allowed: b, B, h, H, i, I, l, L, q, Q, f, d",
        f"{bad}:3:9: array.size: found the number 0, allowed: from 1 to 10000000",
        f"{bad}:6:9: workers[0].op: found the string 'ad', allowed: add, set, stamp, transfer, snapshot, call",
    ]


@pytest.mark.parametrize("content", [
    pytest.param(b"", id="empty"),
    pytest.param(b"- a\n", id="list"),
    pytest.param(b"array: [\n", id="syntax"),
    pytest.param(b"\xff\xfe\x00garbage", id="not-utf8"),
    pytest.param(b"array: !!python/object/apply:os.system ['true']\n", id="unsafe-tag"),
    pytest.param(b"size: " + str(10**30).encode() + b"\n", id="huge-number"),
])
def test_cli_validate_never_tracebacks(tmp_path, capsys, content):
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(content)
    assert main(["validate", str(bad)]) == 2
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert err.strip(), "a problem must be reported"
    for line in err.splitlines():
        assert line.startswith(f"{bad}:"), line


def test_cli_validate_reports_problems_of_every_file(tmp_path, capsys):
    (tmp_path / "a.yaml").write_text("")
    (tmp_path / "b.yaml").write_text("- x\n")
    (tmp_path / "ok.yaml").write_text(BASE)
    assert main(["validate", str(tmp_path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2
    assert err[0].startswith(f"{tmp_path / 'a.yaml'}:1:1: empty file")
    assert err[1].startswith(f"{tmp_path / 'b.yaml'}:1:1: (document): found a list")


@pytest.mark.parametrize("command", ["validate", "explain", "run"])
def test_a_symlink_loop_is_named_as_one_not_as_a_missing_file(tmp_path, capsys, command):
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    assert main([command, str(loop)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == f"{loop}:1:1: a symlink loop (too many levels of symbolic links)"


def test_a_symlink_loop_or_to_nothing_inside_a_folder_is_named_too(tmp_path, capsys):
    (tmp_path / "ok.yaml").write_text(BASE)
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    (tmp_path / "gone.yaml").symlink_to(tmp_path / "missing.yaml")
    assert main(["validate", str(tmp_path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{tmp_path / 'gone.yaml'}:1:1: a symlink to {tmp_path / 'missing.yaml'}, which does not exist",
        f"{tmp_path / 'loop.yaml'}:1:1: a symlink loop (too many levels of symbolic links)"]


def test_a_huge_file_is_said_in_bytes_with_the_limit_not_in_characters_read(tmp_path, capsys):
    huge = tmp_path / "huge.yaml"
    with open(huge, "wb") as f:
        f.truncate(50 * 2**20)  # 50 MiB, sparse: no disk used
    assert main(["validate", str(huge)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == (f"{huge}:1:1: file too large: 50.0 MiB (52428800 bytes), allowed: at most 1048576 "
                    "characters (about 1 MiB)")


@pytest.mark.parametrize("text, line, column, typo, meant", [
    pytest.param(BASE.replace("workers:", "wokers:"), 4, 1, "wokers", "workers", id="top-level"),
    pytest.param(BASE.replace("typecode:", "typcode:"), 2, 3, "array.typcode", "typecode", id="array"),
    pytest.param(BASE.replace("op: add", "opp: add"), 6, 5, "workers[0].opp", "op", id="worker"),
])
def test_a_misspelled_required_key_is_one_problem_at_its_own_line(text, line, column, typo, meant):
    with pytest.raises(ScenarioError) as info:
        load_text(text, "s.yaml")
    (problem,) = info.value.problems  # not also "missing required key" at the mapping
    assert (problem.line, problem.column) == (line, column)
    assert problem.message.startswith(f"{typo}: unknown key {typo.split('.')[-1]!r} (did you mean {meant!r}?)")


def test_a_required_key_still_missing_beside_an_unrelated_unknown_key_is_reported():
    text = "array: {typecode: i, size: 2}\nzzz: [{name: a, op: add}]\n"
    with pytest.raises(ScenarioError) as info:
        load_text(text, "s.yaml")
    assert [p.message.split(":")[0] for p in info.value.problems] == ["(document)", "zzz"]
    assert "missing required key 'workers'" in info.value.problems[0].message
