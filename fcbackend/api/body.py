"""Reading request bodies safely: size bounded as they arrive, ``Content-MD5`` checked, JSON
nesting bounded before parsing, and ``NaN``/``Infinity`` refused.

Why one module: every API operation that takes a body (FC 2.0, and FC 3.0 through its router in
fcbackend.fc3.http) must refuse hostile bodies the same way and *before* doing the work they would
otherwise cost. Reading a body whole and handing it to :func:`json.loads` lets a client make the
backend buffer any amount of data, and a body nested 100,000 levels deep ends in a
``RecursionError`` (a 500), so:

* :func:`read_body` reads chunk by chunk and stops at ``limit`` bytes (a ``Content-Length``
  above it is refused before a byte is read) — 400 ``EntityTooLarge``, FC's code for a payload
  over its limit (https://www.alibabacloud.com/help/en/functioncompute/error-codes);
* a ``Content-MD5`` header (base64 of the MD5 digest as RFC 1864 has it, or its hex spelling,
  which Alibaba Cloud's log service uses) is compared with the body: a mismatch is 400
  ``InvalidDigest``. FC's error list names no code for this; ``InvalidDigest`` is the one Alibaba
  Cloud's object storage answers with (INFERRED for FC);
* :func:`parse_json_object` measures the nesting depth with a linear scan before parsing (at most
  :data:`MAX_JSON_DEPTH` levels) and parses with ``NaN``/``Infinity`` refused (they are not JSON,
  and echoing them back would send clients invalid JSON).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import AsyncIterator, Mapping
from itertools import accumulate
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.types import Receive

from fcbackend.api.errors import FcError, invalid

# A JSON body for an operation without code (services, triggers, aliases, configs, tags ...).
MAX_API_BODY = 1024 * 1024
# FC's bodies are a handful of levels deep; 64 leaves room for any configuration object.
MAX_JSON_DEPTH = 64
# Arrays and objects in one body: FC's largest bodies (a function with its layers, tags and
# configuration objects) hold a few dozen; the bound keeps the depth scan a few milliseconds.
MAX_JSON_CONTAINERS = 100_000

# JSON strings (with their escapes) removed before counting brackets: a bracket inside a string
# does not nest anything. The pattern matches from every quote it starts at (an unterminated
# string runs to the end of the body), so the scan never restarts inside text it has passed:
# linear in the body's size whatever the body holds.
_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\[\s\S]?)*+"?')
_BRACKETS_ONLY = bytes(range(256)).translate(None, b"[]{}")
_DEPTH_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def entity_too_large(limit: int) -> FcError:
    return FcError(400, "EntityTooLarge", f"payload size exceeds maximum allowed size ({limit} bytes)")


def declared_length(headers: Mapping[str, str]) -> int | None:
    """The ``Content-Length`` a client declared (None when absent); 400 when it is not a number."""
    raw = headers.get("content-length")
    if raw is None or raw == "":
        return None
    text = raw.strip()
    if not (text.isascii() and text.isdigit()):
        raise invalid(f"the Content-Length header {raw!r} is not a number")
    return int(text)


async def read_stream(
    chunks: AsyncIterator[bytes], headers: Mapping[str, str], limit: int, *, content_md5: bool = True
) -> bytes:
    """The whole body from ``chunks``, refused past ``limit`` bytes and checked against a sent
    ``Content-MD5`` (``content_md5=False``: a body the backend only passes on, such as an HTTP
    trigger's request, whose headers are the function's business)."""
    length = declared_length(headers)
    if length is not None and length > limit:
        raise entity_too_large(limit)
    parts: list[bytes] = []
    size = 0
    try:
        async for chunk in chunks:
            if not chunk:
                continue
            size += len(chunk)
            if size > limit:
                raise entity_too_large(limit)
            parts.append(chunk)
    except ClientDisconnect:
        raise invalid("the client closed the connection before sending the whole body") from None
    body = parts[0] if len(parts) == 1 else b"".join(parts)
    if content_md5:
        check_content_md5(headers, body)
    return body


async def read_body(request: Request, limit: int, *, content_md5: bool = True) -> bytes:
    """The request's body, read through :func:`read_stream` (size limit, ``Content-MD5``)."""
    return await read_stream(request.stream(), request.headers, limit, content_md5=content_md5)


async def _receive_chunks(receive: Receive) -> AsyncIterator[bytes]:
    """The body chunks of a raw ASGI request (the warm paths and routers have no Request)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise invalid("the client closed the connection before sending the whole body")
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return


async def read_asgi_body(receive: Receive, headers: Mapping[str, str], limit: int) -> bytes:
    """:func:`read_body` for a raw ASGI request; ``headers`` lower-cased."""
    return await read_stream(_receive_chunks(receive), headers, limit)


def check_content_md5(headers: Mapping[str, str], body: bytes) -> None:
    """400 ``InvalidDigest`` unless a sent ``Content-MD5`` is the MD5 of ``body``."""
    sent = headers.get("content-md5")
    if sent is None:
        return
    digest = hashlib.md5(body, usedforsecurity=False).digest()
    text = sent.strip()
    if len(text) == 32 and all(c in "0123456789abcdefABCDEF" for c in text):
        given = bytes.fromhex(text)
    else:
        try:
            given = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            given = b""
        if len(given) != 16:
            raise FcError(
                400,
                "InvalidDigest",
                f"the Content-MD5 header {sent!r} is not an MD5 digest "
                "(base64 of its 16 bytes, or 32 hex digits)",
            )
    if not hmac.compare_digest(given, digest):
        raise FcError(
            400,
            "InvalidDigest",
            "the Content-MD5 header does not match the body that was received "
            f"(the body's MD5 is {base64.b64encode(digest).decode()})",
        )


def check_json_shape(raw: bytes, what: str = "the request body") -> None:
    """400 unless ``raw`` nests at most :data:`MAX_JSON_DEPTH` levels of arrays and objects and
    holds at most :data:`MAX_JSON_CONTAINERS` of them, found in time linear in its size.

    Why not let the parser find out: it recurses once per level, so the depth must be known to
    be small *before* it starts. The count of opening brackets bounds the depth, so the usual
    body (a few dozen brackets) costs two C-level counts and no scan."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_JSON_DEPTH:
        return
    brackets = _JSON_STRING.sub(b"", raw).translate(None, _BRACKETS_ONLY)
    if len(brackets) > 2 * MAX_JSON_CONTAINERS:
        raise invalid(f"{what} holds more than {MAX_JSON_CONTAINERS} arrays and objects")
    depth = max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0)
    if depth > MAX_JSON_DEPTH:
        raise invalid(
            f"{what} nests arrays and objects {depth} levels deep; at most {MAX_JSON_DEPTH} are allowed"
        )


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_json(raw: bytes, what: str = "the request body") -> Any:
    """``raw`` parsed as JSON; 400 when it is not JSON, nests deeper than :data:`MAX_JSON_DEPTH`
    or holds ``NaN``/``Infinity``."""
    check_json_shape(raw, what)
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise invalid(f"{what} is not valid JSON: {exc}") from exc


def parse_json_object(raw: bytes, what: str = "the request body") -> dict[str, Any]:
    """:func:`parse_json` of a body that must be a JSON object ({} when the body is empty)."""
    if not raw.strip():
        return {}
    data = parse_json(raw, what)
    if not isinstance(data, dict):
        raise invalid(f"{what} must be a JSON object, got {type(data).__name__}")
    return data


async def read_json(request: Request, *, limit: int = MAX_API_BODY) -> dict[str, Any]:
    """The request body as a JSON object, read and checked as this module describes.

    The helper for every route that takes a JSON body; ``limit`` is the body size allowed (give
    :data:`fcbackend.api.code_input.MAX_CODE_BODY` to operations that carry a code zip)."""
    return parse_json_object(await read_body(request, limit))
