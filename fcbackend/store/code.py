"""Content-addressed code and layer packages: ``code/<sha256>.zip``, unpacked once into
``unpacked/<sha256>/``.

Why content-addressed: the same zip uploaded for many functions, versions or layer versions is
stored and unpacked once, and published versions keep pointing at the exact bytes they snapshot.
The unpacked tree is what instances mount read-only at ``/code`` (or merge at ``/opt``), so it must
be complete before anyone sees it: we unpack into a temporary directory and rename it in place.

Safety (docs/reference/fc-runtime.md#limits): zips are checked before they are stored, so a
package that cannot be unpacked safely is refused at upload with a clear 400 (never accepted and
then failing at the first invocation): entry count, total uncompressed size, no absolute paths, no
``..`` components (zip slip), one kind per path (a file, a directory or a symlink — never two of
them under one name, and nothing below a file or a symlink), and every symlink resolving inside
the package, followed through the package's other symlinks as the kernel would follow them.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import stat
import threading
import zipfile
from pathlib import Path, PurePosixPath

from fcbackend.backend_config import MAX_UNPACKED_CODE, MAX_ZIP_ENTRIES
from fcbackend.store.code_contents import CodeContents
from fcbackend.store.crc64 import checksum_text
from fcbackend.store.metadata import CodeBlob, MetadataStore


class CodeError(ValueError):
    """The package is not a usable zip (shown to the caller as 400 InvalidArgument)."""


def _safe_member_name(name: str) -> PurePosixPath | None:
    """The relative path of a zip entry, or None for entries that only name a directory root."""
    if name.startswith("/") or name.startswith("\\") or (len(name) > 1 and name[1] == ":"):
        raise CodeError(f"zip entry {name!r} has an absolute path")
    path = PurePosixPath(name.replace("\\", "/"))
    if any(part == ".." for part in path.parts):
        raise CodeError(f"zip entry {name!r} points outside the package (contains '..')")
    parts = [p for p in path.parts if p not in ("", ".")]
    return PurePosixPath(*parts) if parts else None


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def check_zip(data: bytes) -> None:
    """Raise :class:`CodeError` unless ``data`` is a zip we are willing to unpack."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                raise CodeError(
                    f"the code package has {len(infos)} entries; at most {MAX_ZIP_ENTRIES} are allowed"
                )
            total = 0
            tree = PackageTree()
            for info in infos:
                rel = _safe_member_name(info.filename)
                total += info.file_size
                if rel is None:
                    continue
                if _is_symlink(info):
                    tree.add(rel, "symlink", _link_target(zf, info))
                else:
                    tree.add(rel, "directory" if info.is_dir() else "file")
            if total > MAX_UNPACKED_CODE:
                raise CodeError(
                    f"the code package unpacks to {total} bytes; at most {MAX_UNPACKED_CODE} are allowed"
                )
            tree.check_links()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError) as exc:
        raise CodeError(f"the code is not a valid zip file: {exc}") from exc


MAX_LINK_TARGET = 4096  # PATH_MAX: no real symlink target is longer
MAX_LINK_HOPS = 40  # as Linux: more symlinks than this on one path is a loop (ELOOP)


def _link_target(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    """The target a symlink entry stores (its content), refused when it cannot be one."""
    if info.file_size > MAX_LINK_TARGET:
        raise CodeError(
            f"zip entry {info.filename!r} is a symlink with a target over {MAX_LINK_TARGET} bytes"
        )
    raw = zf.read(info)
    if len(raw) > MAX_LINK_TARGET or not raw or b"\x00" in raw:
        raise CodeError(f"zip entry {info.filename!r} is a symlink without a usable target")
    return raw.decode("utf-8", "surrogateescape")


class PackageTree:
    """The paths a package would create, by kind, to find conflicts and escaping symlinks
    without unpacking anything."""

    def __init__(self) -> None:
        self.kinds: dict[PurePosixPath, str] = {}
        self.links: dict[PurePosixPath, str] = {}

    def add(self, rel: PurePosixPath, kind: str, target: str = "") -> None:
        for parent in reversed(rel.parents[:-1]):  # every ancestor must be a directory
            seen = self.kinds.setdefault(parent, "directory")
            if seen != "directory":
                raise CodeError(
                    f"zip entry {str(rel)!r} lies below {str(parent)!r}, which the package also holds "
                    f"as a {seen}: a path can be only one of a file, a directory or a symlink"
                )
        before = self.kinds.get(rel)
        if before is not None and (before != kind or kind == "symlink"):
            raise CodeError(
                f"the code package holds {str(rel)!r} twice, as a {before} and as a {kind}: a path can be "
                "only one of a file, a directory or a symlink"
            )
        self.kinds[rel] = kind
        if kind == "symlink":
            self.links[rel] = target

    def check_links(self) -> None:
        for link, target in self.links.items():
            self._resolve(link, target)

    def _resolve(self, link: PurePosixPath, target: str) -> None:
        """Follow ``link`` component by component, through the package's own symlinks; refuse
        it when any step leaves the package (an absolute target, ``..`` above the root) or it
        takes more than :data:`MAX_LINK_HOPS` symlinks (a loop)."""
        where: list[str] = list(link.parent.parts)
        pending: list[str] = list(reversed(target.split("/")))
        hops = 0
        if target.startswith("/"):
            raise CodeError(
                f"zip entry {str(link)!r} is a symlink to the absolute path {target!r}, outside the package"
            )
        while pending:
            part = pending.pop()
            if part in ("", "."):
                continue
            if part == "..":
                if not where:
                    raise CodeError(
                        f"zip entry {str(link)!r} is a symlink pointing outside the package ({target!r})"
                    )
                where.pop()
                continue
            where.append(part)
            next_target = self.links.get(PurePosixPath(*where))
            if next_target is None:
                continue
            hops += 1
            if hops > MAX_LINK_HOPS:
                raise CodeError(f"zip entry {str(link)!r} is a symlink that loops ({target!r})")
            if next_target.startswith("/"):
                raise CodeError(
                    f"zip entry {str(link)!r} leads through a symlink to the absolute path "
                    f"{next_target!r}, outside the package"
                )
            where.pop()
            pending.extend(reversed(next_target.split("/")))


class CodeStore:
    """Stores zips by sha256 and unpacks each once, on first use.

    ``contents``: where every backend of a shared database finds the bytes; ``code/`` is then this
    backend's cache of them, filled when a package is first needed here."""

    def __init__(self, root: Path, meta: MetadataStore, contents: CodeContents | None = None):
        self.contents = contents
        self.zips = root / "code"
        self.trees = root / "unpacked"
        self.zips.mkdir(parents=True, exist_ok=True)
        self.trees.mkdir(parents=True, exist_ok=True)
        self._meta = meta
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def put(self, data: bytes) -> CodeBlob:
        """Validate and store a zip (idempotent); slow for big packages: call off the event loop."""
        sha = hashlib.sha256(data).hexdigest()
        known = self.blob(sha)
        if known is not None and (self.zips / f"{sha}.zip").exists():
            return known
        check_zip(data)
        if self.contents is not None:
            self.contents.put(sha, data)
        self._write_local(sha, data)
        blob = CodeBlob(sha, checksum_text(data), len(data))
        self._meta.put_blob(blob)
        return blob

    def blob(self, sha: str) -> CodeBlob | None:
        return self._meta.get_blob(sha)

    def _write_local(self, sha: str, data: bytes) -> None:
        target = self.zips / f"{sha}.zip"
        if not target.exists():
            tmp = target.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, target)

    def zip_path(self, sha: str) -> Path:
        """The zip's file here, fetched from the shared contents first if this backend has not
        seen it yet."""
        path = self.zips / f"{sha}.zip"
        if self.contents is not None and not path.exists():
            data = self.contents.get(sha)
            if data is not None:
                self._write_local(sha, data)
        return path

    def read(self, sha: str) -> bytes:
        return self.zip_path(sha).read_bytes()

    def _lock_for(self, sha: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(sha, threading.Lock())

    def unpacked(self, sha: str) -> Path:
        """The unpacked tree of a stored zip, unpacking it first if needed (thread-safe)."""
        target = self.trees / sha
        if target.is_dir():
            return target
        with self._lock_for(sha):
            if target.is_dir():
                return target
            tmp = self.trees / f".{sha}.{os.getpid()}.tmp"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
            try:
                _extract(self.zip_path(sha), tmp)
                os.replace(tmp, target)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
        return target


def _extract(zip_path: Path, dest: Path) -> None:
    """Unpack keeping Unix modes (an executable ``bootstrap`` must stay executable)."""
    links: list[tuple[PurePosixPath, str]] = []
    written = 0
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            rel = _safe_member_name(info.filename)
            if rel is None:
                continue
            path = dest / rel
            if info.is_dir():
                path.mkdir(parents=True, exist_ok=True)
                continue
            if _is_symlink(info):
                links.append((rel, zf.read(info).decode("utf-8", "replace")))
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(path, "wb") as out:
                while chunk := src.read(1 << 20):
                    written += len(chunk)
                    if written > MAX_UNPACKED_CODE:
                        raise CodeError("the code package unpacks to more than the allowed size")
                    out.write(chunk)
            mode = (info.external_attr >> 16) & 0o777
            # Readable by all, and executable by all when executable at all: functions run as an
            # unprivileged user that owns none of these files.
            os.chmod(path, (mode | 0o444 | (0o111 if mode & 0o111 else 0)) if mode else 0o644)
    root = dest.resolve()
    for rel, target in links:
        link = dest / rel
        resolved = (link.parent / target).resolve() if not target.startswith("/") else Path(target)
        if not str(resolved).startswith(str(root) + os.sep) and resolved != root:
            raise CodeError(f"zip entry {str(rel)!r} is a symlink pointing outside the package")
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, link)
