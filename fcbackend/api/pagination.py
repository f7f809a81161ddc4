"""FC list semantics (docs/reference/fc-api.md#lists-and-object-shapes): sorted by name; ``prefix`` filters;
``startKey`` is an inclusive lower bound; ``nextToken`` (the name the next page starts at) overrides
``startKey`` but not ``prefix``; the last page has no ``nextToken``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request

from fcbackend.api.http import int_param
from fcbackend.store.metadata import MetadataStore

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def page(
    request: Request,
    meta: MetadataStore,
    kind: str,
    scope: str,
    *,
    sort_key: Callable[[str], str] = lambda name: name,
    descending: bool = False,
    default_limit: int = DEFAULT_LIMIT,
    start_param: str = "startKey",
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of documents of ``kind`` in ``scope`` and the token of the next page."""
    params = request.query_params
    limit = int_param(request, "limit", default_limit, low=1, high=MAX_LIMIT) or default_limit
    token = params.get("nextToken") or None
    start = token if token is not None else (params.get(start_param) or None)
    rows = meta.list(
        kind,
        scope,
        prefix=params.get("prefix") or None,
        start=sort_key(start) if start is not None else None,
        limit=limit + 1,
        descending=descending,
    )
    next_token = rows[limit][1] if len(rows) > limit else None
    return [data for _, _, data in rows[:limit]], next_token


def page_of_list(
    request: Request, items: list[dict[str, Any]], name_key: str, default_limit: int = DEFAULT_LIMIT
) -> tuple[list[dict[str, Any]], str | None]:
    """The same semantics over an in-memory list (cross-scope listings)."""
    params = request.query_params
    limit = int_param(request, "limit", default_limit, low=1, high=MAX_LIMIT) or default_limit
    prefix = params.get("prefix") or ""
    start = params.get("nextToken") or params.get("startKey") or ""
    chosen = sorted(
        (
            i
            for i in items
            if str(i.get(name_key, "")).startswith(prefix) and str(i.get(name_key, "")) >= start
        ),
        key=lambda i: str(i.get(name_key, "")),
    )
    next_token = str(chosen[limit][name_key]) if len(chosen) > limit else None
    return chosen[:limit], next_token


def with_token(body: dict[str, Any], next_token: str | None) -> dict[str, Any]:
    if next_token is not None:
        body["nextToken"] = next_token
    return body
