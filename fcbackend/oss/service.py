"""The object store as the backend uses it: async operations that also announce events.

Why: OSS triggers fire on ``ObjectCreated:*`` / ``ObjectRemoved:*``; every change to an object,
whoever makes it (the OSS API that ``oss2``, ``ros oss`` and the providers use), goes through here,
so each one is announced exactly once to the subscribed listeners (the OSS trigger notifier).
File work runs in worker threads, off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fcbackend.oss.multipart import MultipartUploads, Upload
from fcbackend.oss.spool import INLINE_BYTES, SpooledFile, spool_stream
from fcbackend.oss.store import Listing, ObjectAttributes, ObjectInfo, ObjectStore

log = logging.getLogger(__name__)

CREATED_PUT = "ObjectCreated:PutObject"
CREATED_POST = "ObjectCreated:PostObject"
CREATED_COPY = "ObjectCreated:CopyObject"
CREATED_APPEND = "ObjectCreated:AppendObject"
CREATED_MULTIPART = "ObjectCreated:CompleteMultipartUpload"
REMOVED_DELETE = "ObjectRemoved:DeleteObject"
REMOVED_DELETE_MANY = "ObjectRemoved:DeleteObjects"
MAX_APPENDABLE_BYTES = 5 * 1024**3


@dataclass(frozen=True)
class EventOrigin:
    """Who made a change, for the event's ``requestParameters``/``responseElements``/``userIdentity``."""

    request_id: str = ""
    source_ip: str = "127.0.0.1"
    principal_id: str = ""


ObjectListener = Callable[[str, ObjectInfo, EventOrigin], Awaitable[object]]
"""(event name without the ``oss:`` prefix, e.g. ``ObjectCreated:PutObject``, object, origin)"""


class OssService:
    def __init__(self, store: ObjectStore) -> None:
        self.store = store
        self.uploads = MultipartUploads(store)
        self._listeners: list[ObjectListener] = []

    def add_listener(self, listener: ObjectListener) -> None:
        self._listeners.append(listener)

    # -- writes (each announced) --------------------------------------------------------------

    async def put(
        self,
        bucket: str,
        key: str,
        data: bytes,
        content_type: str | None = None,
        event_name: str = CREATED_PUT,
    ) -> ObjectInfo:
        """Bytes already in memory; the bucket is created when missing (tests, tools)."""
        info = await asyncio.to_thread(self.store.put, bucket, key, data, content_type)
        await self._emit(event_name, info, EventOrigin())
        return info

    async def commit(
        self,
        bucket: str,
        key: str,
        spooled: SpooledFile,
        attributes: ObjectAttributes,
        origin: EventOrigin,
    ) -> ObjectInfo:
        if spooled.size <= INLINE_BYTES:
            # A small object's commit (a rename and one metadata row in SQLite beside the
            # objects) costs less than the hop to a worker thread and back.
            info = self.store.commit(bucket, key, spooled, attributes)
        else:
            info = await asyncio.to_thread(self.store.commit, bucket, key, spooled, attributes)
        await self._emit(CREATED_PUT, info, origin)
        return info

    async def copy(
        self,
        source: tuple[str, str],
        target: tuple[str, str],
        attributes: ObjectAttributes | None,
        origin: EventOrigin,
    ) -> ObjectInfo:
        """CopyObject; ``attributes`` None keeps the source's (x-oss-metadata-directive COPY)."""

        def run() -> ObjectInfo:
            info, handle = self.store.open(*source)
            with handle:
                spooled = spool_stream(self.store.tmp_dir, handle)
            kept = attributes or ObjectAttributes(
                info.content_type, info.headers, info.user_meta, "default", info.storage_class
            )
            return self.store.commit(*target, spooled, kept)

        info = await asyncio.to_thread(run)
        await self._emit(CREATED_COPY, info, origin)
        return info

    async def append(
        self,
        bucket: str,
        key: str,
        position: int,
        spooled: SpooledFile,
        attributes: ObjectAttributes,
        origin: EventOrigin,
    ) -> ObjectInfo:
        info = await asyncio.to_thread(
            lambda: self.store.append(
                bucket, key, position, spooled, attributes, max_size=MAX_APPENDABLE_BYTES
            )
        )
        await self._emit(CREATED_APPEND, info, origin)
        return info

    async def complete_upload(
        self, upload: Upload, parts: list[tuple[int, str]], origin: EventOrigin
    ) -> ObjectInfo:
        info = await asyncio.to_thread(self.uploads.complete, upload, parts)
        await self._emit(CREATED_MULTIPART, info, origin)
        return info

    async def delete(
        self, bucket: str, key: str, origin: EventOrigin | None = None, event_name: str = REMOVED_DELETE
    ) -> ObjectInfo | None:
        info = await asyncio.to_thread(self.store.delete, bucket, key)
        if info is not None:
            await self._emit(event_name, info, origin or EventOrigin())
        return info

    # -- reads --------------------------------------------------------------------------------

    async def get(self, bucket: str, key: str) -> tuple[ObjectInfo, bytes]:
        return await asyncio.to_thread(self.store.get, bucket, key)

    async def head(self, bucket: str, key: str) -> ObjectInfo:
        return await asyncio.to_thread(self.store.head, bucket, key)

    async def list(
        self, bucket: str, *, prefix: str = "", delimiter: str = "", marker: str = "", max_keys: int = 1000
    ) -> Listing:
        return await asyncio.to_thread(
            lambda: self.store.list(
                bucket, prefix=prefix, delimiter=delimiter, marker=marker, max_keys=max_keys
            )
        )

    async def _emit(self, event_name: str, info: ObjectInfo, origin: EventOrigin) -> None:
        for listener in list(self._listeners):
            try:
                await listener(event_name, info, origin)
            except Exception:  # a broken subscriber must not fail the upload
                log.exception(
                    "OSS event %s for %s/%s could not be delivered", event_name, info.bucket, info.key
                )
