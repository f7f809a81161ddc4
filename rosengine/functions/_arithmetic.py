"""A tiny arithmetic expression parser for ``Fn::Calculate`` — never ``eval``.

Grammar (usual precedence, left associative)::

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "/" | "//" | "%") unary)*
    unary  := ("+" | "-") unary | atom
    atom   := NUMBER | "(" expr ")"

Semantics are Python 2's, which ROS inherited from Heat: ``/`` between two integers is floor
division (``5/2 == 2``, ``-5/2 == -3``); with a float involved it is true division. ``%`` and ``//``
follow Python. The result keeps its type: int when only ints were involved.

Numbers stay within :data:`~rosengine.limits.INTEGER_BITS`: a product is refused before it is
computed when its operands together are longer (a chain of 4,000-digit factors would otherwise take
time quadratic in its length), and a float that overflows is an error, not a crash.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from rosengine.limits import INTEGER_BITS, NUMBER_DIGITS

Number = int | float
MAX_NESTING = 100  # parentheses; keeps hostile input from exhausting the Python stack
_CACHED_LENGTH = 1024  # expressions up to this long are cached (Count copies repeat them)

_TOKEN = re.compile(r"\s*(?:(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?|(//|[-+*/%()]))")


class ArithmeticError_(ValueError):
    """The expression is malformed or cannot be computed (message says where/why)."""


def tokenize(text: str) -> tuple[Number | str, ...]:
    return _tokenize_cached(text) if len(text) <= _CACHED_LENGTH else _tokenize(text)


@lru_cache(maxsize=1024)
def _tokenize_cached(text: str) -> tuple[Number | str, ...]:
    return _tokenize(text)


def _tokenize(text: str) -> tuple[Number | str, ...]:
    tokens: list[Number | str] = []
    position = 0
    stripped_end = len(text.rstrip())
    while position < stripped_end:
        match = _TOKEN.match(text, position)
        if match is None:
            raise ArithmeticError_(
                f"unexpected character {text[position:].lstrip()[:1]!r} at offset {position}"
            )
        number, exponent, operator = match.groups()
        if number is not None:
            literal = number + (exponent or "")
            if NUMBER_DIGITS.exceeded(len(literal)):
                raise ArithmeticError_(f"a number of {len(literal):,} digits is too long")
            is_float = "." in number or exponent is not None
            tokens.append(float(literal) if is_float else int(literal))
        else:
            tokens.append(operator)
        position = match.end()
    return tuple(tokens)


class _Parser:
    def __init__(self, tokens: tuple[Number | str, ...]):
        self.tokens = tokens
        self.position = 0
        self.depth = 0

    def peek(self) -> Number | str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> Number | str | None:
        token = self.peek()
        self.position += 1
        return token

    def expr(self) -> Number:
        value = self.term()
        while self.peek() in ("+", "-"):
            operator = self.take()
            right = self.term()
            value = value + right if operator == "+" else value - right
        return value

    def term(self) -> Number:
        value = self.unary()
        while self.peek() in ("*", "/", "//", "%"):
            operator = self.take()
            value = _apply(str(operator), value, self.unary())
        return value

    def unary(self) -> Number:
        signs = 0
        while self.peek() in ("+", "-"):
            signs += self.take() == "-"
        value = self.atom()
        return -value if signs % 2 else value

    def atom(self) -> Number:
        token = self.take()
        if token == "(":
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise ArithmeticError_(f"parentheses nested deeper than {MAX_NESTING}")
            value = self.expr()
            self.depth -= 1
            if self.take() != ")":
                raise ArithmeticError_("missing closing parenthesis")
            return value
        if isinstance(token, int | float):
            return token
        raise ArithmeticError_("unexpected end of expression" if token is None else f"unexpected {token!r}")


def _apply(operator: str, left: Number, right: Number) -> Number:
    if operator == "*":
        if isinstance(left, int) and isinstance(right, int):
            bits = left.bit_length() + right.bit_length()
            if INTEGER_BITS.exceeded(bits):
                raise ArithmeticError_(
                    f"the product would have about {bits:,} bits; at most {INTEGER_BITS.maximum:,}"
                )
        return left * right
    if right == 0:
        raise ArithmeticError_("division by zero")
    both_int = isinstance(left, int) and isinstance(right, int)
    if operator == "/":
        return left // right if both_int else left / right
    if operator == "//":
        return left // right
    return left % right


def evaluate_expression(text: str) -> Number:
    """Value of ``text``; cached for short texts, because Count copies evaluate the same
    expression many times."""
    return _evaluate_cached(text) if len(text) <= _CACHED_LENGTH else _evaluate(text)


@lru_cache(maxsize=4096)
def _evaluate_cached(text: str) -> Number:
    return _evaluate(text)


def _evaluate(text: str) -> Number:
    parser = _Parser(tokenize(text))
    if not parser.tokens:
        raise ArithmeticError_("empty expression")
    try:
        value = parser.expr()
    except OverflowError as exc:  # an integer too large to mix with a float
        raise ArithmeticError_(f"a number is too large ({exc})") from None
    if parser.peek() is not None:
        raise ArithmeticError_(f"unexpected {parser.peek()!r} after a complete expression")
    if isinstance(value, float) and not math.isfinite(value):
        raise ArithmeticError_("the result is not a finite number")
    return value
