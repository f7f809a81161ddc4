"""What the store keeps about a bucket beside its objects: ``<root>/.buckets/<name>.json``.

Why a record of its own: a bucket is a directory of objects, but OSS also answers for its creation
date, ACL, storage class, redundancy type, region, tags and the configuration documents a
template sets on it (versioning, lifecycle, CORS, referer, website, logging, policy, encryption).
The documents are recorded as sent and returned as stored; their effects (expiring objects,
keeping versions) are not emulated. A bucket directory without a record (made by an older
version or by hand) gets the defaults, dated by the directory itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
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


class BucketRecords:
    def __init__(self, root: Path):
        self.directory = root / RECORDS_DIR

    def path(self, name: str) -> Path:
        return self.directory / f"{name}.json"

    def load(self, name: str, bucket_dir: Path, default_region: str) -> BucketRecord:
        try:
            data = json.loads(self.path(name).read_text())
            return BucketRecord(**{k: v for k, v in data.items() if k in BucketRecord.__dataclass_fields__})
        except (FileNotFoundError, ValueError, TypeError):
            return BucketRecord(name, bucket_dir.stat().st_mtime, region=default_region)

    def save(self, record: BucketRecord) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".rec-")
        try:
            with os.fdopen(fd, "w") as handle:
                json.dump(asdict(record), handle)
            os.replace(tmp, self.path(record.name))
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def remove(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(name).unlink()
