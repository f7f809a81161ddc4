"""The instances of every backend on a shared database, so that any backend lists them all.

Why: several backends (on several hosts) on one PostgreSQL database are one FC service; an
instance lives in the scheduler of the backend that started it, so without a shared record
``ros fc instances`` and the instance listings of the FC APIs would show only the instances of
whichever backend answered. Each backend publishes its scheduler's instances here every
:data:`PUBLISH_INTERVAL_S` (one transaction: its rows replaced); a listing adds the rows of the
other backends that were published recently. A backend that stops removes its rows; one that is
killed leaves rows that go stale after :data:`STALE_AFTER_S` and are hidden, then purged.

Only on a shared (server) database: one backend per SQLite state directory has nothing to share.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from collections.abc import Callable
from typing import Any

from fcbackend.clock import DEFAULT_CLOCK, Clock
from sqlstore import Database, Migration, Schema, Statement

log = logging.getLogger(__name__)

PUBLISH_INTERVAL_S = 2.0
# Rows not refreshed for this long belong to a backend that is gone (3 missed publications).
STALE_AFTER_S = 3 * PUBLISH_INTERVAL_S
# Stale rows are deleted once this old (any backend purges them when it publishes).
PURGE_AFTER_S = 60.0

SCHEMA = Schema(
    "fc.instance_registry",
    (
        Migration(
            1,
            "instances of every backend on the database",
            "CREATE TABLE instance_registry (id TEXT PRIMARY KEY, backend TEXT NOT NULL, "
            "doc TEXT NOT NULL, seen REAL NOT NULL); "
            "CREATE INDEX instance_registry_backend ON instance_registry(backend)",
        ),
    ),
)


def backend_name() -> str:
    """This backend as listings name it: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


class InstanceRegistry:
    def __init__(self, database: Database, backend: str | None = None) -> None:
        self.database = database
        self.backend = backend or backend_name()
        database.migrate(SCHEMA)

    def publish(self, instances: list[dict[str, Any]], now: float) -> None:
        """Replace this backend's rows with ``instances`` (one transaction) and purge rows that
        went stale long ago."""
        statements = [
            Statement("DELETE FROM instance_registry WHERE backend = ?", (self.backend,)),
            Statement("DELETE FROM instance_registry WHERE seen < ?", (now - PURGE_AFTER_S,)),
        ]
        if instances:
            statements.append(
                Statement(
                    "INSERT INTO instance_registry (id, backend, doc, seen) VALUES (?, ?, ?, ?)",
                    [(str(i["id"]), self.backend, json.dumps(i, default=str), now) for i in instances],
                    many=True,
                )
            )
        self.database.run_batch(statements, row_locks=True)

    def others(self, now: float) -> list[dict[str, Any]]:
        """The instances other backends published recently, each with its ``backend``."""
        with self.database.reading() as session:
            rows = session.execute(
                "SELECT backend, doc FROM instance_registry WHERE backend <> ? AND seen >= ? ORDER BY id",
                (self.backend, now - STALE_AFTER_S),
            ).fetchall()
        return [{**json.loads(doc), "backend": backend} for backend, doc in rows]

    def withdraw(self) -> None:
        """This backend stops: its instances are gone with it."""
        self.database.run_batch(
            [Statement("DELETE FROM instance_registry WHERE backend = ?", (self.backend,))], row_locks=True
        )

    def close(self) -> None:
        self.database.close()


class InstancePublisher:
    """Publishes the scheduler's instances to the registry every :data:`PUBLISH_INTERVAL_S`."""

    def __init__(
        self,
        registry: InstanceRegistry,
        instances: Callable[[], list[dict[str, Any]]],
        *,
        clock: Clock = DEFAULT_CLOCK,
        interval_s: float = PUBLISH_INTERVAL_S,
    ) -> None:
        self.registry = registry
        self._instances = instances
        self._clock = clock
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    def listing(self) -> list[dict[str, Any]]:
        """This backend's instances (marked with its name) and the other backends' ones."""
        mine = [{**i, "backend": self.registry.backend} for i in self._instances()]
        try:
            return mine + self.registry.others(self._clock.time())
        except Exception:  # the database is away: this backend's own instances still show
            log.warning("instance registry unavailable: listing this backend's instances only", exc_info=True)
            return mine

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="instance-registry")

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.registry.publish, self._instances(), self._clock.time())
            except Exception:
                log.warning("could not publish this backend's instances", exc_info=True)
            await self._clock.sleep(self._interval_s)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self.registry.withdraw)
        self.registry.close()
