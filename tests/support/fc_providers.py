"""Helpers shared by the provider tests."""

from __future__ import annotations

import base64
import io
import zipfile

from rosengine.clients.fc import FcClient


def zip_b64(files: dict[str, str]) -> str:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def invocation_count(fc: FcClient, service: str, function: str) -> int:
    return len(fc.list_invocations(service, function))
