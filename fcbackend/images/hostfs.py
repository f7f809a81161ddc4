"""Build a small image from this machine's own Python, without any network.

Why: no registry is reachable here and debootstrap takes minutes, but tests and offline users need
an image with a Python in it *now*. A Python interpreter needs only its binary, the shared
libraries ``ldd`` names, its standard library and ``lib-dynload`` extensions (plus their libraries):
a few seconds of copying into a tarball, imported with ``docker import``. Files keep their host
paths, so the interpreter finds its standard library exactly where it was compiled to look.

The image is tagged by a hash of its recipe (interpreter, extra files, command), so building it
again is a no-op until something changes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import tarfile
import tempfile
from pathlib import Path

from fcbackend.images.engine_import import import_tarball, inspect_image

_SKIP_STDLIB_DIRS = {
    "test",
    "tests",
    "idlelib",
    "tkinter",
    "turtledemo",
    "ensurepip",
    "lib2to3",
    "site-packages",
    "dist-packages",
    "config-3.11-x86_64-linux-gnu",
    "pydoc_data",
}
_LDD_LINE = re.compile(r"(?:=>\s*)?(/\S+)\s+\(0x")
IMAGE_LABEL = "rosengine.image"


def _ldd(path: str) -> list[str]:
    done = subprocess.run(["ldd", path], capture_output=True, text=True, check=False)
    return [m.group(1) for line in done.stdout.splitlines() if (m := _LDD_LINE.search(line))]


def _python_paths(python: str) -> tuple[str, str, str]:
    """(resolved interpreter, stdlib dir, lib-dynload dir) of ``python``."""
    code = (
        "import sys, sysconfig, os; p = sysconfig.get_paths(); "
        "print(os.path.realpath(sys.executable)); print(p['stdlib']); "
        "print(os.path.join(p['platstdlib'], 'lib-dynload'))"
    )
    done = subprocess.run([python, "-S", "-c", code], capture_output=True, text=True, check=True)
    executable, stdlib, dynload = done.stdout.split("\n")[:3]
    return executable, stdlib, dynload


def host_python_files(python: str = "/usr/bin/python3") -> list[str]:
    """Every host file an isolated copy of ``python`` needs (absolute paths)."""
    executable, stdlib, dynload = _python_paths(python)
    files: set[str] = {executable, *_ldd(executable)}
    for root, dirs, names in os.walk(stdlib):
        dirs[:] = [d for d in dirs if d not in _SKIP_STDLIB_DIRS]
        for name in names:
            files.add(os.path.join(root, name))
    if os.path.isdir(dynload):
        for name in os.listdir(dynload):
            path = os.path.join(dynload, name)
            files.add(path)
            if name.endswith(".so"):
                files.update(_ldd(path))
    return sorted(files)


def _add_path(tar: tarfile.TarFile, path: str, seen: set[str]) -> None:
    """Add ``path`` (following symlinks in its directories as symlinks, like the host has them)."""
    parts = Path(path).parts
    for depth in range(2, len(parts) + 1):
        partial = str(Path(*parts[:depth]))
        if partial in seen:
            continue
        seen.add(partial)
        info = tar.gettarinfo(partial, arcname=partial.lstrip("/"))
        if info.issym():
            tar.addfile(info)
            target = os.path.join(os.path.dirname(partial), os.readlink(partial))
            _add_path(tar, os.path.normpath(target), seen)
            rest = os.path.join(os.path.normpath(target), *parts[depth:])
            if depth < len(parts):
                _add_path(tar, rest, seen)
            return
        if info.isdir():
            tar.addfile(info)
        elif info.isfile():
            with open(partial, "rb") as handle:
                tar.addfile(info, handle)


def _add_bytes(tar: tarfile.TarFile, path: str, data: bytes, mode: int = 0o755) -> None:
    info = tarfile.TarInfo(path.lstrip("/"))
    info.size, info.mode = len(data), mode
    tar.addfile(info, io.BytesIO(data))


def _add_dir(tar: tarfile.TarFile, path: str, mode: int = 0o755) -> None:
    info = tarfile.TarInfo(path.lstrip("/"))
    info.type, info.mode = tarfile.DIRTYPE, mode
    tar.addfile(info)


def recipe_tag(python: str, extra_files: dict[str, bytes], command: list[str], env: dict[str, str]) -> str:
    digest = hashlib.sha256()
    executable, stdlib, _ = _python_paths(python)
    digest.update(json.dumps([executable, stdlib, os.stat(executable).st_mtime_ns, command, env]).encode())
    for path in sorted(extra_files):
        digest.update(path.encode() + b"\0" + extra_files[path])
    return digest.hexdigest()[:12]


def build_host_python_image(
    repository: str,
    *,
    python: str = "/usr/bin/python3",
    extra_files: dict[str, bytes] | None = None,
    command: list[str] | None = None,
    env: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    socket_path: str | None = None,
) -> str:
    """Build (or reuse) ``repository:<recipe hash>`` from the host's ``python``; returns the
    reference. ``extra_files`` maps absolute paths in the image to contents (mode 0755)."""
    extra_files = dict(extra_files or {})
    command = list(command or [])
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", **(env or {})}
    reference = f"{repository}:{recipe_tag(python, extra_files, command, env)}"
    if inspect_image(reference, socket_path=socket_path) is not None:
        return reference
    with tempfile.TemporaryDirectory(prefix="rosengine-image-") as scratch:
        tarball = Path(scratch, "rootfs.tar")
        seen: set[str] = set()
        with tarfile.open(tarball, "w") as tar:
            for directory, mode in (
                ("/tmp", 0o1777),
                ("/code", 0o755),
                ("/opt", 0o755),
                ("/etc", 0o755),
                ("/var", 0o755),
                ("/var/fc", 0o755),
            ):
                _add_dir(tar, directory, mode)
                seen.add(directory)
            for path in host_python_files(python):
                _add_path(tar, path, seen)
            executable = _python_paths(python)[0]
            if executable != "/usr/bin/python3":  # the name images and commands use
                info = tarfile.TarInfo("usr/bin/python3")
                info.type, info.linkname = tarfile.SYMTYPE, executable
                tar.addfile(info)
            _add_bytes(
                tar,
                "/etc/passwd",
                b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n",
                0o644,
            )
            _add_bytes(tar, "/etc/group", b"root:x:0:\nnogroup:x:65534:\n", 0o644)
            for path, data in extra_files.items():
                _add_bytes(tar, path, data)
        changes = [f"ENV {k}={v}" for k, v in env.items()]
        changes += [f"LABEL {k}={v}" for k, v in {IMAGE_LABEL: "host-python", **(labels or {})}.items()]
        if command:
            changes.append(f"CMD {json.dumps(command)}")
        import_tarball(tarball, reference, changes=changes, socket_path=socket_path)
    return reference
