"""``Fn::MemberListToMap`` — ``[KeyName, ValueName, [".member.0.Name=k", ".member.0.Value=v", ...]]``
-> ``{"k": "v"}`` (legacy, inherited from Heat).

Each entry is ``<prefix>.member.<n>.<field>=<text>``; entries are grouped by ``n`` and each group
contributes ``{group[KeyName]: group[ValueName]}``, in order of ``n``. A group without the key
field is skipped; without the value field it maps to ``""``. An entry that does not have this
shape is an error naming it.

When ``member.`` occurs more than once, the last occurrence that gives a well-formed entry wins
(``a.member.0.b.member.1.Name=x`` is member 1's ``Name``). Entries are read by hand, in time
linear in their length; the regular expression this replaces took quadratic time on entries that
repeat ``member.1.`` without an ``=``.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, describe, expect_list, fail
from rosengine.functions.base import FunctionContext, FunctionError
from rosengine.limits import NUMBER_DIGITS

NAME = "Fn::MemberListToMap"
SHAPE = '[KeyName, ValueName, [".member.0.KeyName=key", ".member.0.ValueName=value", ...]]'
_MEMBER = "member."


def parse_entry(entry: str) -> tuple[int, str, str] | None:
    """``(n, field, value)`` of ``<prefix.>member.<n>.<field>=<value>``, or None."""
    equals: list[int] | None = None  # positions of "=", found once when first needed
    end = len(entry)
    start = entry.rfind(_MEMBER)
    while start >= 0:
        if start == 0 or entry[start - 1] == ".":
            digits = start + len(_MEMBER)
            stop = digits
            while stop < end and entry[stop].isdecimal():
                stop += 1
            field = stop + 1
            if digits < stop <= digits + NUMBER_DIGITS.maximum and stop < end and entry[stop] == ".":
                if equals is None:
                    equals = [index for index, char in enumerate(entry) if char == "="]
                at = bisect_left(equals, field)
                if at < len(equals) and equals[at] > field:
                    sign = equals[at]
                    return int(entry[digits:stop]), entry[field:sign], entry[sign + 1 :]
        start = entry.rfind(_MEMBER, 0, start + len(_MEMBER) - 1) if start > 0 else -1
    return None


def evaluate_member_list_to_map(args: Any, ctx: FunctionContext, path: Path) -> Any:
    key_name, value_name, members = expect_list(NAME, args, SHAPE, min_len=3, max_len=3)
    for index, name in enumerate((key_name, value_name)):
        if not isinstance(name, str):
            raise fail(NAME, f"argument {index + 1} to be a field name string", name, (index,))
    if not isinstance(members, list):
        raise fail(NAME, "its third argument to be a list of 'member.N.Field=value' strings", members, (2,))
    groups: dict[int, dict[str, str]] = {}
    for index, entry in enumerate(members):
        parsed = parse_entry(entry) if isinstance(entry, str) else None
        if parsed is None:
            raise FunctionError(
                f"{NAME}: entry {index} should look like '.member.N.Field=value' but is {describe(entry)}",
                sub_path=(2, index),
            )
        number, field, value = parsed
        groups.setdefault(number, {})[field] = value
    result: dict[str, str] = {}
    for number in sorted(groups):
        group = groups[number]
        if key_name in group:
            result[group[key_name]] = group.get(value_name, "")
    return result


define(NAME, evaluate_member_list_to_map, result_type="object")
