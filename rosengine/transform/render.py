"""The processed template as text (``ros transform``, and what a stack keeps as ROS's
``GetTemplate TemplateStage=Processed``), in the format the original was written in."""

from __future__ import annotations

import json
from typing import Any

import yaml

from rosengine.template.model import Template


class _Dumper(yaml.SafeDumper):
    """Block style, keys in template order, long strings not folded."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def render(data: Any, fmt: str) -> str:
    """``data`` as ``json`` (2-space indent) or ``yaml`` text."""
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1_000_000)


def processed_text(template: Template) -> str:
    """The expansion of a transformed template; "" for a template that had no Transform (its
    processed form is the original)."""
    if template.transform is None:
        return ""
    return render(template.data, template.format)
