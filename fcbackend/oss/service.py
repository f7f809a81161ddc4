"""The object store as the backend uses it: async operations that also announce events.

Why: OSS triggers fire on ``ObjectCreated:*`` / ``ObjectRemoved:*``; whoever changes an object
through the backend (the ``/oss`` HTTP API, ``ros oss cp``) goes through here so every change is
announced exactly once to the subscribed listeners (the OSS trigger notifier).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from fcbackend.oss.store import Listing, ObjectInfo, ObjectStore

log = logging.getLogger(__name__)

ObjectListener = Callable[[str, ObjectInfo], Awaitable[object]]
"""(event name without the ``oss:`` prefix, e.g. ``ObjectCreated:PutObject``, object) -> None"""

CREATED_PUT = "ObjectCreated:PutObject"
CREATED_POST = "ObjectCreated:PostObject"
CREATED_COPY = "ObjectCreated:CopyObject"
REMOVED_DELETE = "ObjectRemoved:DeleteObject"


class OssService:
    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self._listeners: list[ObjectListener] = []

    def add_listener(self, listener: ObjectListener) -> None:
        self._listeners.append(listener)

    async def put(
        self,
        bucket: str,
        key: str,
        data: bytes,
        content_type: str | None = None,
        event_name: str = CREATED_PUT,
    ) -> ObjectInfo:
        info = await asyncio.to_thread(self.store.put, bucket, key, data, content_type)
        await self._emit(event_name, info)
        return info

    async def delete(self, bucket: str, key: str) -> ObjectInfo | None:
        info = await asyncio.to_thread(self.store.delete, bucket, key)
        if info is not None:
            await self._emit(REMOVED_DELETE, info)
        return info

    async def get(self, bucket: str, key: str) -> tuple[ObjectInfo, bytes]:
        return await asyncio.to_thread(self.store.get, bucket, key)

    async def head(self, bucket: str, key: str) -> ObjectInfo:
        return await asyncio.to_thread(self.store.head, bucket, key)

    async def list(self, bucket: str, **options: object) -> Listing:
        return await asyncio.to_thread(lambda: self.store.list(bucket, **options))  # type: ignore[arg-type]

    async def _emit(self, event_name: str, info: ObjectInfo) -> None:
        for listener in list(self._listeners):
            try:
                await listener(event_name, info)
            except Exception:  # a broken subscriber must not fail the upload
                log.exception(
                    "OSS event %s for %s/%s could not be delivered", event_name, info.bucket, info.key
                )
