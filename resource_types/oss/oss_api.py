"""How the OSS providers speak the OSS API: template properties to OSS's XML documents, and OSS
errors to provider errors.

Why a module of its own: ROS writes a bucket's configuration as PascalCase maps and lists
(``LifecycleConfiguration: {Rule: [...]}``); OSS takes the same names as XML elements, a list
becoming repeated elements of its own name (``<Rule>…</Rule><Rule>…</Rule>``).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from resource_types.base import ProviderError
from rosengine.clients.oss import OssApiError

# template property -> (OSS sub-resource, XML root element); "policy" is JSON, not XML
DOCUMENT_PROPERTIES: dict[str, tuple[str, str]] = {
    "VersioningConfiguration": ("versioning", "VersioningConfiguration"),
    "LifecycleConfiguration": ("lifecycle", "LifecycleConfiguration"),
    "CORSConfiguration": ("cors", "CORSConfiguration"),
    "LoggingConfiguration": ("logging", "BucketLoggingStatus"),
    "RefererConfiguration": ("referer", "RefererConfiguration"),
    "ServerSideEncryptionConfiguration": ("encryption", "ServerSideEncryptionRule"),
    "WebsiteConfigurationV2": ("website", "WebsiteConfiguration"),
    "Policy": ("policy", ""),
}


@contextmanager
def oss_errors(doing: str) -> Iterator[None]:
    try:
        yield
    except OssApiError as exc:
        raise ProviderError(f"{doing}: {exc.code}: {exc.message}", code=exc.code or "OssError") from None


def _fill(parent: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for name, item in value.items():
            if isinstance(item, list):
                for element in item:
                    _fill(ET.SubElement(parent, name), element)
            else:
                _fill(ET.SubElement(parent, name), item)
    elif isinstance(value, bool):
        parent.text = "true" if value else "false"
    elif value is not None:
        parent.text = str(value)


def document(prop: str, value: Any) -> bytes:
    """The body OSS takes for the configuration property ``prop``."""
    if prop == "Policy":
        return (value if isinstance(value, str) else json.dumps(value)).encode("utf-8")
    _, root_name = DOCUMENT_PROPERTIES[prop]
    root = ET.Element(root_name)
    if prop == "LoggingConfiguration":
        _fill(ET.SubElement(root, "LoggingEnabled"), value)
    elif prop == "RefererConfiguration":
        _fill(root, {k: v for k, v in value.items() if k != "RefererList"})
        referers = ET.SubElement(root, "RefererList")
        for referer in value.get("RefererList") or []:
            ET.SubElement(referers, "Referer").text = str(referer)
    elif prop == "ServerSideEncryptionConfiguration":
        _fill(ET.SubElement(root, "ApplyServerSideEncryptionByDefault"), value)
    else:
        _fill(root, value)
    return ET.tostring(root, encoding="utf-8")
