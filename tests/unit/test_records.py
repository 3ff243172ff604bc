"""harness.records against what dataclasses.dataclass makes of the same class: the records
stand in for dataclasses everywhere in the harness, so each behaviour is compared with the
real thing."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from harness.records import FrozenInstanceError, field, record, replace


def both(frozen=False, order=False):
    """The same class body made twice: (record, dataclass)."""

    def body():
        class Point:
            x: int
            y: int = 0
            tags: list = field(default_factory=list) if made is record else dataclasses.field(default_factory=list)

        return Point

    out = []
    for made in (record, dataclasses.dataclass):
        out.append(made(frozen=frozen, order=order)(body()))
    return out


@pytest.mark.parametrize("frozen", [False, True])
def test_init_repr_and_equality_are_a_dataclass_s(frozen):
    mine, theirs = both(frozen=frozen)
    a, b = mine(1, 2), theirs(1, 2)
    assert repr(a).replace(mine.__qualname__, "P") == repr(b).replace(theirs.__qualname__, "P")
    assert a == mine(1, 2) and a != mine(1, 3) and a != b  # another class is never equal
    assert mine(1).y == 0 and mine(1).tags == [] and mine(1).tags is not mine(1).tags
    assert mine(x=1, y=2, tags=[3]).tags == [3]
    assert mine.__match_args__ == theirs.__match_args__ == ("x", "y", "tags")
    assert not hasattr(mine, "tags") and not hasattr(theirs, "tags")  # a factory leaves no class attribute
    with pytest.raises(TypeError):
        mine()


def test_a_mutable_record_is_unhashable_and_assignable():
    mine, theirs = both()
    assert mine.__hash__ is None and theirs.__hash__ is None
    a = mine(1)
    a.x = 5
    assert a.x == 5


def test_a_frozen_record_hashes_its_fields_and_refuses_assignment():
    class Pair:
        a: int
        b: tuple = ()

    mine, theirs = record(frozen=True)(Pair), dataclasses.dataclass(frozen=True)(type("Pair", (), {
        "__annotations__": {"a": "int", "b": "tuple"}, "b": ()}))
    assert hash(mine(1, (2,))) == hash(mine(1, (2,))) == hash(theirs(1, (2,)))
    p = mine(1)
    with pytest.raises(FrozenInstanceError, match="cannot assign to field 'a'"):
        p.a = 2
    with pytest.raises(AttributeError, match="cannot delete field 'a'"):
        del p.a
    with pytest.raises(FrozenInstanceError):
        p.other = 1  # as a dataclass: not even a new attribute


def test_order_compares_fields_in_order_and_only_within_the_class():
    mine, _ = both(frozen=True, order=True)
    assert sorted([mine(2, 0), mine(1, 5), mine(1, 2)]) == [mine(1, 2), mine(1, 5), mine(2, 0)]
    assert mine(1) <= mine(1) and mine(2) > mine(1) and mine(2) >= mine(2)
    with pytest.raises(TypeError):
        mine(1) < (1, 0, [])  # noqa: B015 - the comparison is the test


def test_post_init_runs_and_own_methods_are_kept():
    @record(frozen=True)
    class Word:
        text: str

        def __post_init__(self):
            object.__setattr__(self, "text", self.text.upper())

        def __repr__(self):
            return f"<{self.text}>"

    assert repr(Word("a")) == "<A>" and Word("a") == Word("A")


def test_an_explicit_hash_is_kept_and_a_field_less_record_works():
    @record(frozen=True)
    class Always:
        n: int

        def __hash__(self):
            return 7

    @record(frozen=True)
    class Empty:
        pass

    assert hash(Always(1)) == 7
    assert Empty() == Empty() and repr(Empty()).endswith(".Empty()") and hash(Empty()) == hash(())


def test_a_subclass_record_has_its_base_s_fields_first():
    @record(frozen=True)
    class Base:
        a: int

    @record(frozen=True)
    class Child(Base):
        b: int = 2

    assert repr(Child(1)).endswith(".Child(a=1, b=2)") and Child.__match_args__ == ("a", "b")


def test_replace_copies_with_changes_and_names_a_wrong_field():
    mine, _ = both(frozen=True)
    assert replace(mine(1, 2), y=5) == mine(1, 5)
    with pytest.raises(TypeError, match="no field 'z'"):
        replace(mine(1), z=1)
    with pytest.raises(TypeError, match="should be called on a record"):
        replace(object())


def test_a_frozen_record_survives_pickling():
    from harness.messages import TornRead, WorkerConfig, TimingSpec, ProcessSpec

    config = WorkerConfig(ProcessSpec(0, "g", 0, "add", 0, 5), TimingSpec(), 1, 2, 10.0)
    torn = TornRead(0, "g", 1, "uniform", (1, 2))
    assert pickle.loads(pickle.dumps(config)) == config
    assert pickle.loads(pickle.dumps(torn)) == torn and hash(pickle.loads(pickle.dumps(torn))) == hash(torn)


def test_dataclasses_own_functions_work_on_records():
    mine, theirs = both(frozen=True)
    a = mine(1, 2, [3])
    assert dataclasses.is_dataclass(a) and dataclasses.is_dataclass(mine)
    assert [f.name for f in dataclasses.fields(a)] == [f.name for f in dataclasses.fields(theirs)] == ["x", "y", "tags"]
    assert dataclasses.replace(a, y=5) == mine(1, 5, [3])
    assert dataclasses.asdict(a) == dataclasses.asdict(theirs(1, 2, [3])) == {"x": 1, "y": 2, "tags": [3]}
    assert dataclasses.replace(mine(1)).tags == []
