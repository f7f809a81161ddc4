"""Template transforms: a template written in another dialect becomes plain ROS before anything
else looks at it (sections, parameters, validation, planning all see the processed template).

``apply_transform`` is the one place the loader calls. ``Aliyun::Serverless-2018-04-03``
(Funcraft's serverless model) is expanded by :mod:`rosengine.transform.serverless`; every node
of the result remembers the node of the file it came from, so an error anywhere is reported at
the user's line. ``Aliyun::Terraform-v1.x`` is refused with what to do instead.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING

from rosengine.errors import INVALID_TEMPLATE_SECTION, NOT_SUPPORTED, TemplateError

if TYPE_CHECKING:  # the template package imports this module from its loader
    from rosengine.template.model import Template

SERVERLESS = "Aliyun::Serverless-2018-04-03"
TERRAFORM_PREFIX = "Aliyun::Terraform-"


def apply_transform(template: Template) -> tuple[Template, list[TemplateError], bool]:
    """(template to go on with, errors, whether the rest of the template can still be checked).

    A template without ``Transform`` is returned as is. A serverless template is returned
    expanded (``template.transform`` says from what; its warnings include the expansion's), with
    the expansion's errors, located in the original file."""
    data = template.data
    if "Transform" not in data:
        return template, [], True
    value = data["Transform"]
    if value == SERVERLESS:
        return _expand_serverless(template)
    where = ("Transform",)
    if isinstance(value, str) and value.startswith(TERRAFORM_PREFIX):
        version = value[len(TERRAFORM_PREFIX) :]
        message = (
            f"Transform {value} (Terraform {version}, with the Terraform files in Workspace) is not "
            "supported "
            "by rosengine: it evaluates the ROS template language. Deploy this template with ROS itself "
            "(aliyun ros CreateStack), or run its Workspace files with Terraform and the alicloud provider "
            "(terraform init && terraform apply)"
        )
        return template, [template.locate(TemplateError(NOT_SUPPORTED, message, where))], False
    if not isinstance(value, str):
        message = f"Transform must be a literal string such as {SERVERLESS!r}, not a function or a structure"
        return template, [template.locate(TemplateError(INVALID_TEMPLATE_SECTION, message, where))], False
    message = (
        f"unknown Transform {value!r}; rosengine expands {SERVERLESS!r} "
        "(Terraform transforms are not supported)"
    )
    return template, [template.locate(TemplateError(NOT_SUPPORTED, message, where))], False


def _expand_serverless(template: Template) -> tuple[Template, list[TemplateError], bool]:
    from rosengine.transform.serverless import expand_serverless
    from rosengine.transform.sourcemap import TranslatedSourceMap

    filename = template.filename
    base_dir = (
        os.path.dirname(os.path.abspath(filename))
        if filename and not filename.startswith("<")
        else os.getcwd()
    )
    data, expansion = expand_serverless(template.data, base_dir)
    errors = [template.locate(err) for err in expansion.errors]
    warnings = [template.locate(warning) for warning in expansion.warnings]
    processed = replace(
        template,
        data=data,
        source_map=TranslatedSourceMap(template.source_map, expansion.origins),
        warnings=[*template.warnings, *warnings],
        transform=SERVERLESS,
    )
    return processed, errors, True


__all__ = ["SERVERLESS", "apply_transform"]
