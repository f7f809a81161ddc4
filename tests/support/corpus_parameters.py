"""Parameter values for deploying real templates in tests: the default, else the first allowed
value, else a plausible value for the parameter's type, name and constraints.

Why plausible rather than random: the corpus's templates name zones, VPCs, passwords and buckets;
a value that looks like one (``cn-hangzhou-h``, ``vpc-lcl...``, a password meeting ROS's usual
rules, a lowercase name of the allowed length) lets the template deploy as it would for a user.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rosengine.patterns import compile_pattern

_BY_NAME: tuple[tuple[str, str], ...] = (
    ("zoneid", "cn-hangzhou-h"),
    ("vswitchid", "vsw-lcl00000000000000"),
    ("vpcid", "vpc-lcl00000000000000"),
    ("securitygroupid", "sg-lcl00000000000000"),
    ("instancetype", "ecs.g6.large"),
    ("imageid", "centos_7_9_x64_20G_alibase_20230919.vhd"),
    ("password", "Rosengine1!Local"),
    ("region", "cn-hangzhou"),
    ("cidr", "192.168.0.0/16"),
    ("domain", "example.com"),
    ("email", "dev@example.com"),
    ("certificateid", "1234567"),
    ("accesskey", "LTAIlocal0000000000"),
)


def _fits(value: str, spec: Mapping[str, Any]) -> bool:
    low, high = spec.get("MinLength"), spec.get("MaxLength")
    if low is not None and len(value) < int(low):
        return False
    if high is not None and len(value) > int(high):
        return False
    pattern = spec.get("AllowedPattern")
    if isinstance(pattern, str):
        try:
            return compile_pattern(pattern).fullmatch(value)
        except ValueError:
            return True
    return True


def _string(name: str, spec: Mapping[str, Any]) -> str:
    lowered = name.lower()
    hints = f"{lowered} {str(spec.get('AssociationProperty') or '').lower()}"
    candidates = [value for key, value in _BY_NAME if key in hints.replace("::", "").replace("_", "")]
    base = re.sub(r"[^a-z0-9]", "", lowered)[:20] or "value"
    candidates += [f"ros-{base}", f"ros{base}", base, "rostest1", "Rostest1", "a1", "1"]
    low = int(spec.get("MinLength") or 0)
    for candidate in candidates:
        padded = candidate + "x" * max(0, low - len(candidate))
        if _fits(padded, spec):
            return padded
    return candidates[0]


def plausible_value(name: str, spec: Mapping[str, Any]) -> Any:
    """A value for one parameter (None when its default serves)."""
    if spec.get("Default") is not None:
        return None
    allowed = spec.get("AllowedValues")
    if isinstance(allowed, list) and allowed:
        return allowed[0]
    kind = str(spec.get("Type") or "String")
    if kind == "Number":
        low = spec.get("MinValue")
        return str(low if low is not None else 1)
    if kind == "Boolean":
        return "true"
    if kind == "Json":
        return "{}"
    if kind == "CommaDelimitedList":
        return _string(name, spec)
    if kind.startswith("ALIYUN::"):
        return _string(kind, spec)
    return _string(name, spec)


def plausible_parameters(template_data: Mapping[str, Any]) -> dict[str, Any]:
    parameters = template_data.get("Parameters") or {}
    values: dict[str, Any] = {}
    for name, spec in parameters.items():
        if isinstance(spec, Mapping):
            value = plausible_value(name, spec)
            if value is not None:
                values[name] = value
    return values
