"""FC 2.0 request signing (docs/reference/fc-api.md#request-signing), shared by
:class:`~rosengine.clients.fc.FcClient` and the backend's verifier so both sides compute the very same string
to sign.

``Authorization: FC <AccessKeyID>:<base64(HMAC-SHA256(secret, StringToSign))>`` where StringToSign
is ``METHOD\\nContent-MD5\\nContent-Type\\nDate\\n`` + the ``x-fc-*`` headers (lower-cased names,
sorted, one ``name:value\\n`` line each) + the URL-decoded path (for HTTP-trigger requests, followed
by ``\\n`` and the sorted ``k=v`` query lines).

Why the verifier tries two forms: the official SDK signs the query only for ``/proxy/`` calls and
signs list calls over the bare path, while other clients sign the query everywhere.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping
from email.utils import formatdate

Queries = Mapping[str, str | list[str]] | Iterable[tuple[str, str]]


def http_date() -> str:
    """The current time as an RFC 1123 GMT date, the form FC expects in ``Date``."""
    return formatdate(usegmt=True)


def canonical_headers(headers: Iterable[tuple[str, str]]) -> str:
    """``x-fc-*`` headers as sorted ``name:value`` lines, each ending in a newline."""
    lines = sorted((k.lower(), v) for k, v in headers if k.lower().startswith("x-fc-"))
    return "".join(f"{k}:{v}\n" for k, v in lines)


def _query_lines(queries: Queries) -> list[str]:
    items: Iterable[tuple[str, str | list[str]]]
    items = queries.items() if isinstance(queries, Mapping) else queries
    lines: list[str] = []
    for key, value in items:
        if isinstance(value, str):
            lines.append(f"{key}={value}")
        elif value:
            lines.extend(f"{key}={v}" for v in value)
        else:
            lines.append(key)
    return sorted(lines)


def canonical_resource(path: str, queries: Queries | None = None) -> str:
    """The decoded path, plus ``\\n`` and sorted query lines when ``queries`` is given."""
    if queries is None:
        return path
    return path + "\n" + "\n".join(_query_lines(queries))


def string_to_sign(method: str, path: str, headers: Mapping[str, str], queries: Queries | None = None) -> str:
    """Build the string FC signs. ``headers`` must have lower-cased names."""
    return "\n".join(
        [
            method.upper(),
            headers.get("content-md5", ""),
            headers.get("content-type", ""),
            headers.get("date", ""),
            canonical_headers(headers.items()) + canonical_resource(path, queries),
        ]
    )


def signature(secret: str, text: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def authorization(
    access_key_id: str,
    secret: str,
    method: str,
    path: str,
    headers: Mapping[str, str],
    queries: Queries | None = None,
) -> str:
    """The ``Authorization`` header value for one request."""
    return f"FC {access_key_id}:{signature(secret, string_to_sign(method, path, headers, queries))}"


def parse_authorization(value: str) -> tuple[str, str] | None:
    """``"FC id:sig"`` -> ``(id, sig)``; None when the header is not in FC form."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme != "FC":
        return None
    key_id, sep, sig = rest.strip().partition(":")
    if not sep or not key_id or not sig:
        return None
    return key_id, sig


def verify(
    secret: str,
    given: str,
    method: str,
    path: str,
    headers: Mapping[str, str],
    queries: Queries | None = None,
) -> bool:
    """True when ``given`` matches the signature over the bare path or over path + query."""
    expected = signature(secret, string_to_sign(method, path, headers, None))
    if hmac.compare_digest(expected, given):
        return True
    if queries is None:
        return False
    with_query = signature(secret, string_to_sign(method, path, headers, queries))
    return hmac.compare_digest(with_query, given)
