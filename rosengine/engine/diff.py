"""Compare a resource's stored (resolved) properties with newly resolved ones.

Why separate: the update executor and the static plan (preview, change sets, "no changes")
must agree exactly on what counts as a change and what forces a replacement.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from resource_types import registry
from rosengine.functions.base import Unknown, contains_unknown


def normalise(value: Any) -> Any:
    """Plain JSON data (tuples → lists, odd scalars → str), as the store returns it."""
    return json.loads(json.dumps(value, default=_encode))


def _encode(value: Any) -> Any:
    if isinstance(value, Unknown):
        return {"__unknown__": value.source or value.type or "value"}
    return str(value)


@dataclass
class PropertyDiff:
    changed: list[str] = field(default_factory=list)  # top-level property names
    dynamic: list[str] = field(default_factory=list)  # changed because a value is not known yet
    replacing: list[str] = field(default_factory=list)  # create-only properties among changed
    replacing_dynamic: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.changed)


def diff_properties(type_name: str, old: dict[str, Any], new: dict[str, Any]) -> PropertyDiff:
    schema = registry.schema(type_name)
    create_only = schema.create_only if schema is not None else frozenset()
    result = PropertyDiff()
    old_n = normalise(old or {})
    for key in sorted(set(old_n) | set(new or {})):
        new_value = (new or {}).get(key)
        unknown = contains_unknown(new_value)
        if not unknown and key in old_n and key in (new or {}) and normalise(new_value) == old_n[key]:
            continue
        result.changed.append(key)
        if unknown:
            result.dynamic.append(key)
        if key in create_only:
            (result.replacing_dynamic if unknown else result.replacing).append(key)
    return result
