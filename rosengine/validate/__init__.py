"""``ros validate``: findings, property validation against resource-type schemas, output formats.

Public API:

* :func:`validate` (files, parameters=None, strict=False) -> list of :class:`~rosengine.errors.Finding`
* :func:`check_template` (a loaded Template) -> located TemplateErrors; the stack engine's pre-flight
* :func:`validate_properties` (properties, schema, base path) -> TemplateErrors; pure
* :func:`schema_for` / :func:`attribute_names`: which schema/attributes a type has (``Custom::*`` too)
* :func:`render` (findings, files, "text"|"json"|"sarif"|"junit") -> str
"""

from rosengine.validate.formats import FORMATS, render
from rosengine.validate.properties import schema_document, validate_properties
from rosengine.validate.resource_schemas import AttributeNames, attribute_names, schema_for
from rosengine.validate.validator import check_template, validate, validate_file

__all__ = [
    "FORMATS",
    "AttributeNames",
    "attribute_names",
    "check_template",
    "render",
    "schema_document",
    "schema_for",
    "validate",
    "validate_file",
    "validate_properties",
]
