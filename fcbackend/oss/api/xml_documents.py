"""OSS's XML bodies: building the answers, and reading what clients send (safely).

Why ElementTree: the documents are small and flat; building them with SubElement keeps escaping
right for any key. Reading: a body is refused with OSS's ``MalformedXML`` when it is not
well-formed, is too large, has the wrong root element, or declares a DTD (no entity tricks).
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from fcbackend.oss.store import OssError

XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
MAX_XML_BYTES = 2 * 1024 * 1024


def iso_time(when: float) -> str:
    """OSS's ``2024-01-01T00:00:00.000Z``: whole seconds, always ``.000`` (``oss2`` parses only
    that form)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(int(when)))


class Document:
    """An XML answer under construction: ``doc.add(parent, "Name", value)``."""

    def __init__(self, root: str):
        self.root = ET.Element(root)

    def add(self, parent: ET.Element | None, tag: str, value: Any = None) -> ET.Element:
        node = ET.SubElement(self.root if parent is None else parent, tag)
        if value is not None:
            node.text = _text(value)
        return node

    def add_all(self, parent: ET.Element | None, pairs: Iterable[tuple[str, Any]]) -> None:
        for tag, value in pairs:
            self.add(parent, tag, value)

    def to_bytes(self) -> bytes:
        return XML_DECLARATION + ET.tostring(self.root, encoding="utf-8", short_empty_elements=False)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def url_encoded(value: str, encode: bool) -> str:
    """Keys and prefixes when the client asked for ``encoding-type=url``."""
    return quote(value, safe="/") if encode else value


def owner(doc: Document, parent: ET.Element | None, account_id: str) -> None:
    node = doc.add(parent, "Owner")
    doc.add(node, "ID", account_id)
    doc.add(node, "DisplayName", account_id)


def parse(body: bytes, root: str) -> ET.Element:
    """The parsed body, whose root element must be ``root``; else OSS's MalformedXML."""
    if not body.strip():
        raise OssError(
            400, "MalformedXML", f"The XML you provided is empty; a <{root}> document is required."
        )
    if len(body) > MAX_XML_BYTES:
        raise OssError(400, "MalformedXML", f"The XML you provided is larger than {MAX_XML_BYTES} bytes.")
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise OssError(400, "MalformedXML", "The XML you provided must not declare a DTD or entities.")
    try:
        element = ET.fromstring(body)
    except ET.ParseError as exc:
        raise OssError(400, "MalformedXML", f"The XML you provided was not well-formed: {exc}.") from None
    if element.tag != root:
        raise OssError(
            400,
            "MalformedXML",
            f"The XML you provided has root element <{element.tag}>; <{root}> was expected.",
        )
    return element


def child_text(element: ET.Element, path: str, *, required: bool = False) -> str | None:
    node = element.find(path)
    if node is None:
        if required:
            raise OssError(400, "MalformedXML", f"The XML you provided lacks <{path}> under <{element.tag}>.")
        return None
    return node.text or ""


def error_document(code: str, message: str, request_id: str, host_id: str, details: dict[str, str]) -> bytes:
    doc = Document("Error")
    doc.add_all(None, (("Code", code), ("Message", message), ("RequestId", request_id), ("HostId", host_id)))
    doc.add_all(None, details.items())
    return doc.to_bytes()
