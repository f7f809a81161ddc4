"""Regular expressions that come from templates and schemas, matched in linear time (RE2).

Why not ``re``: a pattern written by a template author (``AllowedPattern``) or carried by a resource
schema is input we do not control, and Python's backtracking engine can take exponential time on
some of them (``(a+)+$``). RE2 guarantees time linear in the text, at the price of rejecting
back-references and look-around, which such a pattern then reports as invalid.
"""

from __future__ import annotations

import functools

import re2


class PatternError(ValueError):
    """A pattern RE2 cannot compile (bad syntax, or a backtracking-only feature)."""


class CompiledPattern:
    """One compiled pattern; ``pattern`` is the text it was compiled from."""

    __slots__ = ("_regex", "pattern")

    def __init__(self, pattern: str, regex: re2._Regexp) -> None:
        self.pattern = pattern
        self._regex = regex

    def fullmatch(self, text: str) -> bool:
        return self._regex.fullmatch(text) is not None

    def search(self, text: str) -> bool:
        return self._regex.search(text) is not None


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # a bad pattern is reported to the caller, not logged to stderr
    return options


_OPTIONS = _options()


@functools.lru_cache(maxsize=4096)
def compile_pattern(pattern: str) -> CompiledPattern:
    """The compiled form of ``pattern`` (cached); :class:`PatternError` when RE2 rejects it."""
    try:
        return CompiledPattern(pattern, re2.compile(pattern, options=_OPTIONS))
    except re2.error as exc:
        detail = exc.args[0] if exc.args else exc
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        raise PatternError(f"invalid regular expression {pattern!r}: {detail}") from None
