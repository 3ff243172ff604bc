"""Safe YAML parsing that remembers where every key and value stands.

Promise: :func:`parse` turns text into plain Python data (dicts with string keys, lists,
str, int, float, bool, None) with a :class:`Positions` map from each data path to its
1-based line and column, or raises :class:`~harness.errors.ScenarioError` for text that is
not such data: syntax errors, duplicate keys, non-string keys, tags other than plain
YAML's, nesting too deep. Only PyYAML's safe machinery is used; nothing is ever executed.
"""

from __future__ import annotations

import re

import yaml

from .errors import Problem, ScenarioError, elide
from .positions import Path, Positions, label
from .scenario import MAX_TEXT

_PLAIN_TAGS = {
    "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float", "tag:yaml.org,2002:str",
}
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
MAX_EXTRA_NODES = 10_000  # nodes beyond the text's length: only aliases can get there
# collections inside collections: a scenario needs about six (a call's arguments a few more);
# far below where the composer's recursion would fail, and caught while the scanner reads the
# text, because PyYAML's scanner slows with depth (40,000 brackets took 16 s to refuse)
MAX_NESTING = 100
TOO_DEEP = f"YAML nesting too deep: more than {MAX_NESTING} levels of lists and mappings"


def _pos(mark) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


class _Builder:
    def __init__(self, path_name: str):
        self.path_name = path_name
        self.positions = Positions()
        self.problems: list[Problem] = []
        self.constructor = yaml.SafeLoader("")
        self.budget = MAX_EXTRA_NODES
        self.merged: dict[int, int] = {}  # id of a mapping node -> how many of its pairs `<<` merged in

    def _one_line(self, exc: Exception) -> str:
        if isinstance(exc, yaml.MarkedYAMLError):
            return " ".join(str(part) for part in (exc.context, exc.problem) if part)
        return (str(exc).splitlines() or [type(exc).__name__])[0]

    def problem(self, where: tuple[int, int], message: str) -> None:
        self.problems.append(Problem(self.path_name, where[0], where[1], message))

    def build(self, node, path: Path):
        if len(path) >= MAX_NESTING and not isinstance(node, yaml.ScalarNode):
            # a collection inside MAX_NESTING others, counted as the scanner counts: libyaml
            # does not count, and aliases nest without the scanner seeing it
            raise _TooDeep(_pos(node.start_mark))
        self.budget -= 1
        if self.budget < 0:  # a "billion laughs" of aliases expands without end
            raise _TooLarge
        self.positions.values[path] = _pos(node.start_mark)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                self.problem(_pos(node.start_mark), f"{label(path)}: unsupported YAML tag {node.tag!r}; "
                             "only plain YAML values are allowed")
                return None
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        if node.tag == _TIMESTAMP:
            return node.value
        if node.tag not in _PLAIN_TAGS:
            self.problem(_pos(node.start_mark), f"{label(path)}: unsupported YAML tag {node.tag!r}; "
                         "only plain YAML values are allowed")
            return None
        try:
            return self.constructor.construct_object(node, deep=True)
        except Exception as exc:  # PyYAML raises KeyError for `!!bool maybe`, IndexError for `!!int ''`
            detail = self._one_line(exc) if isinstance(exc, (yaml.YAMLError, ValueError, OverflowError)) \
                else f"not a valid {node.tag.rsplit(':', 1)[-1]}"
            if "integer string conversion" in detail:  # Python's limit on int(str) (3.11+)
                detail = "far too many digits for any value a scenario can hold"
            self.problem(_pos(node.start_mark), f"{label(path)}: cannot read value {elide(node.value, 40)!r}: {detail}")
            return None

    def _mapping(self, node, path: Path):
        if node.tag != _MAP:
            self.problem(_pos(node.start_mark), f"{label(path)}: unsupported YAML tag {node.tag!r}; "
                         "only plain YAML values are allowed")
            return None
        if id(node) not in self.merged:  # an aliased node comes here again, already flattened
            own = sum(1 for key_node, _ in node.value if key_node.tag != _MERGE)
            try:
                self.constructor.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
            except yaml.YAMLError as exc:
                self.problem(_pos(node.start_mark), f"{label(path)}: {self._one_line(exc)}")
                return None
            self.merged[id(node)] = len(node.value) - own  # merged pairs come first
        n_merged = self.merged[id(node)]
        result: dict = {}
        from_merge: set = set()  # keys whose value came through `<<`: the mapping's own key overrides them
        for n, (key_node, value_node) in enumerate(node.value):
            where = _pos(key_node.start_mark)
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _PLAIN_TAGS:
                self.problem(where, f"{label(path)}: keys must be plain strings, found a "
                             f"{type(key_node).__name__.replace('Node', '').lower()}")
                continue
            key = key_node.value
            if key_node.tag != "tag:yaml.org,2002:str":
                # `on:` or `1:` would become a bool or int; name it the way the user wrote it
                key = str(key_node.value)
            if key in from_merge or (key in result and n < n_merged):
                if n >= n_merged:
                    from_merge.discard(key)
            elif key in result:
                first = self.positions.keys.get(path + (key,), (0, 0))
                self.problem(where, f"{label(path + (key,))}: duplicate key {key!r} "
                             f"(first defined at line {first[0]})")
                continue
            elif n < n_merged:
                from_merge.add(key)
            self.positions.keys[path + (key,)] = where
            result[key] = self.build(value_node, path + (key,))
        return result


class _TooLarge(Exception):
    pass


class _TooDeep(Exception):
    """More than MAX_NESTING levels, found where the next level opens (line, column)."""

    def __init__(self, where: tuple[int, int]):
        super().__init__(where)
        self.where = where




FAST_ABOVE = 64 * 1024  # characters
# YAML 1.2 reads a plain `1e16` or `1.5e3` as a number; PyYAML keeps YAML 1.1's rule (a float
# needs a dot, and a sign in its exponent), which makes them strings. Both loaders below read
# them as the numbers people mean; a quoted '1e16' or an explicit `!!str 1e16` stays a string.
_FLOAT_EXPONENT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)[eE][-+]?[0-9]+$")


class _SafeLoader(yaml.SafeLoader):
    # the scanner's own nesting: its open flow collections ([, {) and block indents
    def fetch_flow_collection_start(self, TokenClass):
        self._deeper()
        super().fetch_flow_collection_start(TokenClass)

    def add_indent(self, column):
        if self.indent < column:
            self._deeper()
        return super().add_indent(column)

    def _deeper(self) -> None:
        if self.flow_level + len(self.indents) >= MAX_NESTING:
            raise _TooDeep(_pos(self.get_mark()))


_LOADERS = [_SafeLoader]
if hasattr(yaml, "CSafeLoader"):
    class _CSafeLoader(yaml.CSafeLoader):
        pass

    _LOADERS.append(_CSafeLoader)
for _loader in _LOADERS:
    _loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_EXPONENT, list("-+.0123456789"))


def _loader_for(text: str):
    """The loader whose errors a file's problems are told in: PyYAML's pure-Python composer
    for files people write (its messages are the ones the tests pin), libyaml's for large
    generated ones (ten times faster, same line and column marks), when PyYAML was built
    with it."""
    if len(text) > FAST_ABOVE and len(_LOADERS) > 1 and _shallow(text):
        return _LOADERS[1]
    return _SafeLoader


def _compose(text: str):
    """The document's node tree. libyaml composes a valid file of any size ten times faster
    than the pure-Python composer, with the same nodes and marks, which is most of the time
    `harness run` spends reading a scenario; a file it refuses is read again by the loader
    whose words the problems use."""
    loader = _loader_for(text)
    if loader is _SafeLoader and len(_LOADERS) > 1 and _shallow(text):
        try:
            return yaml.compose(text, Loader=_LOADERS[1])
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=loader)


def _shallow(text: str) -> bool:
    """libyaml recurses in C without a depth limit (a deeply nested file would crash the
    process); only files that cannot nest deeply go to it. A cheap, linear, generous bound."""
    return text.count("[") + text.count("{") + text.count("- ") + text.count(": ") < 5000


def parse(text: str, path_name: str) -> tuple[object, Positions]:
    """Parse one YAML document into plain data and the positions of its parts."""
    if len(text) > MAX_TEXT:
        raise ScenarioError([Problem(path_name, 1, 1, f"file too large: {len(text)} characters, "
                                     f"allowed: at most {MAX_TEXT}")])
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = _pos(mark) if mark else (1, 1)
        what = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise ScenarioError([Problem(path_name, where[0], where[1], f"YAML syntax error: {what}")]) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, e.g. NUL
        position = exc.position
        if _loader_for(text) is not _SafeLoader:  # libyaml counts UTF-8 bytes, not characters
            position = len(text.encode("utf-8")[:position].decode("utf-8", "ignore"))
        before = text[:position]
        where = (before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1)
        char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        raise ScenarioError([Problem(path_name, where[0], where[1], f"YAML error: character {char} "
                                     f"is not allowed: {exc.reason}")]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(path_name, 1, 1, "YAML error: " + " ".join(str(exc).split()))]) from None
    except _TooDeep as exc:
        raise ScenarioError([Problem(path_name, *exc.where, TOO_DEEP)]) from None
    except RecursionError:  # not expected below MAX_NESTING: the stack was already deep
        raise ScenarioError([Problem(path_name, 1, 1, "YAML nesting too deep")]) from None
    if node is None:
        raise ScenarioError([Problem(path_name, 1, 1, "empty file: a scenario is a YAML mapping "
                                     "with at least the keys 'array' and 'workers'")])
    builder = _Builder(path_name)
    builder.budget += len(text)
    try:
        data = builder.build(node, ())
    except _TooDeep as exc:
        raise ScenarioError([Problem(path_name, *exc.where, TOO_DEEP)]) from None
    except RecursionError:
        raise ScenarioError([Problem(path_name, 1, 1, "YAML nesting too deep")]) from None
    except _TooLarge:
        raise ScenarioError([Problem(path_name, 1, 1, "YAML aliases expand to too many values "
                                     f"(more than {len(text) + MAX_EXTRA_NODES})")]) from None
    if builder.problems:
        raise ScenarioError(builder.problems)
    return data, builder.positions
