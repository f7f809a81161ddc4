"""Serverless (Funcraft) templates written inline in the Transform tests, loaded and expanded."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from rosengine.errors import TemplateError, TemplateErrors
from rosengine.template import Template, load_template

HEADER = "ROSTemplateFormatVersion: '2015-09-01'\nTransform: 'Aliyun::Serverless-2018-04-03'\n"


def write(directory: Path, body: str, name: str = "template.yml") -> Path:
    path = directory / name
    path.write_text(HEADER + textwrap.dedent(body), encoding="utf-8")
    return path


def expand(directory: Path, body: str) -> Template:
    path = write(directory, body)
    return load_template(path, filename=str(path))


def errors_of(directory: Path, body: str) -> list[TemplateError]:
    path = write(directory, body)
    try:
        load_template(path, filename=str(path))
    except TemplateErrors as exc:
        return exc.errors
    raise AssertionError("the template loaded without errors")


def resources(template: Template) -> dict[str, Any]:
    return template.data["Resources"]


def types(template: Template) -> dict[str, str]:
    return {lid: r["Type"] for lid, r in resources(template).items()}
