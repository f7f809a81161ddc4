"""The backend's metadata store: FC's objects as JSON documents, counters, the code blob index.

Why documents rather than a table per FC object: FC objects are JSON with many optional, nested
fields that the API echoes back; storing the API shape as-is keeps the API layer the only place
that knows it. Every object lives under ``(kind, scope, name)`` — e.g. ``("function", "svc",
"fn")``, ``("trigger", "svc/fn", "t1")`` — with a ``sort_key`` that gives FC's listing order
(names, or zero-padded numbers for versions). Counters hand out ids that are never reused.

:class:`MetadataStore` is what the API layers use; ``fcbackend.store_factory`` opens the implementation
that fits the configured database (:class:`~fcbackend.store.sqlite_metadata.SqliteMetadataStore`).
"""

from __future__ import annotations

import builtins  # a method named like a builtin shadows it in the class body
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class CodeBlob:
    """A stored code package: its SHA-256 (the name it is stored under), FC's CRC-64 checksum
    (decimal text) and its size in bytes."""

    sha256: str
    checksum: str
    size: int


class MetadataStore(Protocol):
    """Thread-safe; every method is atomic on its own, :meth:`transaction` groups several."""

    def transaction(self) -> AbstractContextManager[object]:
        """Hold the store for a read-check-write sequence: everything inside commits together or
        not at all, and no other writer runs in between. Re-entrant."""
        ...

    def get(self, kind: str, scope: str, name: str) -> dict[str, Any] | None: ...

    def insert(
        self, kind: str, scope: str, name: str, data: dict[str, Any], sort_key: str | None = None
    ) -> bool:
        """Add a new document; False (and nothing written) when the name is taken."""
        ...

    def put(
        self, kind: str, scope: str, name: str, data: dict[str, Any], sort_key: str | None = None
    ) -> None:
        """Create or replace a document."""
        ...

    def delete(self, kind: str, scope: str, name: str) -> bool: ...

    def delete_scope(self, kind: str, scope: str) -> int:
        """Delete every document of ``kind`` in ``scope``; returns how many."""
        ...

    def count(self, kind: str, scope: str) -> int: ...

    def list(
        self,
        kind: str,
        scope: str | None,
        *,
        prefix: str | None = None,
        start: str | None = None,
        limit: int | None = None,
        descending: bool = False,
    ) -> builtins.list[tuple[str, str, dict[str, Any]]]:
        """``(scope, name, data)`` rows in sort order; ``start`` is an inclusive sort-key bound
        (upper bound when ``descending``); ``scope=None`` lists across scopes."""
        ...

    def next_id(self, key: str) -> int:
        """The next value of a counter that never goes back (version ids, layer versions)."""
        ...

    def put_blob(self, blob: CodeBlob) -> None:
        """Remember a stored code package (idempotent)."""
        ...

    def get_blob(self, sha256: str) -> CodeBlob | None: ...

    def close(self) -> None: ...
