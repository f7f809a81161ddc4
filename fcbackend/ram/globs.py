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


def _stars(pattern: str) -> Callable[[str], bool]:
    """A matcher for a pattern whose only wildcard is ``*``."""
    first, *inner, last = pattern.split("*")
    middle = tuple(piece for piece in inner if piece)
    start, tail = len(first), len(last)

    def match(text: str) -> bool:
        if not text.startswith(first) or (tail and not text.endswith(last)):
            return False
        position, end = start, len(text) - tail
        if end < position:
            return False
        for piece in middle:
            position = text.find(piece, position, end)
            if position < 0:
                return False
            position += len(piece)
        return True

    return match


def _general(pattern: str, ignore_case: bool) -> Callable[[str], bool]:
    if "?" not in pattern:
        return _stars(pattern)  # already lower-cased when case is ignored
    flags = re.IGNORECASE if ignore_case else 0
    regex = re.compile(fnmatch.translate(pattern.replace("[", "[[]")), flags | re.DOTALL)
    return lambda text: regex.match(text) is not None


class GlobSet:
    """Any of several patterns, as one ``matches(text)`` callable picked for the patterns at hand
    (a set lookup, one ``startswith``, one piecewise match ...), so a check is a single call.
    ``ignore_case``: actions match without regard to case (a policy saying ``oss:getobject``
    grants ``oss:GetObject``), resources and condition values exactly."""

    __slots__ = ("matches",)

    def __init__(self, matches: Callable[[str], bool]):
        self.matches = matches

    @classmethod
    def of(cls, patterns: Iterable[str], *, ignore_case: bool = False) -> GlobSet:
        exact: set[str] = set()
        prefixes: list[str] = []
        others: list[Callable[[str], bool]] = []
        for raw in patterns:
            pattern = raw.lower() if ignore_case else raw
            if pattern.strip("*") == "" and pattern:
                return cls(_always)
            if "*" not in pattern and "?" not in pattern:
                exact.add(pattern)
            elif pattern.endswith("*") and "*" not in pattern[:-1] and "?" not in pattern:
                prefixes.append(pattern[:-1])
            else:
                others.append(_general(pattern, ignore_case))
        matches = _combine(frozenset(exact), tuple(prefixes), tuple(others))
        if ignore_case:
            return cls(lambda text: matches(text.lower()))
        return cls(matches)


def _always(text: str) -> bool:
    return True


def _combine(
    exact: frozenset[str], prefixes: tuple[str, ...], others: tuple[Callable[[str], bool], ...]
) -> Callable[[str], bool]:
    if not prefixes and not others:
        return exact.__contains__
    if not exact and not others:
        return lambda text: text.startswith(prefixes)
    if not exact and not prefixes and len(others) == 1:
        return others[0]

    def any_of(text: str) -> bool:
        return text in exact or (bool(prefixes) and text.startswith(prefixes)) or any(m(text) for m in others)

    return any_of
