"""``harness run -k EXPR``: choosing scenarios by name, as pytest's ``-k`` chooses tests.

Promise: :func:`keyword_matcher` compiles an expression of words joined by ``and``, ``or``,
``not`` and parentheses (``-k "lock and not canary"``) into a predicate over a scenario. A
word matches when it is a substring, case-insensitively, of the scenario's name or of its
file's path as given; ``and`` binds tighter than ``or``, as in Python and pytest. A malformed
expression is a :class:`~harness.errors.UsageError` saying where it went wrong.
"""

from __future__ import annotations

import re

from .errors import UsageError

_TOKEN = re.compile(r"\s*(\(|\)|[^\s()]+)")
_OPERATORS = ("and", "or", "not")


def _tokens(expr: str) -> list[str]:
    tokens, pos = [], 0
    while pos < len(expr):
        match = _TOKEN.match(expr, pos)
        if match is None:  # only whitespace is left
            break
        tokens.append(match.group(1))
        pos = match.end()
    return tokens


class _Parser:
    """expr := and ('or' and)* ; and := not ('and' not)* ; not := 'not' not | '(' expr ')' | word"""

    def __init__(self, expr: str):
        self.expr = expr
        self.tokens = _tokens(expr)
        self.pos = 0

    def fail(self, wanted: str):
        seen = f"{self.tokens[self.pos]!r}" if self.pos < len(self.tokens) else "the end"
        raise UsageError(f"harness: error: -k {self.expr!r}: expected {wanted}, found {seen}")

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def parse(self):
        if not self.tokens:
            raise UsageError("harness: error: -k needs an expression, e.g. -k lock or -k 'add and not canary'")
        matcher = self.either()
        if self.pos < len(self.tokens):
            self.fail("'and', 'or' or the end")
        return matcher

    def either(self):
        return self.joined("or", self.both, any)

    def both(self):
        return self.joined("and", self.negation, all)

    def joined(self, word: str, operand, combine):
        """operand (word operand)*: one matcher, true when ``combine`` (any, all) of theirs is."""
        parts = [operand()]
        while self.peek() == word:
            self.pos += 1
            parts.append(operand())
        return parts[0] if len(parts) == 1 else (lambda text: combine(p(text) for p in parts))

    def negation(self):
        token = self.peek()
        if token == "not":
            self.pos += 1
            inner = self.negation()
            return lambda text: not inner(text)
        if token == "(":
            self.pos += 1
            inner = self.either()
            if self.peek() != ")":
                self.fail("')'")
            self.pos += 1
            return inner
        if token is None or token in _OPERATORS or token == ")":
            self.fail("a name")
        self.pos += 1
        word = token.lower()
        return lambda text: word in text


def keyword_matcher(expr: str):
    """A predicate over scenarios: does ``-k expr`` choose this one?"""
    matches = _Parser(expr).parse()
    # one text holding both names: a word matches either, never a piece of each
    return lambda scenario: matches(f"{scenario.name}\n{scenario.path}".lower())
