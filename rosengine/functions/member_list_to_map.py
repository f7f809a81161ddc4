"""``Fn::MemberListToMap`` — ``[KeyName, ValueName, [".member.0.Name=k", ".member.0.Value=v", ...]]``
-> ``{"k": "v"}`` (legacy, inherited from Heat).

Each entry is ``<prefix>.member.<n>.<field>=<text>``; entries are grouped by ``n`` and each group
contributes ``{group[KeyName]: group[ValueName]}``, in order of ``n``. A group without the key
field is skipped; without the value field it maps to ``""``. An entry that does not have this
shape is an error naming it.
"""

from __future__ import annotations

import re
from typing import Any

from rosengine.errors import Path
from rosengine.functions._args import define, expect_list, fail
from rosengine.functions.base import FunctionContext, FunctionError

NAME = "Fn::MemberListToMap"
SHAPE = '[KeyName, ValueName, [".member.0.KeyName=key", ".member.0.ValueName=value", ...]]'
_ENTRY = re.compile(r"^(?:.*\.)?member\.(\d+)\.([^=]+)=(.*)$", re.DOTALL)


def evaluate_member_list_to_map(args: Any, ctx: FunctionContext, path: Path) -> Any:
    key_name, value_name, members = expect_list(NAME, args, SHAPE, min_len=3, max_len=3)
    for index, name in enumerate((key_name, value_name)):
        if not isinstance(name, str):
            raise fail(NAME, f"argument {index + 1} to be a field name string", name, (index,))
    if not isinstance(members, list):
        raise fail(NAME, "its third argument to be a list of 'member.N.Field=value' strings", members, (2,))
    groups: dict[int, dict[str, str]] = {}
    for index, entry in enumerate(members):
        match = _ENTRY.match(entry) if isinstance(entry, str) else None
        if match is None:
            raise FunctionError(
                f"{NAME}: entry {index} should look like '.member.N.Field=value' but is {entry!r}",
                sub_path=(2, index),
            )
        groups.setdefault(int(match.group(1)), {})[match.group(2)] = match.group(3)
    result: dict[str, str] = {}
    for number in sorted(groups):
        group = groups[number]
        if key_name in group:
            result[group[key_name]] = group.get(value_name, "")
    return result


define(NAME, evaluate_member_list_to_map, result_type="object")
