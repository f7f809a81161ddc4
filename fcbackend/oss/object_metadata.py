"""What OSS keeps about an object besides its bytes (ETag, CRC-64, content type, headers, user
metadata, object type, ACL, storage class), one document per ``(bucket, key)``.

Why a database rather than a sidecar file per object: every put wrote two files (the object, then
``.meta/<bucket>/<key>.json`` through a temporary file and a rename), and on ext4 the second
rename cost about as much as the object itself; a row in a WAL database costs a fraction of that
and stays as crash-safe. The bytes stay plain files (the FC API reads code from them).
``<root>/.meta/objects.db`` by default, beside the directory objects (``<key>/.dirobject``).

State directories of earlier releases are migrated when the store opens: their sidecar files are
read into the table, then removed.
"""

from __future__ import annotations

import contextlib
import json
import os
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from sqlstore import Database, Migration, Schema, Session, SqliteDatabase

META_DIR = ".meta"
DATABASE_NAME = "objects.db"
_SIDECAR = ".json"


class ObjectMetadataStore(Protocol):
    def get(self, bucket: str, key: str) -> dict[str, Any] | None: ...

    def put(self, bucket: str, key: str, doc: dict[str, Any]) -> None:
        """Create or replace the object's document."""
        ...

    def delete(self, bucket: str, key: str) -> None: ...

    def delete_bucket(self, bucket: str) -> None:
        """Forget every object of ``bucket``."""
        ...

    def close(self) -> None: ...


def _create(session: Session) -> None:
    session.execute(
        "CREATE TABLE object_metadata (bucket TEXT NOT NULL, key TEXT NOT NULL, doc TEXT NOT NULL, "
        "PRIMARY KEY (bucket, key))"
    )


def _sidecars(root: Path) -> list[tuple[str, str, Path]]:
    """``(bucket, key, file)`` of every metadata sidecar an earlier release wrote under ``root``:
    ``.meta/<bucket>/<key>.json`` (a directory object ``dir/`` has ``.meta/<bucket>/dir/.json``)."""
    found: list[tuple[str, str, Path]] = []
    meta = root / META_DIR
    with contextlib.suppress(FileNotFoundError):
        for bucket in os.scandir(meta):
            if not bucket.is_dir(follow_symlinks=False):
                continue
            for directory, _dirs, files in os.walk(bucket.path):
                for name in files:
                    if name.endswith(_SIDECAR) and not name.startswith(".m-"):
                        path = Path(directory, name)
                        key = path.relative_to(bucket.path).as_posix()[: -len(_SIDECAR)]
                        found.append((bucket.name, key, path))
    return found


def _import_sidecars(root: Path, session: Session) -> None:
    for bucket, key, path in _sidecars(root):
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # unreadable: the object's ETag and CRC are recomputed when it is read
        session.execute(
            "INSERT INTO object_metadata (bucket, key, doc) VALUES (?, ?, ?) "
            "ON CONFLICT (bucket, key) DO NOTHING",
            (bucket, key, json.dumps(doc)),
        )


class SqliteObjectMetadataStore:
    def __init__(self, database: Database, root: Path) -> None:
        """``root``: the object store's directory, whose sidecar files of an earlier layout are
        moved into the table once."""
        self.database = database
        database.migrate(
            Schema(
                "oss.object_metadata",
                (
                    Migration(1, "object metadata", _create),
                    Migration(2, "sidecar files of earlier releases", partial(_import_sidecars, root)),
                ),
            )
        )
        self._put = database.dialect.upsert("object_metadata", ("bucket", "key", "doc"), ("bucket", "key"))
        self._remove_imported_sidecars(root)

    @classmethod
    def beside(cls, root: Path) -> SqliteObjectMetadataStore:
        """The store in ``<root>/.meta/objects.db``."""
        return cls(SqliteDatabase(root / META_DIR / DATABASE_NAME), root)

    def get(self, bucket: str, key: str) -> dict[str, Any] | None:
        with self.database.reading() as session:
            row = session.execute(
                "SELECT doc FROM object_metadata WHERE bucket = ? AND key = ?", (bucket, key)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, bucket: str, key: str, doc: dict[str, Any]) -> None:
        with self.database.transaction() as session:
            session.execute(self._put, (bucket, key, json.dumps(doc)))

    def delete(self, bucket: str, key: str) -> None:
        with self.database.transaction() as session:
            session.execute("DELETE FROM object_metadata WHERE bucket = ? AND key = ?", (bucket, key))

    def delete_bucket(self, bucket: str) -> None:
        with self.database.transaction() as session:
            session.execute("DELETE FROM object_metadata WHERE bucket = ?", (bucket,))

    def close(self) -> None:
        self.database.close()

    def _remove_imported_sidecars(self, root: Path) -> None:
        """After the import has committed: the sidecars now in the table go (a crash before this
        leaves files nobody reads, removed at the next open)."""
        for bucket, key, path in _sidecars(root):
            if self.get(bucket, key) is not None:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
