"""What the store keeps about a bucket beside its objects: ``<root>/.buckets/<name>.json``.

Why a record of its own: a bucket is a directory of objects, but OSS also answers for its creation
date, ACL, storage class, redundancy type, region, tags and the configuration documents a
template sets on it (versioning, lifecycle, CORS, referer, website, logging, policy, encryption).
The documents are recorded as sent and returned as stored; their effects (expiring objects,
keeping versions) are not emulated. A bucket directory without a record (made by an older
version or by hand) gets the defaults, dated by the directory itself.

Records are read on many requests (anonymous access asks for the bucket's ACL, every bucket
operation for the record), so a parsed record is kept in memory with the identity of the file it
came from (inode, size, modification time in ns). A ``stat`` tells whether the file is still that
one: every save writes a new file (a new inode while the old one is still in place) stamped with
the fine-grained clock and renames it into place, so a record saved by another process (a second
backend or ``ros`` on the same state directory) never looks like the cached one and is read
again; nothing stale is answered.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

RECORDS_DIR = ".buckets"
ACLS = ("private", "public-read", "public-read-write")
STORAGE_CLASSES = ("Standard", "IA", "Archive", "ColdArchive", "DeepColdArchive")
REDUNDANCY_TYPES = ("LRS", "ZRS")


@dataclass(frozen=True)
class BucketRecord:
    name: str
    created: float
    acl: str = "private"
    storage_class: str = "Standard"
    redundancy: str = "LRS"
    region: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    # sub-resource name (e.g. "lifecycle") -> document as sent (XML, or JSON for "policy")
    documents: dict[str, str] = field(default_factory=dict)

    def with_changes(self, **changes: Any) -> BucketRecord:
        return replace(self, **changes)


_FileIdentity = tuple[int, int, int]  # (inode, size, mtime in ns)


class BucketRecords:
    def __init__(self, root: Path):
        self.directory = root / RECORDS_DIR
        self._prefix = f"{self.directory}{os.sep}"
        self._cache: dict[str, tuple[_FileIdentity, BucketRecord]] = {}

    def path(self, name: str) -> Path:
        return self.directory / f"{name}.json"

    def load(self, name: str, bucket_dir: Path | str, default_region: str) -> BucketRecord:
        path = f"{self._prefix}{name}.json"
        try:
            stat = os.stat(path)
        except FileNotFoundError:
            return self._default(name, bucket_dir, default_region)
        cached = self._cache.get(name)
        if cached is not None and cached[0] == _identity(stat):
            return cached[1]
        try:
            with open(path, "rb") as handle:
                identity = _identity(os.fstat(handle.fileno()))  # the file actually read
                data = json.loads(handle.read())
            record = BucketRecord(**{k: v for k, v in data.items() if k in BucketRecord.__dataclass_fields__})
        except (FileNotFoundError, ValueError, TypeError):
            return self._default(name, bucket_dir, default_region)
        self._cache[name] = (identity, record)
        return record

    def _default(self, name: str, bucket_dir: Path | str, default_region: str) -> BucketRecord:
        self._cache.pop(name, None)
        return BucketRecord(name, os.stat(bucket_dir).st_mtime, region=default_region)

    def save(self, record: BucketRecord) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".rec-")
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(asdict(record), handle)
                # A modification time from the fine clock: the file system's is coarse (a few ms),
                # and two saves in one tick could otherwise look alike to a cache (see load).
                now = time.time_ns()
                os.utime(handle.fileno(), ns=(now, now))
            os.replace(tmp, self.path(record.name))
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def remove(self, name: str) -> None:
        self._cache.pop(name, None)
        with contextlib.suppress(FileNotFoundError):
            self.path(name).unlink()


def _identity(stat: os.stat_result) -> _FileIdentity:
    return stat.st_ino, stat.st_size, stat.st_mtime_ns
