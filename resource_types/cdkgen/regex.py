"""JavaScript (and hand-written) regular expressions turned into schema checks RE2 can run.

Why: every schema pattern is matched by RE2 (:mod:`rosengine.patterns`), which runs in linear time
but lacks look-around and counted repetitions above 1000. The CDK's patterns are JavaScript. Each
is translated exactly or not at all:

* ``\\uXXXX`` is RE2's ``\\x{XXXX}``;
* ``^[class]{m,n}$`` with n > 1000 is ``^[class]*$`` plus minLength m and maxLength n;
* look-aheads at the start, ``^(?=A)(?!B)REST``, are separate checks: ``^(?:A)`` must match,
  ``^(?:B)`` must not, ``^(?:REST)`` must match (exact when the pattern has no top-level ``|``).

Anything else that RE2 rejects is returned as a problem for the generator's report, and the check
is left out rather than approximated.
"""

from __future__ import annotations

import re
from typing import Any

from rosengine.patterns import PatternError, compile_pattern

_UNICODE_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u([0-9a-fA-F]{4})")
_BIG_CLASS_REPEAT = re.compile(r"^\^(\[(?:\\.|[^\]\\])*\])\{(\d+),(\d+)\}\$$")


def translate(pattern: str) -> tuple[dict[str, Any] | None, str | None]:
    """``(schema keywords, None)`` for a pattern we can check exactly, else ``(None, why)``."""
    text = _UNICODE_ESCAPE.sub(lambda m: f"{m.group(1)}\\x{{{m.group(2)}}}", pattern)
    problem = _compile_problem(text)
    if problem is None:
        return {"pattern": text}, None
    big = _BIG_CLASS_REPEAT.match(text)
    if big is not None and _compile_problem(f"^{big.group(1)}*$") is None:
        return {
            "pattern": f"^{big.group(1)}*$",
            "minLength": int(big.group(2)),
            "maxLength": int(big.group(3)),
        }, None
    split = _split_lookaheads(text)
    if split is not None:
        return split, None
    return None, f"RE2 cannot run {pattern!r} ({problem}); the pattern is not checked"


def _compile_problem(pattern: str) -> str | None:
    try:
        compile_pattern(pattern)
    except PatternError as exc:
        return str(exc).split(": ", 1)[-1]
    return None


def _split_lookaheads(pattern: str) -> dict[str, Any] | None:
    if not pattern.startswith("^") or _has_top_level_alternation(pattern):
        return None
    checks: list[dict[str, Any]] = []
    position = 1
    while pattern.startswith(("(?=", "(?!"), position):
        end = _group_end(pattern, position)
        if end is None:
            return None
        inner = pattern[position + 3 : end]
        check: dict[str, Any] = {"pattern": f"^(?:{inner})"}
        checks.append(check if pattern[position + 2] == "=" else {"not": check})
        position = end + 1
    rest = pattern[position:]
    if not checks or "(?=" in rest or "(?!" in rest or "(?<" in rest:
        return None
    if rest:
        checks.append({"pattern": f"^(?:{rest})"})
    for check in checks:
        if _compile_problem(check.get("pattern") or check["not"]["pattern"]) is not None:
            return None
    return {"allOf": checks}


def _group_end(pattern: str, start: int) -> int | None:
    """The index of the ``)`` closing the group opened at ``start``."""
    depth, index, in_class = 0, start, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return None


def _has_top_level_alternation(pattern: str) -> bool:
    depth, index, in_class = 0, 0, False
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
        index += 1
    return False
