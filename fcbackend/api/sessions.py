"""Session affinity of FC 3.0 functions: which session a request belongs to.

Why in the API layer: the FC 3.0 invoke path and HTTP triggers (``fcbackend.triggers``) both route
a request to the instance of its session, so both ask this one function.
"""

from __future__ import annotations

import re
import secrets

from fcbackend.api.errors import invalid
from fcbackend.api.fc3_spec import COOKIE_NAME
from fcbackend.models import FunctionSpec

SESSION_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,63}")


def session_for(spec: FunctionSpec, headers: dict[str, str]) -> tuple[str | None, list[tuple[bytes, bytes]]]:
    """The session id of a request and the response headers that hand out a new one."""
    if spec.session_affinity == "HEADER_FIELD" and spec.affinity_header:
        given = headers.get(spec.affinity_header)
        if given:
            if not SESSION_ID.fullmatch(given):
                raise invalid(
                    f"session id in header {spec.affinity_header} must be 1-64 letters, digits, '_' or '-' "
                    f"starting with a letter, digit or '_', got {given[:80]!r}"
                )
            return given, []
        new = secrets.token_hex(16)
        return new, [(spec.affinity_header.encode("latin-1"), new.encode())]
    if spec.session_affinity == "GENERATED_COOKIE":
        for part in headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE_NAME and SESSION_ID.fullmatch(value):
                return value, []
        new = secrets.token_hex(16)
        cookie = f"{COOKIE_NAME}={new}; Max-Age={int(spec.session_ttl_s)}; Path=/"
        return new, [(b"set-cookie", cookie.encode())]
    return None, []
