"""The log of finished invocations that ``ros fc invocations`` lists.

:class:`InvocationLog` is the store; :class:`~fcbackend.store.invocations.InvocationRecorder`
buffers in front of it so that the warm path never waits for a write.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol


class InvocationRecord(NamedTuple):
    """One finished invocation (a tuple: the recorder builds one per call on the warm path)."""

    request_id: str
    time: float  # epoch seconds when it was recorded
    service: str
    function: str
    qualifier: str | None
    version: str | None
    instance_id: str | None
    cold: bool
    init_ms: float | None
    duration_ms: float | None
    memory_mb: float | None
    status: int | None
    error: str | None


# An InvocationRecord as a plain tuple (the same fields in the same order): what the recorder
# builds on the warm path, where a NamedTuple's constructor costs more than the rest of recording.
# Every InvocationRecord is one.
InvocationRow = tuple[
    str, float, str, str, str | None, str | None, str | None, bool, float | None, float | None, float | None,
    int | None, str | None,
]  # fmt: skip


class InvocationLog(Protocol):
    def append(self, records: Sequence[InvocationRow]) -> None:
        """Store a batch, all or nothing, in order."""
        ...

    def recent(
        self, service: str | None = None, function: str | None = None, limit: int = 100
    ) -> list[InvocationRecord]:
        """Newest first, optionally of one service or function. A request id recorded more than
        once (a retried async invocation) appears once, as its newest record."""
        ...

    def close(self) -> None: ...
