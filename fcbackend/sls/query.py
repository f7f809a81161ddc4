"""The search part of a GetLogs query, as far as the local twin understands it.

Supported (docs/sls.md says the same for users):

* ``*`` or an empty query: every log in the time range;
* a term (``error``, ``timeout*``, ``err?r``): full-text search — some token of the log (its keys,
  values, topic, source and tags, split at SLS's default delimiters, case-insensitive) matches,
  ``*`` standing for any characters and ``?`` for one; a quoted phrase (``"connection reset"``)
  matches consecutive tokens;
* ``key: value`` (``key:value``, ``key: "a phrase"``, ``key: val*``): the same, on that field only;
  ``__topic__``, ``__source__`` and ``__tag__:<name>`` name the group's topic, source and tags;
* ``key > 10``, ``>=``, ``<``, ``<=``, ``=``: numeric comparisons on a field;
* ``and``, ``or``, ``not`` (any case), parentheses; terms side by side mean ``and``.

Anything else gets SLS's ``ParameterInvalid`` naming the position and what was expected — in
particular an SQL analysis after ``|``, which the twin does not run, and a term that starts with a
wildcard (SLS refuses those too). Nothing is silently ignored. Index settings (delimiters, case
sensitivity, per-key types) are not applied: every field is searchable as text (INFERRED: enough
for tests and local debugging).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from fcbackend.sls.errors import parameter_invalid
from fcbackend.sls.store import LogEntry

# SLS's default token delimiters (the console's default token list).
DELIMITERS = ",'\";=()[]{}?@&<>/:\n\t\r "
_SPLIT = re.compile("[" + re.escape(DELIMITERS) + "]+")
# In a query, ``?`` is a wildcard, not a delimiter.
_SPLIT_QUERY = re.compile("[" + re.escape(DELIMITERS.replace("?", "")) + "]+")
_TOKEN_CHARS = re.compile(r'\s+|"(?:[^"\\]|\\.)*"?|>=|<=|[()<>=:|]|[^\s()<>=:|"]+')
_KEYWORDS = {"and", "or", "not"}
MAX_QUERY_LENGTH = 8192


def tokens(text: str) -> list[str]:
    """``text`` split at the delimiters, lower-cased (empty pieces dropped)."""
    return [t for t in _SPLIT.split(text.lower()) if t]


def query_words(text: str) -> list[str]:
    """A query value split like log text, keeping the ``?`` wildcard inside words."""
    return [t for t in _SPLIT_QUERY.split(text.lower()) if t]


def wildcard_match(pattern: str, text: str) -> bool:
    """``*`` any run of characters, ``?`` one character; linear-space two-pointer matching."""
    p = t = 0
    star = -1
    mark = 0
    while t < len(text):
        if p < len(pattern) and (pattern[p] == "?" or pattern[p] == text[t]):
            p += 1
            t += 1
        elif p < len(pattern) and pattern[p] == "*":
            star, mark = p, t
            p += 1
        elif star >= 0:
            p = star + 1
            mark += 1
            t = mark
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)


class _Fields:
    """What a query looks at in one log (computed lazily, once)."""

    def __init__(self, entry: LogEntry, text: str):
        self.entry = entry
        self.text = text
        self._tokens: list[str] | None = None
        self._by_key: dict[str, list[str]] | None = None

    def all_tokens(self) -> list[str]:
        if self._tokens is None:
            self._tokens = tokens(self.text)
        return self._tokens

    def values(self, key: str) -> list[str]:
        if self._by_key is None:
            by_key: dict[str, list[str]] = {}
            for name, value in self.entry.fields:
                by_key.setdefault(name, []).append(value)
            for name, value in self.entry.tags:
                by_key.setdefault(f"__tag__:{name}", []).append(value)
            by_key["__topic__"] = [self.entry.topic]
            by_key["__source__"] = [self.entry.source]
            self._by_key = by_key
        return self._by_key.get(key, [])


Predicate = Callable[[_Fields], bool]


def _phrase_in(words: list[str], haystack: list[str]) -> bool:
    if not words:
        return True
    if len(words) == 1:
        word = words[0]
        if "*" in word or "?" in word:
            return any(wildcard_match(word, token) for token in haystack)
        return word in haystack
    last = len(haystack) - len(words)
    return any(all(wildcard_match(w, haystack[i + j]) for j, w in enumerate(words)) for i in range(last + 1))


@dataclass
class _Token:
    kind: str  # word | phrase | op | ( | ) | : | |
    text: str
    position: int


def _lex(query: str) -> list[_Token]:
    out: list[_Token] = []
    for match in _TOKEN_CHARS.finditer(query):
        text = match.group(0)
        if text.isspace():
            continue
        position = match.start() + 1
        if text.startswith('"'):
            if len(text) < 2 or not text.endswith('"') or text.endswith('\\"'):
                raise parameter_invalid(f"query position {position}: the quoted phrase is not closed")
            out.append(_Token("phrase", re.sub(r"\\(.)", r"\1", text[1:-1]), position))
        elif text in (">", "<", ">=", "<=", "="):
            out.append(_Token("op", text, position))
        elif text in ("(", ")", ":", "|"):
            out.append(_Token(text, text, position))
        else:
            out.append(_Token("word", text, position))
    return out


class _Parser:
    def __init__(self, query: str):
        self.query = query
        self.tokens = _lex(query)
        self.index = 0

    def peek(self, offset: int = 0) -> _Token | None:
        i = self.index + offset
        return self.tokens[i] if i < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, token: _Token | None, expected: str) -> Exception:
        if token is None:
            return parameter_invalid(f"query ends early: expected {expected}")
        return parameter_invalid(
            f"query position {token.position}: expected {expected}, found '{token.text}'"
        )

    def keyword(self, token: _Token | None, word: str) -> bool:
        return token is not None and token.kind == "word" and token.text.lower() == word

    def parse(self) -> Predicate:
        if not self.tokens:
            return lambda fields: True
        predicate = self.or_expr()
        token = self.peek()
        if token is not None:
            if token.kind == "|":
                raise parameter_invalid(
                    f"query position {token.position}: SQL analysis (the part after '|') is not emulated "
                    "locally; only the search part of a query runs here"
                )
            raise self.fail(token, "'and', 'or' or the end of the query")
        return predicate

    def or_expr(self) -> Predicate:
        parts = [self.and_expr()]
        while self.keyword(self.peek(), "or"):
            self.take()
            parts.append(self.and_expr())
        if len(parts) == 1:
            return parts[0]
        return lambda fields: any(part(fields) for part in parts)

    def and_expr(self) -> Predicate:
        parts = [self.not_expr()]
        while True:
            token = self.peek()
            if self.keyword(token, "and"):
                self.take()
            elif token is None or token.kind in (")", "|") or self.keyword(token, "or"):
                break
            parts.append(self.not_expr())
        if len(parts) == 1:
            return parts[0]
        return lambda fields: all(part(fields) for part in parts)

    def not_expr(self) -> Predicate:
        if self.keyword(self.peek(), "not"):
            self.take()
            inner = self.not_expr()
            return lambda fields: not inner(fields)
        return self.primary()

    def primary(self) -> Predicate:
        token = self.peek()
        if token is None:
            raise self.fail(None, "a search term")
        if token.kind == "(":
            self.take()
            inner = self.or_expr()
            closing = self.peek()
            if closing is None or closing.kind != ")":
                raise self.fail(closing, "')'")
            self.take()
            return inner
        if token.kind == "phrase":
            self.take()
            words = query_words(token.text)
            return lambda fields: _phrase_in(words, fields.all_tokens())
        if token.kind != "word" or token.text.lower() in _KEYWORDS:
            raise self.fail(token, "a search term")
        self.take()
        if token.text == "*":
            return lambda fields: True
        after = self.peek()
        if after is not None and after.kind == ":":
            return self.field_term(self._key(token))
        if after is not None and after.kind == "op":
            return self.comparison(token.text)
        return self.full_text(token)

    def _key(self, first: _Token) -> str:
        """The field name before ``:``; ``__tag__:name`` spans a colon of its own."""
        self.take()  # the ':'
        if first.text == "__tag__":
            name = self.peek()
            if name is None or name.kind != "word" or (self.peek(1) or _Token("", "", 0)).kind != ":":
                raise self.fail(name, "a tag name and ':' after '__tag__:'")
            self.take()
            self.take()
            return f"__tag__:{name.text}"
        return first.text

    def field_term(self, key: str) -> Predicate:
        value = self.peek()
        if value is None or value.kind not in ("word", "phrase"):
            raise self.fail(value, f"a value after '{key}:'")
        self.take()
        if value.kind == "word":
            self._check_wildcard(value)
        words = query_words(value.text)
        if value.kind == "word" and value.text == "*":
            return lambda fields: bool(fields.values(key))
        return lambda fields: any(_phrase_in(words, tokens(v)) for v in fields.values(key))

    def comparison(self, key: str) -> Predicate:
        op = self.take().text
        number_token = self.peek()
        if number_token is None or number_token.kind != "word":
            raise self.fail(number_token, f"a number after '{key} {op}'")
        self.take()
        try:
            number = float(number_token.text)
        except ValueError:
            raise self.fail(number_token, f"a number after '{key} {op}'") from None
        compare: Callable[[float], bool] = {
            ">": lambda v: v > number,
            ">=": lambda v: v >= number,
            "<": lambda v: v < number,
            "<=": lambda v: v <= number,
            "=": lambda v: v == number,
        }[op]

        def matches(fields: _Fields) -> bool:
            for value in fields.values(key):
                try:
                    if compare(float(value)):
                        return True
                except ValueError:
                    continue
            return False

        return matches

    def full_text(self, token: _Token) -> Predicate:
        self._check_wildcard(token)
        words = query_words(token.text)
        return lambda fields: _phrase_in(words, fields.all_tokens())

    def _check_wildcard(self, token: _Token) -> None:
        if token.text != "*" and token.text[:1] in ("*", "?"):
            raise parameter_invalid(
                f"query position {token.position}: a term cannot start with a wildcard ('{token.text}')"
            )


def compile_query(query: str) -> Callable[[LogEntry, str], bool]:
    """A predicate over (log, its searchable text); raises ``ParameterInvalid`` for a query the
    twin does not support, naming the position."""
    if len(query) > MAX_QUERY_LENGTH:
        raise parameter_invalid(f"the query is longer than {MAX_QUERY_LENGTH} characters")
    predicate = _Parser(query.strip()).parse()
    return lambda entry, text: predicate(_Fields(entry, text))
