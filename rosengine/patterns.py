"""Regular expressions written by template authors, matched in time linear in the text (RE2).

Why not :mod:`re`: Python's engine backtracks, and a pattern such as ``(a+)+$`` takes time
exponential in the length of a value that almost matches — 33 ``a`` and a ``!`` never finish.
``AllowedPattern``, ``Fn::MatchPattern`` and schema patterns come from templates that ``ros
validate`` runs on in CI, so every such match goes through RE2 (PyPI ``google-re2``), whose
automata guarantee time linear in the text and memory bounded by :data:`RE2_MAX_MEMORY`.

Dialect. ROS descends from Heat, a Python service, and template authors write Python-style
patterns. Each pattern is parsed by Python's own pattern parser (so it means exactly what it
means to Python, escapes and flags included) and written out again in RE2's syntax:

* ``\\d``, ``\\w``, ``\\s`` and their negations keep Python's Unicode meaning (RE2's are ASCII):
  ``\\p{Nd}``, ``[\\p{L}\\p{N}_]`` and Python's whitespace set; ``(?a)`` gives the ASCII ones.
* ``\\Z``, ``\\uXXXX``, octal escapes, ``x{,n}``, ``(?P<name>…)``, ``(?x)`` verbose patterns and
  scoped flags are all accepted (they arrive here already parsed).
* Counted repetitions nested more than RE2 allows (the product of nested counts over 1,000) are
  unrolled in the text RE2 receives. RE2 copies a repetition's body once per count, so a bounded
  repetition whose copies would weigh more than :data:`MAX_REPEAT_WEIGHT` instructions is
  checked for its lower bound only — ``(,ip){0,999}`` in an official template's list of up to
  1,000 addresses accepts any number of them here — and listed in
  :attr:`CompiledPattern.relaxed` so the caller can say so; a pattern heavier than
  :data:`MAX_PATTERN_WEIGHT` even then is refused.
* Lookahead (``(?=…)``, ``(?!…)``) at the start of a pattern or after a fixed-width start — the
  idiom of password rules such as ``^(?=.*[a-z])(?=.*\\d)[\\w!@#]{8,32}$`` — becomes a
  conjunction: the start, each lookahead (its own RE2 pattern) where the start ends, then the
  rest of the pattern; still linear.

What RE2 cannot express is a :class:`PatternError` naming the pattern, never a slow match: back
references (``\\1``, ``(?P=name)``), lookahead anywhere but at the start, lookbehind, atomic
groups and possessive quantifiers, conditional groups, classes that subtract a negated
category (``[^\\W\\d]``) and single repetition counts over 1,000. There is no fallback to a
backtracking engine. Two documented differences remain: ``$`` matches only at the very end of the
text (Python also matches before a final newline, which lets ``"name\\n"`` pass ``^[a-z]+$``),
and ``\\b``/``\\B`` use ASCII word characters. The user-facing account is
docs/regular-expressions.md.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

# Python's own pattern parser: the reference for what a pattern means (typeshed has no stubs for
# these private modules; they exist in every CPython since 3.11, which pyproject requires).
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

import re2

# RE2 refuses a repetition whose count, multiplied along nested repetitions, exceeds this.
RE2_MAX_REPEAT = 1000
# Memory RE2 may use for one compiled pattern (program plus DFA cache, allocated as needed); RE2's
# own default.
RE2_MAX_MEMORY = 8 << 20
# RE2 compiles about this many instructions in 30 ms; a heavier pattern is refused.
MAX_PATTERN_WEIGHT = 50_000
# A bounded repetition heavier than this (count x body) is checked for its lower bound only:
# ``(,ip){0,999}`` means "any number of further addresses" here (CompiledPattern.relaxed).
MAX_REPEAT_WEIGHT = 10_000
# The translated pattern (after unrolling nested counts) may be at most this long.
MAX_TRANSLATED_CHARS = 256 * 1024
_CACHE_SIZE = 64

_UNICODE_SPACE = r"\t\n\x0b\f\r\x1c-\x1f\x85\p{Z}"
_ASCII_SPACE = r"\t\n\x0b\f\r "
# Python category -> (members for use inside a class, negated?) in Unicode and ASCII mode.
_CATEGORIES: dict[Any, tuple[str, str, bool]] = {
    sre.CATEGORY_DIGIT: (r"\p{Nd}", "0-9", False),
    sre.CATEGORY_NOT_DIGIT: (r"\p{Nd}", "0-9", True),
    sre.CATEGORY_WORD: (r"\p{L}\p{N}_", "0-9A-Za-z_", False),
    sre.CATEGORY_NOT_WORD: (r"\p{L}\p{N}_", "0-9A-Za-z_", True),
    sre.CATEGORY_SPACE: (_UNICODE_SPACE, _ASCII_SPACE, False),
    sre.CATEGORY_NOT_SPACE: (_UNICODE_SPACE, _ASCII_SPACE, True),
}
_ANCHORS = {
    sre.AT_BEGINNING: "^",
    sre.AT_BEGINNING_STRING: r"\A",
    sre.AT_END: "$",
    sre.AT_END_STRING: r"\z",
    sre.AT_BOUNDARY: r"\b",
    sre.AT_NON_BOUNDARY: r"\B",
}
_FLAG_LETTERS = ((sre.SRE_FLAG_IGNORECASE, "i"), (sre.SRE_FLAG_MULTILINE, "m"), (sre.SRE_FLAG_DOTALL, "s"))


class PatternError(ValueError):
    """A pattern that is not a valid regular expression, or that cannot be matched in linear time."""

    def __init__(self, pattern: str, reason: str):
        shown = pattern if len(pattern) <= 80 else pattern[:77] + "..."
        super().__init__(f"invalid regular expression {shown!r}: {reason}")
        self.pattern = pattern
        self.reason = reason


@dataclass(frozen=True)
class _Lookahead:
    """``(?=body)`` (``positive``) or ``(?!body)`` at the start of a pattern."""

    positive: bool
    regexp: Any  # re2 compiled pattern


@dataclass(frozen=True)
class CompiledPattern:
    """A pattern ready to match; both methods take time linear in ``text``.

    A pattern with lookahead is held in three parts: a fixed-width ``prefix`` (often nothing, or
    one character), the lookaheads checked where it ends, and the ``body`` from there on."""

    pattern: str
    translated: str  # the RE2 pattern of the body (for messages and tests)
    _body: Any  # re2 compiled pattern
    _lookaheads: tuple[_Lookahead, ...] = ()
    _anchored: bool = False  # ^ or \A before the lookaheads: search tries position 0 only
    # Upper bounds RE2 could not afford, checked as unbounded ("{0,999}"): say so to the user.
    relaxed: tuple[str, ...] = ()
    _prefix: Any = None  # re2 compiled pattern of the fixed-width part before the lookaheads
    _prefix_width: int = 0  # characters

    def fullmatch(self, text: str) -> bool:
        """Whether the whole of ``text`` matches (how AllowedPattern and Fn::MatchPattern test)."""
        data = _utf8(text)
        if not self._lookaheads:
            return self._body.fullmatch(data) is not None
        split = self._split(text, data)
        return (
            split is not None
            and self._lookaheads_hold(data, split)
            and self._body.fullmatch(data, split) is not None
        )

    def search(self, text: str) -> bool:
        """Whether the pattern matches anywhere in ``text``. A pattern with lookahead must be
        anchored (``^`` or ``\\A``) to be searched: the lookahead is checked at one place only."""
        data = _utf8(text)
        if not self._lookaheads:
            return self._body.search(data) is not None
        if not self._anchored:
            raise PatternError(self.pattern, "lookahead can be searched for only after ^ or \\A")
        split = self._split(text, data)
        return (
            split is not None
            and self._lookaheads_hold(data, split)
            and self._body.match(data, split) is not None
        )

    def _split(self, text: str, data: bytes) -> int | None:
        """The byte offset where the prefix ends, or None when the text does not start with it."""
        if self._prefix is None:
            return 0
        if len(text) < self._prefix_width:
            return None
        offset = len(_utf8(text[: self._prefix_width]))
        return offset if self._prefix.fullmatch(data, 0, offset) is not None else None

    def _lookaheads_hold(self, data: bytes, offset: int) -> bool:
        return all(
            (item.regexp.match(data, offset) is not None) == item.positive for item in self._lookaheads
        )


def _utf8(text: str) -> bytes:
    # Bytes go to RE2 unchanged (no offset bookkeeping); lone surrogates from JSON "\ud800" too.
    return text.encode("utf-8", "surrogatepass")


@lru_cache(maxsize=_CACHE_SIZE)
def compile_pattern(pattern: str) -> CompiledPattern:
    """Compile a Python-style pattern for RE2; raise :class:`PatternError` when it is invalid or
    needs a backtracking engine (module docstring). Cached: templates repeat their patterns."""
    if not isinstance(pattern, str):
        raise PatternError(str(pattern), "a pattern must be a string")
    try:
        return _compile(pattern)
    except RecursionError:
        raise PatternError(pattern, "groups nest too deeply") from None


def _compile(pattern: str) -> CompiledPattern:
    try:
        with warnings.catch_warnings():
            # "possible nested set" and similar FutureWarnings are about Python's future syntax; the
            # pattern means today what Python makes of it today, and the author is not our user
            warnings.simplefilter("ignore", FutureWarning)
            parsed = sre_parse.parse(pattern)
    except (sre.error, ValueError, OverflowError) as exc:
        raise PatternError(pattern, str(exc)) from None
    if _weight(parsed.data) > MAX_PATTERN_WEIGHT:
        raise PatternError(pattern, "it is too large for a linear-time engine (counted repetitions?)")
    flags = parsed.state.flags
    if flags & sre.SRE_FLAG_LOCALE:
        raise PatternError(pattern, "the LOCALE flag (?L) is not supported")
    translator = _Translator(pattern, ascii_mode=bool(flags & sre.SRE_FLAG_ASCII))
    flag_prefix = _flag_prefix(flags)
    items = list(parsed.data)
    first = next((i for i, (op, argument) in enumerate(items) if _leading_lookahead(op, argument)), None)
    if first is None:
        body_text = flag_prefix + translator.sequence(items)
        return CompiledPattern(
            pattern, body_text, _compile_re2(pattern, body_text), relaxed=tuple(translator.relaxed)
        )

    # ^ (not multiline) or \A, then a fixed-width prefix, then the lookaheads, then the body
    multiline = bool(flags & sre.SRE_FLAG_MULTILINE)
    start = 0
    anchored = False
    while (
        start < first
        and items[start][0] is sre.AT
        and items[start][1] in (sre.AT_BEGINNING, sre.AT_BEGINNING_STRING)
    ):
        anchored = anchored or items[start][1] is sre.AT_BEGINNING_STRING or not multiline
        start += 1
    prefix_items = items[start:first]
    low, high = sre_parse.SubPattern(parsed.state, prefix_items).getwidth()
    if low != high:
        raise PatternError(
            pattern, "lookahead is supported only at the start of the pattern or after a fixed-width start"
        )
    prefix = _compile_re2(pattern, flag_prefix + translator.sequence(prefix_items)) if prefix_items else None
    lookaheads: list[_Lookahead] = []
    position = first
    while position < len(items):
        found = _leading_lookahead(*items[position])
        if found is None:
            break
        positive, body = found
        lookaheads.append(
            _Lookahead(positive, _compile_re2(pattern, flag_prefix + translator.sequence(body)))
        )
        position += 1
    body_text = flag_prefix + translator.sequence(items[position:])
    return CompiledPattern(
        pattern,
        body_text,
        _compile_re2(pattern, body_text),
        tuple(lookaheads),
        anchored,
        tuple(translator.relaxed),
        prefix,
        low,
    )


def _leading_lookahead(op: Any, argument: Any) -> tuple[bool, list[Any]] | None:
    """``(?=x)``/``(?!x)``, or a group whose alternatives are all positive lookaheads (``((?=a)|(?=b))``
    is ``(?=a|b)``); None for anything else."""
    if op in (sre.ASSERT, sre.ASSERT_NOT):
        direction, body = argument
        if direction == 1:
            return op is sre.ASSERT, list(body.data)
        return None
    if op is sre.SUBPATTERN:
        _group, add_flags, del_flags, body = argument
        if add_flags or del_flags or len(body.data) != 1:
            return None
        inner_op, inner = body.data[0]
        if inner_op is sre.BRANCH:
            alternatives = inner[1]
            bodies = []
            for alternative in alternatives:
                if len(alternative.data) != 1 or alternative.data[0][0] is not sre.ASSERT:
                    return None
                direction, assertion = alternative.data[0][1]
                if direction != 1:
                    return None
                bodies.append(assertion)
            return True, [(sre.BRANCH, (None, bodies))]
        return _leading_lookahead(inner_op, inner)
    return None


def _flag_prefix(flags: int) -> str:
    letters = "".join(letter for flag, letter in _FLAG_LETTERS if flags & flag)
    return f"(?{letters})" if letters else ""


def _compile_re2(pattern: str, translated: str) -> Any:
    options = re2.Options()
    options.max_mem = RE2_MAX_MEMORY
    options.log_errors = False
    options.never_capture = True  # matches are yes/no: no submatch bookkeeping
    try:
        return re2.compile(translated, options)
    except re2.error as exc:
        reason = (
            exc.args[0].decode("utf-8", "replace")
            if exc.args and isinstance(exc.args[0], bytes)
            else str(exc)
        )
        raise PatternError(pattern, f"RE2 cannot compile it ({reason})") from None


class _Translator:
    """Writes a parsed Python pattern in RE2 syntax (recursive over the parse tree)."""

    def __init__(self, pattern: str, *, ascii_mode: bool):
        self.pattern = pattern
        self.ascii_mode = ascii_mode
        self.relaxed: list[str] = []  # repetition bounds not enforced (too heavy for RE2)

    def fail(self, reason: str) -> PatternError:
        return PatternError(self.pattern, reason)

    # -- sequences and items ------------------------------------------------------------------

    def sequence(self, items: Iterable[Any], unroll: bool = False) -> str:
        return self._join(self.item(op, argument, unroll) for op, argument in items)

    def _join(self, parts: Iterable[str]) -> str:
        out: list[str] = []
        size = 0
        for part in parts:
            size += len(part)
            if size > MAX_TRANSLATED_CHARS:
                raise self.fail(f"it expands to more than {MAX_TRANSLATED_CHARS:,} characters for RE2")
            out.append(part)
        return "".join(out)

    def item(self, op: Any, argument: Any, unroll: bool) -> str:
        handler = self._HANDLERS.get(op)
        if handler is None:
            raise self.fail(self._unsupported(op))
        return handler(self, argument, unroll)

    def _unsupported(self, op: Any) -> str:
        if op in (sre.GROUPREF, sre.GROUPREF_EXISTS):
            return "back references and conditional groups need a backtracking engine"
        if op in (sre.ASSERT, sre.ASSERT_NOT):
            return "lookahead is supported only at the start of the pattern, lookbehind not at all"
        if op is sre.ATOMIC_GROUP or op is sre.POSSESSIVE_REPEAT:
            return "atomic groups and possessive quantifiers are not supported"
        return f"{op} is not supported"

    def _literal(self, code: int, unroll: bool) -> str:
        return _char(code)

    def _not_literal(self, code: int, unroll: bool) -> str:
        return f"[^{_char(code)}]"

    def _any(self, _argument: Any, unroll: bool) -> str:
        return "."

    def _at(self, code: Any, unroll: bool) -> str:
        return _ANCHORS[code]

    def _category(self, code: Any, unroll: bool) -> str:
        members, negated = self._category_members(code)
        return f"[^{members}]" if negated else f"[{members}]"

    def _category_members(self, code: Any) -> tuple[str, bool]:
        unicode_members, ascii_members, negated = _CATEGORIES[code]
        return (ascii_members if self.ascii_mode else unicode_members), negated

    def _in(self, items: Sequence[Any], unroll: bool) -> str:
        negate = bool(items) and items[0][0] is sre.NEGATE
        members: list[str] = []
        complements: list[str] = []  # negated categories: [^...] alternatives of the class
        for op, argument in items[1:] if negate else items:
            if op is sre.LITERAL:
                members.append(_char(argument))
            elif op is sre.RANGE:
                members.append(f"{_char(argument[0])}-{_char(argument[1])}")
            elif op is sre.CATEGORY:
                inside, negated = self._category_members(argument)
                (complements if negated else members).append(inside)
            else:
                raise self.fail(f"{op} inside a character class is not supported")
        if complements:
            if negate:
                raise self.fail("a negated class that contains \\W, \\S or \\D cannot be expressed for RE2")
            alternatives = ([f"[{''.join(members)}]"] if members else []) + [f"[^{c}]" for c in complements]
            return "(?:" + "|".join(alternatives) + ")"
        if not members:
            raise self.fail("an empty character class cannot be expressed for RE2")
        return f"[{'^' if negate else ''}{''.join(members)}]"

    def _branch(self, argument: Any, unroll: bool) -> str:
        _unused, alternatives = argument
        return "(?:" + "|".join(self.sequence(alternative.data, unroll) for alternative in alternatives) + ")"

    def _subpattern(self, argument: Any, unroll: bool) -> str:
        _group, add_flags, del_flags, body = argument
        saved = self.ascii_mode
        if add_flags & sre.SRE_FLAG_ASCII:
            self.ascii_mode = True
        if del_flags & sre.SRE_FLAG_ASCII:
            self.ascii_mode = False
        try:
            inner = self.sequence(body.data, unroll)
        finally:
            self.ascii_mode = saved
        on = "".join(letter for flag, letter in _FLAG_LETTERS if add_flags & flag)
        off = "".join(letter for flag, letter in _FLAG_LETTERS if del_flags & flag)
        flags = on + (f"-{off}" if off else "")
        return f"(?{flags}:{inner})"

    def _repeat(self, argument: Any, unroll: bool, lazy: bool = False) -> str:
        low, high, body = argument
        bound = _upper_bound(high)
        if low > RE2_MAX_REPEAT or (bound is not None and bound > RE2_MAX_REPEAT):
            raise self.fail(f"repetition counts above {RE2_MAX_REPEAT} are not supported")
        if bound is not None and bound > low and bound * _weight(body.data) > MAX_REPEAT_WEIGHT:
            self.relaxed.append(f"{{{low},{bound}}}")
            bound = None
        count = max(low, 1) if bound is None else bound
        inner = self.sequence(body.data, unroll or count * _nested_count(body.data) > RE2_MAX_REPEAT)
        atom = f"(?:{inner})"
        suffix = "?" if lazy else ""
        if unroll and (low > 1 or (bound is not None and bound > 1)):
            return self._unrolled(atom, low, bound, suffix)
        if bound is None:
            quantifier = "*" if low == 0 else "+" if low == 1 else f"{{{low},}}"
        elif low == bound:
            quantifier = "" if low == 1 else f"{{{low}}}"
        else:
            quantifier = "?" if (low, bound) == (0, 1) else f"{{{low},{bound}}}"
        return atom + quantifier + (suffix if quantifier else "")

    def _unrolled(self, atom: str, low: int, high: int | None, suffix: str) -> str:
        """``atom{low,high}`` written out, for RE2's limit on nested counts."""
        required = self._join(atom for _ in range(low))
        if high is None:
            return required + atom + "*" + suffix
        optional = ""
        for _ in range(high - low):
            optional = self._join(["(?:", atom, optional, ")?", suffix])
        return required + optional

    def _min_repeat(self, argument: Any, unroll: bool) -> str:
        return self._repeat(argument, unroll, lazy=True)

    _HANDLERS: dict[Any, Callable[[_Translator, Any, bool], str]] = {
        sre.LITERAL: _literal,
        sre.NOT_LITERAL: _not_literal,
        sre.ANY: _any,
        sre.AT: _at,
        sre.CATEGORY: _category,
        sre.IN: _in,
        sre.BRANCH: _branch,
        sre.SUBPATTERN: _subpattern,
        sre.MAX_REPEAT: _repeat,
        sre.MIN_REPEAT: _min_repeat,
    }


def _upper_bound(high: Any) -> int | None:
    return None if high is sre.MAXREPEAT or high >= sre.MAXREPEAT else int(high)


def _nested_count(items: Iterable[Any]) -> int:
    """The largest product of repetition counts inside ``items`` (what RE2 multiplies)."""
    best = 1
    for op, argument in items:
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            low, high, body = argument
            bound = _upper_bound(high)
            count = low if bound is None else bound
            best = max(best, max(count, 1) * _nested_count(body.data))
        elif op is sre.SUBPATTERN:
            best = max(best, _nested_count(argument[3].data))
        elif op is sre.BRANCH:
            for alternative in argument[1]:
                best = max(best, _nested_count(alternative.data))
    return best


def _weight(items: Iterable[Any]) -> int:
    """About how many RE2 instructions ``items`` compile to: RE2 copies a counted repetition's
    body once per count. A bounded repetition whose copies would weigh more than
    :data:`MAX_REPEAT_WEIGHT` counts as its lower bound (it is relaxed when translated)."""
    total = 0
    for op, argument in items:
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low, high, body = argument
            inner = _weight(body.data)
            bound = _upper_bound(high)
            if bound is not None and bound > low and bound * inner > MAX_REPEAT_WEIGHT:
                bound = None
            total += (max(low, 1) if bound is None else max(bound, 1)) * inner
        elif op in (sre.SUBPATTERN, sre.ATOMIC_GROUP):
            total += 1 + _weight((argument[3] if op is sre.SUBPATTERN else argument).data)
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            total += 1 + _weight(argument[1].data)
        elif op is sre.BRANCH:
            total += 1 + sum(_weight(alternative.data) for alternative in argument[1])
        else:
            total += 1
        if total > MAX_PATTERN_WEIGHT:  # stop early: the caller refuses the pattern anyway
            return total
    return total


def _char(code: int) -> str:
    if code < 128 and chr(code).isalnum():
        return chr(code)
    return f"\\x{{{code:x}}}"
