"""Static checks of templates: the one API ``ros validate``, the stack engine and the tests use.

* :func:`check_template` (a loaded Template, parameters) -> every located TemplateError
* :func:`check_properties` (type, resolved properties, path) -> errors; the engine's last check
  before a provider call
* :func:`unknown_attribute` / :func:`unknown_physical_id`: the values of ``Fn::GetAtt`` / ``Ref``
  of resources that do not exist yet
* :func:`validate` (files) / :func:`validate_file` -> :class:`~rosengine.errors.Finding` rows
* :func:`validate_properties` (properties, schema, base path) -> TemplateErrors; pure
* :func:`schema_for` / :func:`attribute_names`: which schema/attributes a type has (``Custom::*`` too)
* :func:`render` (findings, files, "text"|"json"|"sarif"|"junit") -> str
"""

from rosengine.validate.formats import FORMATS, render
from rosengine.validate.properties import schema_document, validate_properties
from rosengine.validate.resource_schemas import AttributeNames, attribute_names, schema_for
from rosengine.validate.template_check import (
    check_properties,
    check_template,
    resource_type_finding,
    unknown_attribute,
    unknown_physical_id,
)
from rosengine.validate.validator import validate, validate_file

__all__ = [
    "FORMATS",
    "AttributeNames",
    "attribute_names",
    "check_properties",
    "check_template",
    "render",
    "resource_type_finding",
    "schema_document",
    "schema_for",
    "unknown_attribute",
    "unknown_physical_id",
    "validate",
    "validate_file",
    "validate_properties",
]
