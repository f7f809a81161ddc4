"""The ``/etc`` a sandbox sees: a small one of our own, never the host's.

Why: the host's ``/etc`` holds secrets (``shadow``, ``ssl/private``, ``docker``, credentials of
installed services) and host details a function has no business reading. FC's instances have an
``/etc`` of their image; ours is built once per driver from:

* files we write — ``passwd`` and ``group`` (``root`` and the sandbox user, whose home is
  ``/tmp`` as ``HOME`` is), ``hosts``, ``hostname``, ``nsswitch.conf`` (files, then DNS), and
  ``resolv.conf`` with the host's name servers (the file's content, read through its symlink:
  ``/run`` is not the host's inside a sandbox);
* copies of what runtimes read to work normally — the CA certificates (``ssl/certs``,
  ``ssl/openssl.cnf``, RHEL's ``pki/tls/certs`` and ``pki/ca-trust``), the dynamic linker's cache
  and configuration, time zone, MIME types, services and protocols, the OS release, ``alternatives``
  (Debian's ``/usr/bin/awk`` and friends point there) and ``fonts``.

Nothing else of the host's ``/etc`` is there. The directory is bound read-only at ``/etc``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

SANDBOX_HOSTNAME = "fc-instance"

# Host /etc entries copied as they are (files, directories of files and symlinks, symlinks).
_COPIED = (
    "ssl/certs",
    "ssl/openssl.cnf",
    "pki/tls/certs",
    "pki/ca-trust",
    "ca-certificates.conf",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "timezone",
    "mime.types",
    "services",
    "protocols",
    "os-release",
    "debian_version",
    "alternatives",
    "fonts",
    "gai.conf",
    "host.conf",
    "shells",
)
_MAX_COPY_BYTES = 32 * 1024 * 1024  # a sanity bound: these are small everywhere


def _passwd(uid: int, gid: int) -> str:
    lines = ["root:x:0:0:root:/root:/bin/sh"]
    if uid != 0:
        lines.append(f"nobody:x:{uid}:{gid}:nobody:/tmp:/usr/sbin/nologin")
    return "\n".join(lines) + "\n"


def _group(gid: int) -> str:
    lines = ["root:x:0:"]
    if gid != 0:
        lines.append(f"nogroup:x:{gid}:")
    return "\n".join(lines) + "\n"


def _name_servers(host_etc: Path) -> str:
    """The host's resolv.conf content (followed through its symlink), or Google's public DNS."""
    try:
        text = (host_etc / "resolv.conf").read_text(errors="replace")
    except OSError:
        return "nameserver 8.8.8.8\n"
    kept = [
        line for line in text.splitlines() if line.split()[:1] in (["nameserver"], ["search"], ["options"])
    ]
    return "\n".join(kept) + "\n" if kept else "nameserver 8.8.8.8\n"


def _copy(source: Path, target: Path, budget: list[int]) -> None:
    """Copy ``source`` (a file, a symlink, or a directory of them) to ``target``; world-readable."""
    if source.is_symlink():
        target.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(os.readlink(source), target)
        return
    if source.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        os.chmod(target, 0o755)
        for child in sorted(source.iterdir()):
            _copy(child, target / child.name, budget)
        return
    if not source.is_file():
        return
    size = source.stat().st_size
    if size > budget[0]:
        return
    budget[0] -= size
    target.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # unreadable (not meant for us): left out
        shutil.copyfile(source, target)
        os.chmod(target, 0o644)


def build_sandbox_etc(target: Path, *, uid: int, gid: int, host_etc: Path = Path("/etc")) -> Path:
    """Write the sandbox ``/etc`` into the new directory ``target`` and return it.

    Each driver builds its own (see :func:`sandbox_etc_dir`): a directory bound into running
    sandboxes is never rewritten under them."""
    work = Path(tempfile.mkdtemp(prefix=".etc-tmp-", dir=target.parent))
    try:
        os.chmod(work, 0o755)
        written = {
            "passwd": _passwd(uid, gid),
            "group": _group(gid),
            "hostname": SANDBOX_HOSTNAME + "\n",
            "hosts": f"127.0.0.1\tlocalhost {SANDBOX_HOSTNAME}\n::1\tlocalhost ip6-localhost ip6-loopback\n",
            "nsswitch.conf": "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n"
            "networks: files\nprotocols: files\nservices: files\n",
            "resolv.conf": _name_servers(host_etc),
        }
        for name, text in written.items():
            path = work / name
            path.write_text(text)
            os.chmod(path, 0o644)
        budget = [_MAX_COPY_BYTES]
        for rel in _COPIED:
            source = host_etc / rel
            if source.exists() or source.is_symlink():
                _copy(source, work / rel, budget)
        for directory in (p for p in work.rglob("*") if p.is_dir() and not p.is_symlink()):
            os.chmod(directory, 0o755)
        os.replace(work, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return target


def sandbox_etc_dir(root: Path, *, uid: int, gid: int) -> Path:
    """A fresh sandbox ``/etc`` under ``root`` for one driver (``.etc-<pid>-<n>``), after
    removing those left by backends that are gone."""
    root.mkdir(parents=True, exist_ok=True)
    for leftover in root.glob(".etc-*-*"):
        pid = leftover.name.split("-")[1]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(leftover, ignore_errors=True)
    for n in range(1000):
        target = root / f".etc-{os.getpid()}-{n}"
        if not target.exists():
            return build_sandbox_etc(target, uid=uid, gid=gid)
    raise RuntimeError(f"cannot find a free name for the sandbox /etc under {root}")
