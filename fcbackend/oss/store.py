"""A local object store laid out as plain files: ``<root>/<bucket>/<key>``.

Why plain files: FC code can live in OSS (``ossBucketName`` + ``ossObjectName``) and the REST
layer reads such code straight from ``<fc state dir>/oss/<bucket>/<key>``; users can also look at
and edit objects with ordinary tools. Small metadata (ETag, content type) sits beside the data in
``<root>/.meta/<bucket>/<key>.json``; ``.meta`` can never be a bucket name (names start with a
letter or digit). Objects are written to a temporary file and renamed into place, so a reader
never sees half an object.

Rules (OSS's, enforced with clear errors): bucket names 3-63 characters of lower-case letters,
digits and ``-``, starting and ending with a letter or digit; keys 1-1023 bytes, not starting
with ``/`` or ``\\``, without ``.``/``..`` segments or empty segments. Because keys are paths, an
object ``a`` and an object ``a/b`` cannot coexist here (OSS allows it; we refuse with a message).
Putting into a bucket that does not exist creates it (local-first convenience).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from fcbackend.clock import DEFAULT_CLOCK, Clock

BUCKET_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
META_DIR = ".meta"
TMP_DIR = ".tmp"


class OssError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ObjectInfo:
    bucket: str
    key: str
    size: int
    etag: str  # upper-case hex MD5, as OSS shows it (without quotes)
    last_modified: float
    content_type: str = "application/octet-stream"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Listing:
    objects: list[ObjectInfo]
    common_prefixes: list[str]
    truncated: bool
    next_marker: str | None


class ObjectStore:
    def __init__(self, root: Path, *, clock: Clock = DEFAULT_CLOCK) -> None:
        self.root = root
        self.clock = clock
        self._lock = threading.Lock()
        root.mkdir(parents=True, exist_ok=True)

    # -- buckets ------------------------------------------------------------------------------

    def create_bucket(self, bucket: str) -> bool:
        """Create a bucket; False if it already existed."""
        path = self._bucket_path(bucket)
        if path.is_dir():
            return False
        path.mkdir(parents=True, exist_ok=True)
        return True

    def delete_bucket(self, bucket: str) -> None:
        path = self._existing_bucket(bucket)
        if any(path.iterdir()):
            raise OssError(409, "BucketNotEmpty", f"bucket '{bucket}' is not empty; delete its objects first")
        path.rmdir()
        shutil.rmtree(self.root / META_DIR / bucket, ignore_errors=True)

    def list_buckets(self) -> list[str]:
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and BUCKET_PATTERN.match(p.name))

    def bucket_exists(self, bucket: str) -> bool:
        return self._bucket_path(bucket).is_dir()

    # -- objects ------------------------------------------------------------------------------

    def put(self, bucket: str, key: str, data: bytes, content_type: str | None = None) -> ObjectInfo:
        target = self.object_path(bucket, key)
        self.create_bucket(bucket)
        with self._lock:
            self._check_no_conflict(bucket, key)
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp_dir = self.root / TMP_DIR
            tmp_dir.mkdir(exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=tmp_dir)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                os.replace(tmp, target)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp)
                raise
            info = ObjectInfo(
                bucket,
                key,
                len(data),
                hashlib.md5(data).hexdigest().upper(),
                self.clock.time(),
                content_type or "application/octet-stream",
            )
            meta = self._meta_path(bucket, key)
            meta.parent.mkdir(parents=True, exist_ok=True)
            meta.write_text(
                json.dumps(
                    {
                        "etag": info.etag,
                        "content_type": info.content_type,
                        "last_modified": info.last_modified,
                    }
                )
            )
        return info

    def get(self, bucket: str, key: str) -> tuple[ObjectInfo, bytes]:
        info = self.head(bucket, key)
        return info, self.object_path(bucket, key).read_bytes()

    def head(self, bucket: str, key: str) -> ObjectInfo:
        self._existing_bucket(bucket)
        path = self.object_path(bucket, key)
        if not path.is_file():
            raise OssError(404, "NoSuchKey", f"object '{key}' does not exist in bucket '{bucket}'")
        return self._info(bucket, key, path)

    def delete(self, bucket: str, key: str) -> ObjectInfo | None:
        """Delete an object; returns what was deleted (None if there was nothing: OSS answers
        204 either way)."""
        self._existing_bucket(bucket)
        path = self.object_path(bucket, key)
        with self._lock:
            if not path.is_file():
                return None
            info = self._info(bucket, key, path)
            path.unlink()
            with contextlib.suppress(FileNotFoundError):
                self._meta_path(bucket, key).unlink()
            self._prune_empty_dirs(path.parent, self._bucket_path(bucket))
        return info

    def list(
        self, bucket: str, *, prefix: str = "", delimiter: str = "", marker: str = "", max_keys: int = 1000
    ) -> Listing:
        """Objects sorted by key, after ``marker``; with ``delimiter`` ('/') keys below the next
        delimiter are folded into common prefixes, as OSS's ListObjects does."""
        base = self._existing_bucket(bucket)
        keys = sorted(p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file())
        objects: list[ObjectInfo] = []
        prefixes: list[str] = []
        truncated = False
        last = None
        for key in keys:
            if not key.startswith(prefix) or key <= marker:
                continue
            if delimiter:
                cut = key.find(delimiter, len(prefix))
                if cut >= 0:
                    common = key[: cut + len(delimiter)]
                    if common not in prefixes and common > marker:
                        if len(objects) + len(prefixes) >= max_keys:
                            truncated = True
                            break
                        prefixes.append(common)
                        last = common
                    continue
            if len(objects) + len(prefixes) >= max_keys:
                truncated = True
                break
            objects.append(self._info(bucket, key, base / key))
            last = key
        return Listing(objects, prefixes, truncated, last if truncated else None)

    def object_path(self, bucket: str, key: str) -> Path:
        """Where an object's bytes live (the layout the REST layer reads OSS code from)."""
        validate_key(key)
        return self._bucket_path(bucket) / key

    # -- helpers ------------------------------------------------------------------------------

    def _bucket_path(self, bucket: str) -> Path:
        validate_bucket(bucket)
        return self.root / bucket

    def _existing_bucket(self, bucket: str) -> Path:
        path = self._bucket_path(bucket)
        if not path.is_dir():
            raise OssError(404, "NoSuchBucket", f"bucket '{bucket}' does not exist")
        return path

    def _meta_path(self, bucket: str, key: str) -> Path:
        return self.root / META_DIR / bucket / (key + ".json")

    def _info(self, bucket: str, key: str, path: Path) -> ObjectInfo:
        stat = path.stat()
        try:
            meta = json.loads(self._meta_path(bucket, key).read_text())
        except (FileNotFoundError, ValueError):
            meta = {}
        etag = meta.get("etag")
        if not etag or meta.get("last_modified", 0) < stat.st_mtime - 1:  # written by another tool
            etag = _md5_file(path)
        return ObjectInfo(
            bucket,
            key,
            stat.st_size,
            etag,
            float(meta.get("last_modified") or stat.st_mtime),
            meta.get("content_type") or "application/octet-stream",
        )

    def _check_no_conflict(self, bucket: str, key: str) -> None:
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


def validate_bucket(bucket: str) -> None:
    if not BUCKET_PATTERN.match(bucket or ""):
        raise OssError(
            400,
            "InvalidBucketName",
            f"bucket name {bucket!r} is invalid: 3-63 characters of lower-case letters, digits "
            "and '-', starting and ending with a letter or digit",
        )


def validate_key(key: str) -> None:
    if not key or len(key.encode()) > 1023:
        raise OssError(400, "InvalidObjectName", f"object key {key!r} must be 1-1023 bytes long")
    if key.startswith(("/", "\\")) or key.endswith("/") or "\x00" in key:
        raise OssError(
            400,
            "InvalidObjectName",
            f"object key {key!r} must not start with '/' or '\\', end with '/' or contain NUL",
        )
    if any(part in ("", ".", "..") for part in key.split("/")):
        raise OssError(
            400, "InvalidObjectName", f"object key {key!r} must not contain empty, '.' or '..' path segments"
        )


def _md5_file(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest().upper()
