"""JavaScript (and hand-written) regular expressions turned into schema checks we can run.

Why: every schema pattern is matched through :mod:`rosengine.patterns`, which reads Python's
pattern syntax and runs RE2 (linear time) — without look-around past a pattern's start and without
counted repetitions above 1000. The CDK's patterns are JavaScript, whose syntax here is Python's
(``\\uXXXX`` included). Each is translated exactly or not at all:

* ``^[class]{m,n}$`` with n > 1000 is ``^[class]*$`` plus minLength m and maxLength n;
* everything else :func:`~rosengine.patterns.compile_pattern` runs exactly is kept as it is
  (look-aheads at the start of a pattern included).

Anything else :func:`rosengine.patterns.compile_pattern` refuses is returned as a problem for the
generator's report, and the check is left out rather than approximated.
"""

from __future__ import annotations

import re
from typing import Any

from rosengine.patterns import PatternError, compile_pattern

_BIG_CLASS_REPEAT = re.compile(r"^\^(\[(?:\\.|[^\]\\])*\])\{(\d+),(\d+)\}\$$")


def translate(pattern: str) -> tuple[dict[str, Any] | None, str | None]:
    """``(schema keywords, None)`` for a pattern we can check exactly, else ``(None, why)``."""
    problem = _compile_problem(pattern)
    if problem is None:
        return {"pattern": pattern}, None
    big = _BIG_CLASS_REPEAT.match(pattern)
    if big is not None and _compile_problem(f"^{big.group(1)}*$") is None:
        return {
            "pattern": f"^{big.group(1)}*$",
            "minLength": int(big.group(2)),
            "maxLength": int(big.group(3)),
        }, None
    return None, f"RE2 cannot run {pattern!r} ({problem}); the pattern is not checked"


def _compile_problem(pattern: str) -> str | None:
    try:
        compiled = compile_pattern(pattern)
    except PatternError as exc:
        return str(exc).split(": ", 1)[-1]
    if compiled.relaxed:  # only a lower bound would be checked: not exact
        return f"its repetition {', '.join(compiled.relaxed)} is too heavy to bound"
    return None
