"""RAM's wildcards (``*`` any run of characters, ``?`` one character) compiled once for matching.

Why not one regular expression per pattern: almost every pattern in real policies is ``*``, an
exact name or a prefix (``oss:Get*``); those match with a set lookup or ``str.startswith``. A
pattern with stars inside (``acs:oss:*:*:bucket/*``) is split at its stars and matched piece by
piece with ``startswith``/``find``/``endswith``: taking each piece at its leftmost place is
enough for ``*`` alone, so this is linear and several times faster than a regex call, and policy
evaluation runs on every request. Only a pattern with ``?`` goes through
:func:`fnmatch.translate`, whose output keeps many stars from backtracking exponentially (a
hostile ``*a*a*a*a?`` stays cheap); ``[`` is escaped first because RAM has no character classes.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass


def _stars(pattern: str) -> Callable[[str], bool]:
    """A matcher for a pattern whose only wildcard is ``*``."""
    first, *middle, last = pattern.split("*")
    least = len(first) + len(last) + sum(map(len, middle))

    def match(text: str) -> bool:
        if len(text) < least or not text.startswith(first) or not text.endswith(last):
            return False
        position, end = len(first), len(text) - len(last)
        for piece in middle:
            found = text.find(piece, position, end)
            if found < 0:
                return False
            position = found + len(piece)
        return True

    return match


def _general(pattern: str, ignore_case: bool) -> Callable[[str], bool]:
    if "?" not in pattern:
        return _stars(pattern)  # already lower-cased when case is ignored
    flags = re.IGNORECASE if ignore_case else 0
    regex = re.compile(fnmatch.translate(pattern.replace("[", "[[]")), flags | re.DOTALL)
    return lambda text: regex.match(text) is not None


@dataclass(frozen=True)
class GlobSet:
    """Any of several patterns. ``ignore_case``: actions match without regard to case (a policy
    saying ``oss:getobject`` grants ``oss:GetObject``), resources and condition values exactly."""

    match_all: bool
    exact: frozenset[str]
    prefixes: tuple[str, ...]
    others: tuple[Callable[[str], bool], ...]
    ignore_case: bool

    @classmethod
    def of(cls, patterns: Iterable[str], *, ignore_case: bool = False) -> GlobSet:
        exact: set[str] = set()
        prefixes: list[str] = []
        others: list[Callable[[str], bool]] = []
        match_all = False
        for raw in patterns:
            pattern = raw.lower() if ignore_case else raw
            if pattern.strip("*") == "" and pattern:
                match_all = True
            elif "*" not in pattern and "?" not in pattern:
                exact.add(pattern)
            elif pattern.endswith("*") and "*" not in pattern[:-1] and "?" not in pattern:
                prefixes.append(pattern[:-1])
            else:
                others.append(_general(pattern, ignore_case))
        return cls(match_all, frozenset(exact), tuple(prefixes), tuple(others), ignore_case)

    def matches(self, text: str) -> bool:
        if self.match_all:
            return True
        if self.ignore_case:
            text = text.lower()
        if text in self.exact:
            return True
        if self.prefixes and text.startswith(self.prefixes):
            return True
        return any(match(text) for match in self.others)
