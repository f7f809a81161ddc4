"""Reading a ``code`` object from a request: ``{zipFile: base64}`` or ``{ossBucketName,
ossObjectName}`` read from the local object store directory ``<fc state dir>/oss/<bucket>/<key>``.

Why the OSS pair reads a directory: the bundled OSS service keeps objects as plain files there, so
a template that uploads code to a bucket and then points a function at it works offline.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fcbackend.api.body import MAX_API_BODY
from fcbackend.api.errors import invalid
from fcbackend.backend_config import MAX_CODE_ZIP, MAX_OSS_CODE_ZIP
from fcbackend.store import CodeBlob, CodeError

if TYPE_CHECKING:
    from fcbackend.api.state import BackendState

# The JSON body of an operation that may carry a code zip inline: the zip in base64 plus the rest.
MAX_CODE_BODY = MAX_CODE_ZIP * 4 // 3 + 4 + MAX_API_BODY


def _case_insensitive(code: dict[str, Any], name: str) -> Any:
    for key, value in code.items():
        if key.lower() == name.lower():
            return value
    return None


def _oss_path(state: BackendState, bucket: str, key: str) -> Path:
    root = state.config.oss_dir.resolve()
    path = (root / bucket / key.lstrip("/")).resolve()
    if not str(path).startswith(str(root / bucket) + "/"):
        raise invalid(f"code.ossObjectName '{key}' points outside bucket '{bucket}'")
    return path


def read_code_bytes(state: BackendState, code: Any, what: str = "code") -> bytes:
    """The zip bytes a ``code`` object names; a clear 400 for anything else."""
    if not isinstance(code, dict):
        raise invalid(f"{what} must be an object with zipFile or ossBucketName + ossObjectName")
    zip_b64 = _case_insensitive(code, "zipFile")
    bucket = _case_insensitive(code, "ossBucketName")
    key = _case_insensitive(code, "ossObjectName")
    if zip_b64:
        if not isinstance(zip_b64, str):
            raise invalid(f"{what}.zipFile must be a base64 string")
        if len(zip_b64) > MAX_CODE_ZIP * 4 // 3 + 4:
            raise invalid(f"{what}.zipFile is larger than {MAX_CODE_ZIP} bytes; upload it to OSS instead")
        try:
            return base64.b64decode(zip_b64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise invalid(f"{what}.zipFile is not valid base64: {exc}") from exc
    if bucket or key:
        if not (isinstance(bucket, str) and bucket and isinstance(key, str) and key):
            raise invalid(f"{what}.ossBucketName and {what}.ossObjectName must be given together")
        path = _oss_path(state, bucket, key)
        if not path.is_file():
            raise invalid(f"{what}: object oss://{bucket}/{key} was not found in the local object store")
        if path.stat().st_size > MAX_OSS_CODE_ZIP:
            raise invalid(f"{what}: oss://{bucket}/{key} is larger than {MAX_OSS_CODE_ZIP} bytes")
        return path.read_bytes()
    raise invalid(f"{what} must contain zipFile or ossBucketName + ossObjectName")


async def store_code(state: BackendState, code: Any, what: str = "code") -> CodeBlob:
    """Read, validate and store a code object (off the event loop: hashing big zips is slow)."""

    def work() -> CodeBlob:
        data = read_code_bytes(state, code, what)
        try:
            return state.code.put(data)
        except CodeError as exc:
            raise invalid(f"{what}: {exc}") from exc

    return await asyncio.to_thread(work)


def download_token(state: BackendState, sha: str) -> str:
    """A token that lets one code package be downloaded without an FC signature (as OSS's
    pre-signed URLs do in the cloud)."""
    key = state.config.access_key_secret.encode()
    return hmac.new(key, sha.encode(), hashlib.sha256).hexdigest()[:32]
