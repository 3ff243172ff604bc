"""Each mutation operator of harness mutate on a small function: pure syntax trees, no processes."""

from __future__ import annotations

import ast
import threading

from harness.mutate.ast_mutants import bound_parameters, find_function, function_mutants

SOURCE = '''\
import threading

def locked(arr, lock, loops):
    total = 0
    for _ in range(loops):
        with arr.get_lock():
            arr[0] += 1
        with lock:
            arr[1] += 1
        with open("/dev/null") as f, arr.get_lock():
            total += len(f.name)
    return total

def paired(arr, lock):
    lock.acquire()
    try:
        arr[0] += 1
    finally:
        lock.release()
    arr.get_lock().acquire()
    arr[1] += 1
    arr.get_lock().release()

def reader(arr, other):
    whole = arr[:]
    part = arr[1:3]
    stepped = arr[::2]
    mine = other[:]
    return whole, part, stepped, mine

def nested(arr):
    def work():
        with arr.get_lock():
            arr[0] += 1
    work()
'''


def mutants(name, locks=("lock",), arrays=("arr",)):
    return function_mutants(SOURCE, name, locks, arrays)


def compiled(source: str, name: str):
    namespace: dict = {}
    exec(compile(source, "<test>", "exec"), {"threading": threading}, namespace)
    return namespace[name]


def test_with_get_lock_and_with_the_dollar_lock_are_removed_keeping_their_body():
    found = mutants("locked")
    assert [(m.operator, m.line) for m in found] == [("with", 6), ("with", 8), ("with", 10)]
    first = found[0].mutated
    assert "arr.get_lock()" not in first.split("with lock")[0] and "arr[0] += 1" in first
    assert "with lock:" not in found[1].mutated and "arr[1] += 1" in found[1].mutated
    # a with that holds the lock beside something else keeps the something else
    assert "with open('/dev/null') as f:" in found[2].mutated and found[2].mutated.count("get_lock") == 1
    for m in found:
        assert m.original == ast.unparse(find_function(ast.parse(SOURCE), "locked"))
        compiled(m.mutated, "locked")  # still a function


def test_a_with_on_something_that_is_not_a_lock_is_left_alone():
    assert [m.line for m in mutants("locked", locks=())] == [6, 10]  # `with lock` only when lock is $lock


def test_each_acquire_release_pair_is_removed_and_an_emptied_finally_gets_pass():
    found = mutants("paired")
    assert [(m.operator, m.line) for m in found] == [("acquire", 15), ("acquire", 20)]
    assert "acquire" not in found[0].mutated.split("arr.get_lock()")[0]
    assert "finally:\n        pass" in found[0].mutated
    assert "arr.get_lock().acquire()" not in found[1].mutated and "lock.acquire()" in found[1].mutated
    assert "the lock.release() on line 19 removed" in found[0].what


def test_a_slice_read_of_the_array_becomes_element_wise_reads_with_the_same_values():
    found = mutants("reader")
    assert [(m.operator, m.line) for m in found] == [("slice", 25), ("slice", 26)]  # not stepped, not `other`
    original = compiled(found[0].original, "reader")
    data = list(range(10, 16))
    for m in found:
        assert compiled(m.mutated, "reader")(data, [1, 2]) == original(data, [1, 2])
    assert "for _harness_i in range(*slice(1, 3).indices(len(arr)))" in found[1].mutated


def test_functions_nested_in_the_target_are_mutated_too():
    (m,) = mutants("nested")
    assert m.operator == "with" and "get_lock" not in m.mutated


def test_no_top_level_function_or_no_parse_is_none():
    assert function_mutants(SOURCE, "work") is None  # nested, not top-level
    assert function_mutants("def broken(:\n", "broken") is None
    assert function_mutants(SOURCE, "missing") is None


def test_the_parameters_that_receive_a_placeholder_by_position_or_keyword():
    func = find_function(ast.parse(SOURCE), "locked")
    assert bound_parameters(func, ("$array", "$lock", 3), (), ("$lock",)) == {"lock"}
    assert bound_parameters(func, ("$array",), (("lock", "$rlock"),), ("$lock", "$rlock")) == {"lock"}
    assert bound_parameters(func, ("$array", 1, 2, "$lock"), (), ("$lock",)) == set()  # past its parameters
