"""The query of a task listing (FC2 ``ListStatefulAsyncInvocations`` / FC3 ``ListAsyncTasks``)
and the paging over the async store that answers it.

Why one module for both API generations: they ask the same question of the same store with
different parameter names (FC2 ``invocationIdPrefix``, FC3 ``prefix``); parsing and paging live
here once so both routes page and fail alike.

Paging: ``nextToken`` is the store offset the next page starts at (an opaque decimal string to
callers); the last page has no token. With a ``qualifier`` filter (FC3 only) the token is the
offset of the next *matching* row, found by scanning the store in batches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fcbackend.asyncq.records import AsyncEvent, TaskStatus
from fcbackend.asyncq.store import AsyncQueueStore

MAX_LIMIT = 100
_SCAN_BATCH = 200
_STATUSES = frozenset(str(s) for s in TaskStatus)


@dataclass(frozen=True)
class TaskQuery:
    limit: int
    offset: int
    status: str | None
    id_prefix: str | None
    started_begin_ms: int | None
    started_end_ms: int | None
    descending: bool
    include_payload: bool
    qualifier: str | None = None
    stateful_only: bool = True


def parse_task_query(
    params: Mapping[str, str], *, prefix_param: str, default_limit: int, qualifier_param: str | None = None
) -> TaskQuery:
    """Read a listing's query parameters; ValueError names the parameter and what it accepts."""
    order = (params.get("sortOrderByTime") or "desc").lower()
    if order not in ("asc", "desc"):
        raise ValueError(f"sortOrderByTime must be 'asc' or 'desc', got {params.get('sortOrderByTime')!r}")
    status = params.get("status") or None
    if status is not None and status not in _STATUSES:
        raise ValueError(f"status {status!r} is not one of {', '.join(str(s) for s in TaskStatus)}")
    return TaskQuery(
        limit=_integer(params, "limit", default_limit, 1, MAX_LIMIT),
        offset=_integer(params, "nextToken", 0, 0, 10**9),
        status=status,
        id_prefix=params.get(prefix_param) or None,
        started_begin_ms=_integer(params, "startedTimeBegin", 0, 0, 10**15) or None,
        started_end_ms=_integer(params, "startedTimeEnd", 0, 0, 10**15) or None,
        descending=order == "desc",
        include_payload=_boolean(params, "includePayload"),
        qualifier=(params.get(qualifier_param) or None) if qualifier_param else None,
        stateful_only=params.get("all") != "true",  # local extension: plain async invocations too
    )


def page_of_tasks(
    store: AsyncQueueStore, service: str | None, function: str | None, query: TaskQuery
) -> tuple[list[AsyncEvent], str | None]:
    """One page of the events matching ``query`` and the token of the next page (None: last)."""

    def fetch(limit: int, offset: int) -> list[AsyncEvent]:
        return store.list(
            service,
            function,
            status=query.status,
            prefix=query.id_prefix,
            stateful_only=query.stateful_only,
            started_begin=query.started_begin_ms / 1000 if query.started_begin_ms else None,
            started_end=query.started_end_ms / 1000 if query.started_end_ms else None,
            limit=limit,
            offset=offset,
            descending=query.descending,
        )

    if query.qualifier is None:
        events = fetch(query.limit + 1, query.offset)
        more = len(events) > query.limit
        return events[: query.limit], str(query.offset + query.limit) if more else None
    chosen: list[AsyncEvent] = []
    position = query.offset
    while True:
        batch = fetch(_SCAN_BATCH, position)
        for index, event in enumerate(batch):
            if event.qualifier != query.qualifier:
                continue
            if len(chosen) == query.limit:
                return chosen, str(position + index)
            chosen.append(event)
        if len(batch) < _SCAN_BATCH:
            return chosen, None
        position += _SCAN_BATCH


def _integer(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValueError(f"{name} must be an integer {low}-{high}, got {raw!r}")
    return int(raw)


def _boolean(params: Mapping[str, str], name: str) -> bool:
    raw = (params.get(name) or "false").lower()
    if raw not in ("true", "false"):
        raise ValueError(f"{name} must be 'true' or 'false', got {params.get(name)!r}")
    return raw == "true"
