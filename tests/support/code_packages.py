"""Zip code packages built entry by entry (files, directories, symlinks), as a hostile uploader
would build them: a symlink is a zip entry whose mode says so and whose content is its target."""

from __future__ import annotations

import io
import stat
import zipfile


def package(*entries: tuple[str, str, str]) -> bytes:
    """A zip of ``(kind, name, content)`` entries; kind is file, dir or link (content = target)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for kind, name, content in entries:
            if kind == "dir":
                zf.writestr(zipfile.ZipInfo(name.rstrip("/") + "/"), b"")
                continue
            info = zipfile.ZipInfo(name)
            mode = stat.S_IFLNK | 0o777 if kind == "link" else stat.S_IFREG | 0o644
            info.external_attr = mode << 16
            zf.writestr(info, content)
    return buf.getvalue()


HANDLER = ("file", "index.py", "def handler(e, c):\n    return e\n")
