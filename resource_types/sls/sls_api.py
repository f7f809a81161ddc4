"""How the SLS providers speak the SLS API: the client, error translation, deleting what may be gone.

Why: every SLS provider turns the client's :class:`~rosengine.clients.sls.SlsApiError` into the
engine's :class:`~resource_types.base.ProviderError` with the operation named, and treats "already
gone" as success when deleting.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from resource_types.base import ProviderError, ResourceNotFound

RECORD_REASON = (
    "record: {what} is stored by the local SLS twin, but nothing collects logs from machines locally"
)


@contextlib.contextmanager
def sls_errors(action: str) -> Iterator[None]:
    from rosengine.clients.sls import SlsApiError, SlsNotFound

    try:
        yield
    except SlsNotFound as exc:
        raise ResourceNotFound(f"{action}: {exc.code}: {exc.message}") from exc
    except SlsApiError as exc:
        raise ProviderError(f"{action}: {exc.code}: {exc.message}", code=exc.code or "SlsApiError") from exc


def delete_ignoring_missing(action: str, call: Callable[[], Any]) -> None:
    """Delete; a resource (or its project) already gone counts as deleted."""
    try:
        with sls_errors(action):
            call()
    except ResourceNotFound:
        return


def lookup(call: Callable[[], Any]) -> Any:
    """The answer of a read, or None when what it reads no longer exists."""
    try:
        with sls_errors("reading"):
            return call()
    except ResourceNotFound:
        return None


def drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def required(properties: dict[str, Any], name: str, type_name: str) -> str:
    value = properties.get(name)
    if value in (None, ""):
        raise ProviderError(f"{type_name}: the property {name} is required here", code="InvalidParameter")
    return str(value)
