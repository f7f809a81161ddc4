"""A processed template as YAML text: block style, keys in template order, long strings not folded,
multi-line strings as literal blocks.

Its own module so that :mod:`rosengine.transform.render`, which every stack operation calls, loads
PyYAML only for a YAML template that had a Transform."""

from __future__ import annotations

from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    """Block style, keys in template order, long strings not folded."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def yaml_text(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1_000_000)
