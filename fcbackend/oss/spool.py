"""Receiving an object's bytes into a temporary file, with its MD5 and CRC-64 on the way.

Why a spool: an object is stored only once it arrived whole and matched its Content-MD5, so the
bytes go to a temporary file in the store (same file system: the final rename is atomic) and an
interrupted or refused upload leaves nothing behind. Why batches in a worker thread: hashing and
writing a large object on the event loop would stall every other request; chunks are gathered
into 1 MiB batches and one batch is written while the next is received. Small bodies (the common
case) are received in memory and written in one go without a thread hop (:func:`spool_bytes`):
the temporary file is created only once such a body arrived whole and matched its Content-MD5.

Temporary names are ``<prefix><pid>-<counter>-<random>`` opened with ``O_EXCL``: one system call,
where :func:`tempfile.mkstemp` spends as long again in Python choosing a name.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from fcbackend.oss.checksums import crc64

BATCH_BYTES = 1 << 20
INLINE_BYTES = 256 * 1024


@dataclass(frozen=True)
class SpooledFile:
    """A fully received body waiting in the store's temporary directory."""

    path: str
    size: int
    md5: bytes
    crc64: int
    stat: os.stat_result | None = None  # the file's after its last write, when known

    @property
    def etag(self) -> str:
        return self.md5.hex().upper()

    def discard(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


class BodyTooLarge(Exception):
    def __init__(self, limit: int):
        super().__init__(f"the body is larger than {limit} bytes")
        self.limit = limit


class Spooler:
    """``await write(chunk)`` as chunks arrive, then ``await finish()``; ``abort()`` on failure.

    Raises :class:`BodyTooLarge` from ``write`` as soon as more than ``limit`` bytes came.
    """

    def __init__(self, directory: Path | str, limit: int):
        fd, self.path = create_temporary(directory, "up-")
        self._file = os.fdopen(fd, "wb", buffering=0)
        self.limit = limit
        self.size = 0
        self._md5 = hashlib.md5()
        self._crc = 0
        self._buffer = bytearray()
        self._pending: asyncio.Future[None] | None = None
        self._threaded = False

    def _flush(self, data: bytes | bytearray) -> None:
        self._md5.update(data)
        self._crc = crc64(data, self._crc)
        self._file.write(data)

    async def write(self, chunk: bytes) -> None:
        if not chunk:
            return
        self.size += len(chunk)
        if self.size > self.limit:
            raise BodyTooLarge(self.limit)
        self._buffer += chunk
        if len(self._buffer) >= BATCH_BYTES:
            await self._drain()
            batch, self._buffer = self._buffer, bytearray()
            self._threaded = True
            self._pending = asyncio.get_running_loop().run_in_executor(None, self._flush, batch)

    async def _drain(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            await pending

    async def finish(self) -> SpooledFile:
        try:
            await self._drain()
            if self._buffer:
                if self._threaded or len(self._buffer) > INLINE_BYTES:
                    await asyncio.get_running_loop().run_in_executor(None, self._flush, self._buffer)
                else:
                    self._flush(self._buffer)
            stat = os.fstat(self._file.fileno())
            self._file.close()
        except BaseException:
            self.abort()
            raise
        return SpooledFile(self.path, self.size, self._md5.digest(), self._crc, stat)

    def abort(self) -> None:
        """Close and remove the temporary file (safe to call twice)."""
        if self._pending is not None and not self._pending.done():
            self._pending.cancel()
        with contextlib.suppress(OSError):
            self._file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


_names = itertools.count()


def create_temporary(directory: Path | str, prefix: str) -> tuple[int, str]:
    """A new file of our own in ``directory`` (made when missing): its descriptor, open for
    writing, and its path."""
    while True:
        path = f"{directory}{os.sep}{prefix}{os.getpid()}-{next(_names)}-{random.getrandbits(32):08x}"
        try:
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600), path
        except FileExistsError:
            continue
        except FileNotFoundError:
            os.makedirs(directory, exist_ok=True)


def _written(directory: Path | str, prefix: str, data: bytes | bytearray) -> tuple[str, os.stat_result]:
    """A new temporary file holding ``data``: its path, and its stat after the write."""
    fd, path = create_temporary(directory, prefix)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            stat = os.fstat(fd)
        finally:
            os.close(fd)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        raise
    return path, stat


def spool_bytes(directory: Path | str, data: bytes | bytearray, md5: bytes | None = None) -> SpooledFile:
    """A body already whole in memory into a temporary file (``md5``: its digest when the caller
    already computed it to check Content-MD5)."""
    digest = md5 if md5 is not None else hashlib.md5(data).digest()
    path, stat = _written(directory, "up-", data)
    return SpooledFile(path, len(data), digest, crc64(data), stat)


def spool_stream(directory: Path | str, source: BinaryIO) -> SpooledFile:
    """Copy an open file (CopyObject's source object) into a new spooled file."""
    fd, name = create_temporary(directory, "cp-")
    md5 = hashlib.md5()
    crc = 0
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in iter(lambda: source.read(BATCH_BYTES), b""):
                md5.update(chunk)
                crc = crc64(chunk, crc)
                size += len(chunk)
                out.write(chunk)
            out.flush()
            stat = os.fstat(out.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
        raise
    return SpooledFile(name, size, md5.digest(), crc, stat)
