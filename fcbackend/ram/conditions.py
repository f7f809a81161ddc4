"""The ``Condition`` block of a RAM policy statement, compiled into tests of a request's context.

Grammar: ``{"<Operator>": {"<key>": value | [values]}}``. Every operator/key pair must hold (AND);
several values of one key are alternatives (OR). Keys are ``<namespace>:<name>`` and match
without regard to case (``acs:SourceIp``, ``acs:CurrentTime``, ``acs:SecureTransport``,
``oss:Prefix``...). Operators, from https://www.alibabacloud.com/help/en/ram/user-guide/policy-elements:

* strings: ``StringEquals``, ``StringNotEquals``, ``StringEqualsIgnoreCase``,
  ``StringNotEqualsIgnoreCase``, ``StringLike``, ``StringNotLike`` (``*``/``?`` wildcards);
* numbers: ``NumericEquals``, ``NumericNotEquals``, ``NumericLessThan``, ``NumericLessThanEquals``,
  ``NumericGreaterThan``, ``NumericGreaterThanEquals``;
* dates (ISO 8601, e.g. ``2019-08-12T17:00:00+08:00``): ``DateEquals``, ``DateNotEquals``,
  ``DateLessThan``, ``DateLessThanEquals``, ``DateGreaterThan``, ``DateGreaterThanEquals``;
* ``Bool`` (``true``/``false``); ``IpAddress``, ``NotIpAddress`` (addresses or CIDR blocks).

A key the request does not carry fails a positive operator and satisfies a negated one
(``...NotEquals``, ``StringNotLike``, ``NotIpAddress``): INFERRED, it is how AWS IAM defines
it and the only reading under which "deny unless from this network" denies a request without an
address.
"""

from __future__ import annotations

import functools
import ipaddress
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fcbackend.ram.globs import GlobSet

Test = Callable[[str | None], bool]

_NUMERIC = {
    "NumericEquals": operator.eq,
    "NumericNotEquals": operator.ne,
    "NumericLessThan": operator.lt,
    "NumericLessThanEquals": operator.le,
    "NumericGreaterThan": operator.gt,
    "NumericGreaterThanEquals": operator.ge,
}
_DATE = {
    "DateEquals": operator.eq,
    "DateNotEquals": operator.ne,
    "DateLessThan": operator.lt,
    "DateLessThanEquals": operator.le,
    "DateGreaterThan": operator.gt,
    "DateGreaterThanEquals": operator.ge,
}
_STRING = (
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
)
OPERATORS = frozenset((*_STRING, *_NUMERIC, *_DATE, "Bool", "IpAddress", "NotIpAddress"))


class ConditionError(ValueError):
    """A condition block that cannot be compiled; the message names the operator/key/value."""


def parse_date(text: str) -> datetime | None:
    """An ISO 8601 date-time (``Z`` or an offset; a bare date is midnight UTC) as aware UTC."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _as_text(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise ConditionError(f"{where}: values must be strings, numbers or booleans, got {type(value).__name__}")


def _string_test(op: str, values: list[str]) -> Test:
    negated = "Not" in op
    if op.startswith("StringLike") or op.startswith("StringNotLike"):
        globs = GlobSet.of(values)

        def like(given: str | None) -> bool:
            if given is None:
                return negated
            return globs.matches(given) != negated

        return like
    if op.endswith("IgnoreCase"):
        folded = frozenset(v.lower() for v in values)

        def equals_folded(given: str | None) -> bool:
            if given is None:
                return negated
            return (given.lower() in folded) != negated

        return equals_folded
    exact = frozenset(values)

    def equals(given: str | None) -> bool:
        if given is None:
            return negated
        return (given in exact) != negated

    return equals


def _compare_test(op: str, bounds: list[Any], convert: Callable[[str], Any], negated: bool) -> Test:
    compare = {**_NUMERIC, **_DATE}[op]

    def test(given: str | None) -> bool:
        if given is None:
            return negated
        value = convert(given)
        if value is None:
            return False
        if negated:  # "not equal to any of them"
            return all(compare(value, bound) for bound in bounds)
        return any(compare(value, bound) for bound in bounds)

    return test


@functools.lru_cache(maxsize=4096)
def _address(text: str) -> tuple[int, int] | None:
    """(IP version, address as an integer); cached because the same clients call again and again
    and parsing costs more than the rest of an evaluation."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    return address.version, int(address)


def _ip_test(op: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> Test:
    negated = op == "NotIpAddress"
    blocks = tuple((net.version, int(net.network_address), int(net.netmask)) for net in networks)

    def test(given: str | None) -> bool:
        if given is None:
            return negated
        parsed = _address(given)
        if parsed is None:
            return False
        version, value = parsed
        inside = any(version == v and value & mask == base for v, base, mask in blocks)
        return inside != negated

    return test


def _compile_one(op: str, key: str, raw_values: Any) -> Test:
    where = f"{op}.{key}"
    items = raw_values if isinstance(raw_values, list) else [raw_values]
    if not items:
        raise ConditionError(f"{where}: at least one value is required")
    values = [_as_text(v, where) for v in items]
    if op in _STRING:
        return _string_test(op, values)
    if op in _NUMERIC:
        numbers = [_number(v) for v in values]
        if any(n is None for n in numbers):
            raise ConditionError(f"{where}: {values} are not all numbers")
        return _compare_test(op, numbers, _number, op == "NumericNotEquals")
    if op in _DATE:
        dates = [parse_date(v) for v in values]
        if any(d is None for d in dates):
            raise ConditionError(f"{where}: {values} are not all ISO 8601 dates (e.g. 2024-01-31T12:00:00Z)")
        return _compare_test(op, dates, parse_date, op == "DateNotEquals")
    if op == "Bool":
        wanted = set()
        for v in values:
            if v.lower() not in ("true", "false"):
                raise ConditionError(f"{where}: {v!r} is not true or false")
            wanted.add(v.lower())
        return lambda given: given is not None and given.lower() in wanted
    networks = []
    for v in values:
        try:
            networks.append(ipaddress.ip_network(v.strip(), strict=False))
        except ValueError:
            raise ConditionError(f"{where}: {v!r} is not an IP address or CIDR block") from None
    return _ip_test(op, networks)


@dataclass(frozen=True)
class CompiledCondition:
    """All (lower-cased key, test) pairs of one statement's Condition block."""

    tests: tuple[tuple[str, Test], ...]

    def holds(self, context: Mapping[str, str]) -> bool:
        """``context`` keys must be lower-case (the authorizer folds them once per request)."""
        return all(test(context.get(key)) for key, test in self.tests)


def compile_condition(block: Any) -> CompiledCondition:
    """Raises :class:`ConditionError` naming the operator, key or value that is wrong."""
    if not isinstance(block, dict) or not block:
        raise ConditionError("Condition must be a non-empty object of {operator: {key: values}}")
    tests: list[tuple[str, Test]] = []
    for op, keys in block.items():
        if op not in OPERATORS:
            raise ConditionError(f"unknown condition operator {op!r} (known: {', '.join(sorted(OPERATORS))})")
        if not isinstance(keys, dict) or not keys:
            raise ConditionError(f"{op} must be a non-empty object of {{key: values}}")
        for key, values in keys.items():
            if not isinstance(key, str) or ":" not in key.strip(":"):
                raise ConditionError(f"{op}: condition key {key!r} must look like '<namespace>:<name>'")
            tests.append((key.lower(), _compile_one(op, key, values)))
    return CompiledCondition(tuple(tests))
