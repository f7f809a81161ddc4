"""Collect every error of a template in one pass, for ``ros validate`` and similar tools.

``load_template`` and ``prepare`` already report all problems of their stages; this goes one step
further and evaluates every resource's Properties and every output statically (GetAtt results and
missing parameters are :class:`Unknown`), so function errors inside properties are found too.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable, Mapping
from typing import Any

from rosengine.errors import TemplateError, TemplateErrors
from rosengine.functions.base import Unknown
from rosengine.template.loader import load_template
from rosengine.template.model import Template
from rosengine.template.prepare import AttributeNames, PreparedTemplate, prepare, unique_errors


def collect_errors(
    source: Template | str | bytes | pathlib.Path,
    parameters: Mapping[str, Any] | None = None,
    *,
    filename: str | None = None,
    attribute_names: AttributeNames | None = None,
    attribute_type: Callable[[str, str], str | None] | None = None,
    **prepare_options: Any,
) -> tuple[PreparedTemplate | None, list[TemplateError]]:
    """Load (unless given a Template), prepare statically and resolve everything statically.

    Returns the prepared template (None when loading or preparing failed) and every error found,
    each located. ``attribute_type(resource_type, attribute)`` may give the JSON type of a GetAtt
    result for the Unknown values (None: any type).
    """
    try:
        template = source if isinstance(source, Template) else load_template(source, filename=filename)
    except TemplateErrors as errs:
        return None, list(errs.errors)
    try:
        prepared = prepare(
            template, parameters, static=True, attribute_names=attribute_names, **prepare_options
        )
    except TemplateErrors as errs:
        return None, list(errs.errors)
    errors: list[TemplateError] = []

    def attributes(logical_id: str, attribute: str) -> Unknown:
        resource = prepared.resources.get(logical_id)
        kind = attribute_type(resource.type, attribute) if attribute_type and resource else None
        return Unknown(kind, f"Fn::GetAtt {logical_id}.{attribute}")

    def physical_ids(logical_id: str) -> Unknown:
        return Unknown("string", f"Ref {logical_id}")

    for logical_id in prepared.resources:
        try:
            prepared.resolve_properties(logical_id, attributes, physical_ids)
        except TemplateError as err:
            errors.append(err)
    for name in prepared.outputs:
        try:
            prepared.resolve_output(name, attributes, physical_ids)
        except TemplateError as err:
            errors.append(prepared.template.locate(err))
    return prepared, unique_errors(errors)
