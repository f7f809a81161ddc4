"""Helpers for the template-core tests: build templates from snippets, capture TemplateErrors."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import Any

import pytest

from rosengine.errors import TemplateError, TemplateErrors
from rosengine.template import Template, load_template

HEADER = 'ROSTemplateFormatVersion: "2015-09-01"\n'


def yaml_template(body: str, *, filename: str = "t.yml") -> Template:
    """Load ``body`` (dedented YAML, version header added) as a template."""
    return load_template(HEADER + textwrap.dedent(body), filename=filename)


def errors_from(action: Callable[[], Any]) -> list[TemplateError]:
    """Run ``action`` and return the TemplateErrors it raised (fails the test if none)."""
    with pytest.raises(TemplateErrors) as caught:
        action()
    return caught.value.errors


def only_error(action: Callable[[], Any]) -> TemplateError:
    errors = errors_from(action)
    assert len(errors) == 1, [str(err) for err in errors]
    return errors[0]


def physical_id(logical_id: str) -> str:
    return f"id-{logical_id}"


def attribute(logical_id: str, name: str) -> str:
    return f"{logical_id}.{name}"
