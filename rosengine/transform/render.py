"""The processed template as text (``ros transform``, and what a stack keeps as ROS's
``GetTemplate TemplateStage=Processed``), in the format the original was written in."""

from __future__ import annotations

import json
from typing import Any

from rosengine.template.model import Template


def render(data: Any, fmt: str) -> str:
    """``data`` as ``json`` (2-space indent) or ``yaml`` text."""
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    from rosengine.transform.yaml_text import yaml_text  # PyYAML: only for YAML output

    return yaml_text(data)


def processed_text(template: Template) -> str:
    """The expansion of a transformed template; "" for a template that had no Transform (its
    processed form is the original)."""
    if template.transform is None:
        return ""
    return render(template.data, template.format)
