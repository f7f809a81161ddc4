"""Signed WaitConditionHandle URLs: what makes a signal URL unguessable and time-limited.

ROS's handle URL carries ``stackname``, ``stackid``, ``resource``, ``expire`` (epoch seconds) and a
40-hex-digit ``signature``; we sign the same four values with HMAC-SHA1 (40 hex digits) under a
random secret of this backend, so only URLs the backend issued are accepted, and only until they
expire. The secret never leaves the backend: the engine asks the service to issue a URL.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote, urlencode

SIGNED_FIELDS = ("stackname", "stackid", "resource", "expire")


def handle_signature(secret: bytes, stack_name: str, stack_id: str, resource: str, expire: int) -> str:
    text = "\n".join((stack_name, stack_id, resource, str(expire)))
    return hmac.new(secret, text.encode("utf-8"), hashlib.sha1).hexdigest()


def signature_matches(secret: bytes, values: dict[str, str], given: str) -> bool:
    try:
        expire = int(values["expire"])
    except (KeyError, ValueError):
        return False
    expected = handle_signature(secret, values["stackname"], values["stackid"], values["resource"], expire)
    return hmac.compare_digest(expected, given.lower())


def handle_query(secret: bytes, stack_name: str, stack_id: str, resource: str, expire: int) -> str:
    """The query string of a handle URL (fields in ROS's order)."""
    fields = {
        "stackname": stack_name,
        "stackid": stack_id,
        "resource": resource,
        "expire": str(expire),
        "signature": handle_signature(secret, stack_name, stack_id, resource, expire),
    }
    return urlencode(fields, quote_via=quote)
