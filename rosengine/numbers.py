"""Reading numbers from template text, shared by the parameter coercion (``rosengine.template``)
and the intrinsic functions (``rosengine.functions``), so both agree on what "a number" is."""

from __future__ import annotations


def number_from_text(text: str) -> int | float:
    """``" 6 "`` -> 6, ``"6.0"`` -> 6.0 (an int whenever the text is one, so ``"6"`` stays
    integral); ValueError when it is no number. ``"inf"``/``"nan"`` parse: callers that need a
    finite number check for it, each with its own message."""
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        return float(text)
