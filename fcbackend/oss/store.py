"""The local object store, laid out as plain files: ``<root>/<bucket>/<key>``.

Why plain files: FC code can live in OSS (``ossBucketName`` + ``ossObjectName``) and the FC API
reads such code straight from ``<fc state dir>/oss/<bucket>/<key>``; users can also look at and
edit objects with ordinary tools. What OSS keeps about an object beside its bytes (ETag, CRC-64,
content type, user metadata, object type, ACL) is a document in an
:class:`~fcbackend.oss.object_metadata.ObjectMetadataStore` (``<root>/.meta/objects.db``); bucket
records in ``<root>/.buckets`` (:mod:`fcbackend.oss.buckets`); bytes in transit in ``<root>/.tmp``
(:mod:`fcbackend.oss.spool`); multipart uploads in ``<root>/.uploads``. None of these can be a
bucket name (names start with a letter or digit).

Every write lands whole or not at all: the bytes are received into a temporary file, checked,
and renamed into place, then its metadata document is written. A file changed by another tool
(its size, mtime or inode no longer match the metadata) gets its ETag and CRC recomputed when read.

The request path is kept lean (a put and a get of a small object are a few system calls each):
paths are built as strings, not :class:`~pathlib.Path` objects; a missing bucket or a key that
cannot be a path is found by the one rename or open the request makes anyway, and only then
explained (NoSuchBucket, KeyConflict); a read opens the file first and describes what it opened.

Rules (OSS's, enforced with clear errors): bucket names 3-63 characters of lower-case letters,
digits and ``-``, starting and ending with a letter or digit; keys 1-1023 bytes, not starting with
``/`` or ``\\``. Because keys are paths here, three things OSS allows are refused with a message:
``.``/``..`` or empty path segments, and an object ``a`` beside objects under ``a/``. A key ending
in ``/`` (a "directory" object, as the console and ``ALIYUN::OSS::Directory`` make) is kept under
``.meta`` (``<key>.dirobject``), since no file can have that name.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from stat import S_ISDIR, S_ISREG
from typing import Any, BinaryIO

from fcbackend.clock import DEFAULT_CLOCK, Clock
from fcbackend.oss.buckets import BucketRecord, BucketRecords
from fcbackend.oss.checksums import crc64, crc64_combine
from fcbackend.oss.object_metadata import META_DIR, ObjectMetadataStore, SqliteObjectMetadataStore
from fcbackend.oss.spool import SpooledFile, spool_bytes

BUCKET_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")  # always fullmatch
TMP_DIR = ".tmp"
DIR_OBJECT = ".dirobject"
MAX_KEY_BYTES = 1023
DEFAULT_CONTENT_TYPE = "application/octet-stream"


class OssError(Exception):
    """An OSS error: HTTP status, OSS code, message, and extra ``<Error>`` elements / headers."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = dict(details or {})
        self.headers = dict(headers or {})


@dataclass(frozen=True)
class ObjectInfo:
    bucket: str
    key: str
    size: int
    etag: str  # upper-case hex MD5 (multipart: "<hex>-<parts>"), as OSS shows it, without quotes
    last_modified: float
    content_type: str = DEFAULT_CONTENT_TYPE
    crc64: int | None = None
    object_type: str = "Normal"  # Normal | Appendable | Multipart
    # Content-Disposition, Cache-Control, Content-Encoding, Content-Language, Expires as sent
    headers: dict[str, str] = field(default_factory=dict)
    user_meta: dict[str, str] = field(default_factory=dict)  # x-oss-meta-<name> -> value
    acl: str = "default"
    storage_class: str = "Standard"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class ObjectAttributes:
    """What a writer says about an object besides its bytes."""

    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    user_meta: dict[str, str] = field(default_factory=dict)
    acl: str = "default"
    storage_class: str = "Standard"


@dataclass(frozen=True)
class Listing:
    objects: list[ObjectInfo]
    common_prefixes: list[str]
    truncated: bool
    next_marker: str | None


class ObjectStore:
    def __init__(
        self,
        root: Path,
        *,
        clock: Clock = DEFAULT_CLOCK,
        region: str = "",
        metadata: ObjectMetadataStore | None = None,
    ) -> None:
        """``metadata``: where object documents live (default: ``<root>/.meta/objects.db``)."""
        self.root = root
        self.clock = clock
        self.region = region
        self.records = BucketRecords(root)
        self._lock = threading.RLock()
        # the same places as strings: the request path builds them without pathlib
        self._root = str(root)
        self._meta_root = f"{root}{os.sep}{META_DIR}"
        self._tmp = f"{root}{os.sep}{TMP_DIR}"
        (root / TMP_DIR).mkdir(parents=True, exist_ok=True)
        self.metadata = metadata if metadata is not None else SqliteObjectMetadataStore.beside(root)

    def close(self) -> None:
        self.metadata.close()

    @property
    def tmp_dir(self) -> Path:
        return self.root / TMP_DIR

    @property
    def tmp_path(self) -> str:
        """:attr:`tmp_dir` as a string, for the request path."""
        return self._tmp

    # -- buckets ------------------------------------------------------------------------------

    def create_bucket(
        self,
        bucket: str,
        *,
        acl: str = "private",
        storage_class: str = "Standard",
        redundancy: str = "LRS",
    ) -> bool:
        """Create a bucket; False (and nothing changed) if it already existed."""
        path = self._bucket_path(bucket)
        with self._lock:
            if path.is_dir():
                return False
            path.mkdir(parents=True, exist_ok=True)
            self.records.save(
                BucketRecord(bucket, self.clock.time(), acl, storage_class, redundancy, self.region)
            )
        return True

    def delete_bucket(self, bucket: str) -> None:
        path = self._existing_bucket(bucket)
        with self._lock:
            if any(path.iterdir()) or self._has_directory_objects(bucket):
                raise OssError(
                    409,
                    "BucketNotEmpty",
                    f"The bucket '{bucket}' you tried to delete is not empty; delete its objects first.",
                    details={"BucketName": bucket},
                )
            if (self.root / ".uploads" / bucket).is_dir() and any(
                (self.root / ".uploads" / bucket).iterdir()
            ):
                raise OssError(
                    409,
                    "BucketNotEmpty",
                    f"The bucket '{bucket}' has multipart uploads in progress; abort them first.",
                    details={"BucketName": bucket},
                )
            path.rmdir()
            self.metadata.delete_bucket(bucket)
            shutil.rmtree(self.root / META_DIR / bucket, ignore_errors=True)
            shutil.rmtree(self.root / ".uploads" / bucket, ignore_errors=True)
            self.records.remove(bucket)

    def list_buckets(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and BUCKET_PATTERN.fullmatch(p.name))

    def bucket_exists(self, bucket: str) -> bool:
        return self._bucket_path(bucket).is_dir()

    def bucket(self, bucket: str) -> BucketRecord:
        return self.records.load(bucket, self._require_bucket(bucket), self.region)

    def require_bucket(self, bucket: str) -> None:
        """Raises OSS's NoSuchBucket (or InvalidBucketName) unless ``bucket`` exists."""
        self._require_bucket(bucket)

    def update_bucket(self, bucket: str, **changes: Any) -> BucketRecord:
        with self._lock:
            record = self.bucket(bucket).with_changes(**changes)
            self.records.save(record)
        return record

    # -- objects ------------------------------------------------------------------------------

    def commit(
        self,
        bucket: str,
        key: str,
        spooled: SpooledFile,
        attributes: ObjectAttributes = ObjectAttributes(),
        *,
        object_type: str = "Normal",
        etag: str | None = None,
        crc: int | None = None,
    ) -> ObjectInfo:
        """Move a received body into place as ``bucket/key``; the spooled file is consumed (also
        when the commit is refused)."""
        placed = False
        try:
            target = self._file(bucket, key)
            with self._lock:
                self._place(spooled.path, bucket, key, target)
                placed = True
                info = ObjectInfo(
                    bucket,
                    key,
                    spooled.size,
                    etag or spooled.etag,
                    self.clock.time(),
                    attributes.content_type or _guess_type(key),
                    spooled.crc64 if crc is None else crc,
                    object_type,
                    dict(attributes.headers),
                    dict(attributes.user_meta),
                    attributes.acl,
                    attributes.storage_class,
                )
                self._write_meta(info, target, spooled.stat)
        finally:
            if not placed:
                spooled.discard()
        return info

    def put(
        self,
        bucket: str,
        key: str,
        data: bytes,
        content_type: str | None = None,
        *,
        create_bucket: bool = True,
    ) -> ObjectInfo:
        """Store bytes already in memory; creates the bucket unless told not to."""
        validate_key(key)
        if create_bucket:
            self.create_bucket(bucket)
        return self.commit(bucket, key, spool_bytes(self.tmp_dir, data), ObjectAttributes(content_type))

    def get(self, bucket: str, key: str) -> tuple[ObjectInfo, bytes]:
        info, handle = self.open(bucket, key)
        with handle:
            return info, handle.read()

    def open(self, bucket: str, key: str) -> tuple[ObjectInfo, BinaryIO]:
        """The object's info and an open binary file with exactly those bytes: the info is that
        of the opened file (a concurrent replace cannot change what this handle reads, and a
        metadata row of another version does not match the file's identity, see :meth:`_info_of`)."""
        path = self._file(bucket, key)
        try:
            handle = open(path, "rb")  # noqa: SIM115 (returned open to the caller)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise self._missing(bucket, key) from None
        try:
            if key.endswith("/"):
                self._require_bucket(bucket)  # a directory object's file lives outside the bucket
            stat = os.fstat(handle.fileno())
            if not S_ISREG(stat.st_mode):
                raise self._missing(bucket, key)
            return self._info_of(bucket, key, stat, partial(_read_from_start, handle)), handle
        except BaseException:
            handle.close()
            raise

    def head(self, bucket: str, key: str) -> ObjectInfo:
        path = self._file(bucket, key)
        try:
            info = self._info(bucket, key, path)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise self._missing(bucket, key) from None
        if key.endswith("/"):
            self._require_bucket(bucket)
        return info

    def _missing(self, bucket: str, key: str) -> OssError:
        """NoSuchBucket when the bucket is missing, else NoSuchKey."""
        self._require_bucket(bucket)
        return OssError(404, "NoSuchKey", "The specified key does not exist.", details={"Key": key})

    def delete(self, bucket: str, key: str) -> ObjectInfo | None:
        """Delete an object; returns what was deleted (None if there was nothing: OSS answers
        204 either way)."""
        self._require_bucket(bucket)
        path = self.object_path(bucket, key)
        with self._lock:
            try:
                info = self._info(bucket, key, str(path))
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                return None
            path.unlink()
            self.metadata.delete(bucket, key)
            # a directory object's file lives under .meta (object_path)
            top = self.root / META_DIR / bucket if key.endswith("/") else self._bucket_path(bucket)
            self._prune_empty_dirs(path.parent, top)
        return info

    def set_object_acl(self, bucket: str, key: str, acl: str) -> ObjectInfo:
        with self._lock:
            info = self.head(bucket, key)
            updated = ObjectInfo(**{**asdict(info), "acl": acl})
            self._write_meta(updated, self._file(bucket, key))
        return updated

    def append(
        self,
        bucket: str,
        key: str,
        position: int,
        spooled: SpooledFile,
        attributes: ObjectAttributes = ObjectAttributes(),
        *,
        max_size: int,
    ) -> ObjectInfo:
        """AppendObject: ``position`` must be the current length (0 creates the object)."""
        try:
            self._require_bucket(bucket)
            path = self.object_path(bucket, key)
            with self._lock:
                try:
                    current: ObjectInfo | None = self._info(bucket, key, str(path))
                except FileNotFoundError:
                    current = None
                length = current.size if current is not None else 0
                if current is not None and current.object_type != "Appendable":
                    raise OssError(
                        409, "ObjectNotAppendable", "The object is not appendable.", details={"Key": key}
                    )
                if position != length:
                    raise OssError(
                        409,
                        "PositionNotEqualToLength",
                        f"Position ({position}) is not equal to the file length ({length}).",
                        headers={"x-oss-next-append-position": str(length)},
                    )
                if length + spooled.size > max_size:
                    raise OssError(
                        400,
                        "EntityTooLarge",
                        f"An appendable object may grow to {max_size} bytes; this append would make it "
                        f"{length + spooled.size}.",
                    )
                if current is None:
                    return self.commit(
                        bucket,
                        key,
                        spooled,
                        attributes,
                        object_type="Appendable",
                        etag=appendable_etag(spooled.crc64, spooled.size),
                    )
                with path.open("ab") as out, open(spooled.path, "rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
                base_crc = current.crc64 if current.crc64 is not None else crc64(path.read_bytes()[:length])
                crc = crc64_combine(base_crc, spooled.crc64, spooled.size)
                info = ObjectInfo(
                    **{
                        **asdict(current),
                        "size": length + spooled.size,
                        "etag": appendable_etag(crc, length + spooled.size),
                        "last_modified": self.clock.time(),
                        "crc64": crc,
                    }
                )
                self._write_meta(info, str(path))
                return info
        finally:
            spooled.discard()

    def list(
        self, bucket: str, *, prefix: str = "", delimiter: str = "", marker: str = "", max_keys: int = 1000
    ) -> Listing:
        """Objects sorted by key, after ``marker``; with a ``delimiter``, keys below the next
        delimiter after the prefix are folded into common prefixes, as OSS's ListObjects does."""
        self._existing_bucket(bucket)
        objects: list[ObjectInfo] = []
        prefixes: list[str] = []
        last: str | None = None
        fold = "/" if delimiter == "/" else ""
        for kind, key in self._keys(bucket, prefix, marker, fold):
            if kind == "prefix":
                entry_key = key
            elif delimiter and (cut := key.find(delimiter, len(prefix))) >= 0:
                entry_key = key[: cut + len(delimiter)]
                kind = "prefix"
                if entry_key <= marker or (prefixes and prefixes[-1] == entry_key):
                    continue
            else:
                entry_key = key
            if len(objects) + len(prefixes) >= max_keys:
                return Listing(objects, prefixes, True, last)
            if kind == "prefix":
                prefixes.append(entry_key)
            else:
                try:
                    objects.append(self._info(bucket, key, self._file(bucket, key)))
                except (FileNotFoundError, IsADirectoryError, NotADirectoryError):  # deleted while listing
                    continue
            last = entry_key
        return Listing(objects, prefixes, False, None)

    def object_path(self, bucket: str, key: str) -> Path:
        """Where an object's bytes live (the layout the FC API reads OSS code from)."""
        validate_key(key)
        if key.endswith("/"):
            return self.root / META_DIR / self._checked_bucket(bucket) / key / DIR_OBJECT
        return self._bucket_path(bucket) / key

    # -- helpers ------------------------------------------------------------------------------

    def _file(self, bucket: str, key: str) -> str:
        """:meth:`object_path` as a string (checks the bucket name and the key)."""
        validate_bucket(bucket)
        validate_key(key)
        if key.endswith("/"):  # the key's "/" ends the directory: <key>.dirobject is <key>/.dirobject
            return f"{self._meta_root}{os.sep}{bucket}{os.sep}{key}{DIR_OBJECT}"
        return f"{self._root}{os.sep}{bucket}{os.sep}{key}"

    def _require_bucket(self, bucket: str) -> str:
        """The bucket's directory; OSS's NoSuchBucket when there is none."""
        validate_bucket(bucket)
        path = f"{self._root}{os.sep}{bucket}"
        try:
            if S_ISDIR(os.stat(path).st_mode):
                return path
        except (FileNotFoundError, NotADirectoryError):
            pass
        raise OssError(
            404, "NoSuchBucket", "The specified bucket does not exist.", details={"BucketName": bucket}
        )

    def _place(self, source: str, bucket: str, key: str, target: str) -> None:
        """Rename ``source`` to ``target``, making its directories; OSS's KeyConflict where the key
        cannot be a path beside the objects there; NoSuchBucket when the bucket is gone. Tried
        first as one rename, which fails without any effect where a directory is missing (the
        bucket's among them) or the layout forbids the key."""
        if not key.endswith("/"):
            try:
                os.replace(source, target)
                return
            except IsADirectoryError:
                raise OssError(
                    409, "KeyConflict", f"object '{key}' cannot be stored: objects exist under '{key}/'"
                ) from None
            except (FileNotFoundError, NotADirectoryError):
                pass
        self._require_bucket(bucket)  # a missing bucket is never made here
        self._check_no_conflict(bucket, key)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.replace(source, target)

    def _keys(self, bucket: str, prefix: str, marker: str, fold: str) -> Iterator[tuple[str, str]]:
        """("object", key) in key order, or ("prefix", "dir/") for a whole subtree below
        ``prefix`` when folding on "/"; only keys starting with ``prefix`` and after ``marker``."""
        data_root = self._bucket_path(bucket)
        meta_root = self.root / META_DIR / bucket

        def walk(rel: str) -> Iterator[tuple[str, str]]:
            entries: dict[tuple[str, str], None] = {}
            for base, is_meta in ((data_root, False), (meta_root, True)):
                try:
                    scan = os.scandir(base / rel if rel else base)
                except (FileNotFoundError, NotADirectoryError):
                    continue
                with scan:
                    for entry in scan:
                        if entry.is_dir(follow_symlinks=False):
                            entries[(entry.name + "/", "dir")] = None
                        elif not is_meta and entry.is_file():
                            entries[(entry.name, "file")] = None
            for name, kind in sorted(entries):
                full = rel + name
                if kind == "file":
                    if full.startswith(prefix) and full > marker:
                        yield "object", full
                    continue
                # a subtree: every key in it starts with `full`
                if not (full.startswith(prefix) or prefix.startswith(full)):
                    continue
                if full < marker and not marker.startswith(full):
                    continue
                if (
                    fold
                    and full.startswith(prefix)
                    and len(full) > len(prefix)
                    and "/" not in full[len(prefix) : -1]
                ):
                    if full > marker and self._subtree_has_objects(data_root, meta_root, full):
                        yield "prefix", full
                    continue
                if full.startswith(prefix) and full > marker and (meta_root / full / DIR_OBJECT).is_file():
                    yield "object", full
                yield from walk(full)

        return walk("")

    def _subtree_has_objects(self, data_root: Path, meta_root: Path, rel: str) -> bool:
        if any(files for _d, _s, files in os.walk(data_root / rel)):
            return True
        return any(DIR_OBJECT in files for _d, _s, files in os.walk(meta_root / rel))

    def _has_directory_objects(self, bucket: str) -> bool:
        meta_root = self.root / META_DIR / bucket
        return any(DIR_OBJECT in files for _d, _s, files in os.walk(meta_root))

    def _checked_bucket(self, bucket: str) -> str:
        validate_bucket(bucket)
        return bucket

    def _bucket_path(self, bucket: str) -> Path:
        return self.root / self._checked_bucket(bucket)

    def _existing_bucket(self, bucket: str) -> Path:
        return Path(self._require_bucket(bucket))

    def _write_meta(self, info: ObjectInfo, data_path: str, stat: os.stat_result | None = None) -> None:
        """``stat``: the file's, when the caller has it (a spooled file's, taken after its last
        write: a rename keeps inode, size and mtime)."""
        if stat is None:
            stat = os.stat(data_path)
        doc = {
            "etag": info.etag,
            "content_type": info.content_type,
            "last_modified": info.last_modified,
            "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "inode": stat.st_ino,
            "crc64": info.crc64,
            "type": info.object_type,
            "headers": info.headers,
            "meta": info.user_meta,
            "acl": info.acl,
            "storage_class": info.storage_class,
        }
        self.metadata.put(info.bucket, info.key, doc)

    def _info(self, bucket: str, key: str, path: str) -> ObjectInfo:
        stat = os.stat(path)
        if not S_ISREG(stat.st_mode):
            raise FileNotFoundError(path)

        def read() -> bytes:
            with open(path, "rb") as handle:
                return handle.read()

        return self._info_of(bucket, key, stat, read)

    def _info_of(self, bucket: str, key: str, stat: os.stat_result, read: Callable[[], bytes]) -> ObjectInfo:
        """The info of the object file whose ``stat`` is given: its metadata row when the row
        describes this very file (size, mtime and inode: every put renames a new file into place,
        so a row of another version does not match even within one tick of the file system's
        coarse clock), else ETag and CRC computed from its bytes (``read()``, which leaves an open
        handle back at its start). Rows written before the inode was recorded match on size and
        mtime."""
        meta = self.metadata.get(bucket, key) or {}
        fresh = (
            meta.get("size") == stat.st_size
            and meta.get("mtime_ns") == stat.st_mtime_ns
            and meta.get("inode", stat.st_ino) == stat.st_ino
        )
        if not fresh:  # written by another tool (or by an older version of this store)
            data = read()
            meta = {
                "etag": hashlib.md5(data).hexdigest().upper(),
                "crc64": crc64(data),
                "content_type": meta.get("content_type") or _guess_type(key),
                "last_modified": stat.st_mtime,
            }
        return ObjectInfo(
            bucket,
            key,
            stat.st_size,
            str(meta["etag"]),
            float(meta.get("last_modified") or stat.st_mtime),
            meta.get("content_type") or DEFAULT_CONTENT_TYPE,
            meta.get("crc64"),
            meta.get("type") or "Normal",
            dict(meta.get("headers") or {}),
            dict(meta.get("meta") or {}),
            meta.get("acl") or "default",
            meta.get("storage_class") or "Standard",
        )

    def _check_no_conflict(self, bucket: str, key: str) -> None:
        if key.endswith("/"):
            return  # directory objects live under .meta and never collide with files
        base = self._bucket_path(bucket)
        parts = key.split("/")
        for i in range(1, len(parts)):
            ancestor = base.joinpath(*parts[:i])
            if ancestor.is_file():
                raise OssError(
                    409,
                    "KeyConflict",
                    f"object '{key}' cannot be stored: object '{'/'.join(parts[:i])}' exists and "
                    "the local store keeps keys as paths",
                )
        if (base / key).is_dir():
            raise OssError(
                409, "KeyConflict", f"object '{key}' cannot be stored: objects exist under '{key}/'"
            )

    def _prune_empty_dirs(self, directory: Path, stop: Path) -> None:
        while directory != stop and directory.is_dir() and not any(directory.iterdir()):
            directory.rmdir()
            directory = directory.parent


def _read_from_start(handle: BinaryIO) -> bytes:
    """All of an open file's bytes, leaving it at its start again."""
    handle.seek(0)
    data = handle.read()
    handle.seek(0)
    return data


def _guess_type(key: str) -> str:
    return mimetypes.guess_type(key)[0] or DEFAULT_CONTENT_TYPE


def validate_bucket(bucket: str) -> None:
    if not BUCKET_PATTERN.fullmatch(bucket or ""):
        raise OssError(
            400,
            "InvalidBucketName",
            f"The specified bucket name {bucket!r} is not valid: 3-63 characters of lower-case letters, "
            "digits and '-', starting and ending with a letter or digit.",
            details={"BucketName": bucket or ""},
        )


def validate_key(key: str) -> None:
    if not key or len(key.encode()) > MAX_KEY_BYTES:
        raise OssError(400, "InvalidObjectName", f"The object key {key!r} must be 1-1023 bytes long.")
    if key.startswith(("/", "\\")) or "\x00" in key:
        raise OssError(
            400,
            "InvalidObjectName",
            f"The object key {key!r} must not start with '/' or '\\' or contain NUL.",
        )
    segments = key.split("/")
    if key.endswith("/"):
        segments = segments[:-1]
    if any(part in ("", ".", "..") for part in segments):
        raise OssError(
            400,
            "InvalidObjectName",
            f"The object key {key!r} has an empty, '.' or '..' path segment, which the local store "
            "(keys are file paths) cannot keep.",
        )


def appendable_etag(crc: int, size: int) -> str:
    """An appendable object's ETag (OSS's is not the content's MD5 either): recomputing an MD5
    over the whole object on every append would make appends cost O(size)."""
    return f"{crc:016X}{size:016X}"
