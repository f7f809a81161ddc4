"""Multipart uploads: ``<root>/.uploads/<bucket>/<uploadId>/`` with ``upload.json`` and one
``<n>.part`` + ``<n>.json`` per part.

Why on disk: an upload can span hours and backend restarts, as on OSS. Completing one joins the
named parts into a temporary file and renames it into place, so the object appears whole or not
at all; its ETag is OSS's ``<md5 of the parts' md5s>-<count>`` and its CRC-64 is combined from the
parts' CRCs. Limits as OSS documents them (https://www.alibabacloud.com/help/en/oss/user-guide/limits):
part numbers 1-10000, every part but the last at least 100 KB, at most 5 GB a part.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

from fcbackend.oss.checksums import crc64_combine, multipart_etag
from fcbackend.oss.spool import SpooledFile
from fcbackend.oss.store import ObjectAttributes, ObjectInfo, ObjectStore, OssError

UPLOADS_DIR = ".uploads"
MAX_PART_NUMBER = 10_000
MIN_PART_BYTES = 100 * 1024
MAX_PART_BYTES = 5 * 1024**3


@dataclass(frozen=True)
class Upload:
    bucket: str
    key: str
    upload_id: str
    initiated: float
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    user_meta: dict[str, str] = field(default_factory=dict)
    acl: str = "default"
    storage_class: str = "Standard"


@dataclass(frozen=True)
class Part:
    number: int
    etag: str  # upper-case hex MD5
    size: int
    crc64: int
    last_modified: float


class MultipartUploads:
    def __init__(self, store: ObjectStore):
        self.store = store
        self.root = store.root / UPLOADS_DIR
        self._lock = threading.Lock()

    def _dir(self, bucket: str, upload_id: str) -> Path:
        if not upload_id.isalnum():
            raise _no_upload(upload_id)
        return self.root / bucket / upload_id

    def initiate(self, bucket: str, key: str, attributes: ObjectAttributes) -> Upload:
        self.store.object_path(bucket, key)  # validates bucket and key names
        self.store.bucket(bucket)  # NoSuchBucket
        upload = Upload(
            bucket,
            key,
            secrets.token_hex(16).upper(),
            self.store.clock.time(),
            attributes.content_type,
            dict(attributes.headers),
            dict(attributes.user_meta),
            attributes.acl,
            attributes.storage_class,
        )
        directory = self._dir(bucket, upload.upload_id)
        directory.mkdir(parents=True)
        (directory / "upload.json").write_text(json.dumps(asdict(upload)))
        return upload

    def get(self, bucket: str, key: str, upload_id: str) -> Upload:
        self.store.bucket(bucket)
        try:
            data = json.loads((self._dir(bucket, upload_id) / "upload.json").read_text())
        except (FileNotFoundError, ValueError):
            raise _no_upload(upload_id) from None
        upload = Upload(**data)
        if upload.key != key:
            raise _no_upload(upload_id)
        return upload

    def put_part(self, upload: Upload, number: int, spooled: SpooledFile) -> Part:
        try:
            if not 1 <= number <= MAX_PART_NUMBER:
                raise OssError(
                    400,
                    "InvalidArgument",
                    f"Part number must be an integer between 1 and {MAX_PART_NUMBER}, got {number}.",
                    details={"ArgumentName": "partNumber", "ArgumentValue": str(number)},
                )
            directory = self._dir(upload.bucket, upload.upload_id)
            if not directory.is_dir():
                raise _no_upload(upload.upload_id)
            part = Part(number, spooled.etag, spooled.size, spooled.crc64, self.store.clock.time())
            os.replace(spooled.path, directory / f"{number}.part")
            (directory / f"{number}.json").write_text(json.dumps(asdict(part)))
            return part
        finally:
            spooled.discard()

    def parts(self, upload: Upload) -> list[Part]:
        directory = self._dir(upload.bucket, upload.upload_id)
        found = []
        for path in directory.glob("*.json"):
            if path.stem.isdigit():
                with contextlib.suppress(FileNotFoundError, ValueError):
                    found.append(Part(**json.loads(path.read_text())))
        return sorted(found, key=lambda p: p.number)

    def uploads(self, bucket: str) -> list[Upload]:
        self.store.bucket(bucket)
        found = []
        for path in (self.root / bucket).glob("*/upload.json"):
            with contextlib.suppress(FileNotFoundError, ValueError):
                found.append(Upload(**json.loads(path.read_text())))
        return sorted(found, key=lambda u: (u.key, u.initiated, u.upload_id))

    def abort(self, upload: Upload) -> None:
        shutil.rmtree(self._dir(upload.bucket, upload.upload_id), ignore_errors=True)

    def complete(self, upload: Upload, chosen: list[tuple[int, str]]) -> ObjectInfo:
        """Join the ``(part number, ETag)`` list, in ascending order, into the object."""
        if not chosen:
            raise OssError(400, "MalformedXML", "The XML you provided names no part.")
        numbers = [n for n, _ in chosen]
        if numbers != sorted(set(numbers)):
            raise OssError(
                400, "InvalidPartOrder", "The list of parts was not in ascending order of part number."
            )
        stored = {p.number: p for p in self.parts(upload)}
        parts: list[Part] = []
        for number, etag in chosen:
            part = stored.get(number)
            if part is None or part.etag != etag.strip('"').upper():
                raise OssError(
                    400,
                    "InvalidPart",
                    f"Part {number} was not uploaded, or its ETag {etag} does not match.",
                    details={"PartNumber": str(number), "ETag": etag},
                )
            parts.append(part)
        for part in parts[:-1]:
            if part.size < MIN_PART_BYTES:
                raise OssError(
                    400,
                    "EntityTooSmall",
                    f"Part {part.number} is {part.size} bytes; every part but the last must be at least "
                    f"{MIN_PART_BYTES} bytes.",
                    details={"PartNumber": str(part.number)},
                )
        directory = self._dir(upload.bucket, upload.upload_id)
        with self._lock:
            spooled = self._join(directory, parts)
            info = self.store.commit(
                upload.bucket,
                upload.key,
                spooled,
                ObjectAttributes(
                    upload.content_type, upload.headers, upload.user_meta, upload.acl, upload.storage_class
                ),
                object_type="Multipart",
                etag=multipart_etag(bytes.fromhex(p.etag) for p in parts),
            )
            shutil.rmtree(directory, ignore_errors=True)
        return info

    def _join(self, directory: Path, parts: list[Part]) -> SpooledFile:
        tmp_dir = self.store.tmp_dir
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=tmp_dir, prefix="mp-")
        crc = 0
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                for part in parts:
                    with (directory / f"{part.number}.part").open("rb") as src:
                        shutil.copyfileobj(src, out, 1 << 20)
                    crc = crc64_combine(crc, part.crc64, part.size) if size else part.crc64
                    size += part.size
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)
            raise
        return SpooledFile(name, size, b"", crc)


def _no_upload(upload_id: str) -> OssError:
    return OssError(
        404,
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been "
        "aborted or completed.",
        details={"UploadId": upload_id},
    )
