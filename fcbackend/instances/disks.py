"""Per-instance disks: every writable path of a sandbox on one filesystem of ``diskSize``.

Why a filesystem image: FC gives each instance a disk of ``diskSize`` (512 MB by default, or
10240 MB) at ``/tmp``. Neither obvious local stand-in is right: a tmpfs is charged to the memory
cgroup (a function writing a file bigger than its memory is killed for memory, where FC's ``/tmp``
is disk), and a host directory has no bound at all (a 128 MB function wrote 2 GiB in 1.8 s).
Quotas need a filesystem mounted with them, which we cannot count on. So each sandbox gets an ext4
image of exactly ``diskSize`` MB, loop-mounted at its ``/tmp``:

* the image is a sparse file: it takes host disk only for what the function writes, and never more
  than ``diskSize`` (a full disk is ``ENOSPC`` inside, as on FC);
* it is a copy of a template formatted once per size (``mkfs.ext4`` without a journal — scratch
  space needs none — with the sandbox user owning its root), copied sparsely (the few hundred KiB
  of metadata), so making one costs about a millisecond; the pool of pre-started sandboxes makes it
  before any function needs it, keeping cold starts where they were;
* it is mounted by the worker's launch command inside a mount namespace of its own (``unshare
  --mount``), never on the host: when the sandbox's last process exits — however the backend ended
  — the kernel unmounts it and frees the loop device (``mount -o loop`` sets auto-clear), and the
  image file goes with the slot directory.

Page cache of files on it is charged to the function like any file I/O, and is reclaimable: a
function can write a file larger than its memory. Where loop devices cannot be used (not root, no
``/dev/loop-control``, a container without the capability), :func:`probe_disk_images` says why and
the sandbox falls back to a tmpfs of ``diskSize`` — counted against memory — a limitation ``ros fc
status`` reports.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from functools import lru_cache
from pathlib import Path

MB = 1024 * 1024
IMAGE_NAME = "disk.img"
MOUNT_NAME = "disk"
# Exit code of the launch command when the mount fails (the worker's output says why).
MOUNT_FAILED_EXIT = 111
_MOUNT_OPTIONS = "loop,nodev,nosuid,noatime"


def mkfs_command(image: Path, size_mb: int, uid: int, gid: int) -> list[str]:
    """``mkfs.ext4`` for a scratch disk: no journal, no reserved blocks, inode tables written now
    (so copies need no background initialisation), the root directory owned by the sandbox user."""
    return [
        shutil.which("mkfs.ext4") or "mkfs.ext4",
        "-q",
        "-F",
        "-O",
        "^has_journal",
        "-m",
        "0",
        "-E",
        f"lazy_itable_init=0,nodiscard,root_owner={uid}:{gid}",
        str(image),
        f"{size_mb}M",
    ]


def copy_sparse(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` keeping its holes (only the data extents are copied)."""
    size = source.stat().st_size
    src = os.open(source, os.O_RDONLY)
    try:
        dst = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            offset = 0
            while offset < size:
                try:
                    start = os.lseek(src, offset, os.SEEK_DATA)
                except OSError:  # ENXIO: no data after offset
                    break
                end = os.lseek(src, start, os.SEEK_HOLE)
                while start < end:
                    copied = os.copy_file_range(src, dst, end - start, start, start)
                    if copied <= 0:
                        raise OSError(f"copying {source} to {target} stopped at byte {start}")
                    start += copied
                offset = end
            os.ftruncate(dst, size)
        finally:
            os.close(dst)
    finally:
        os.close(src)


class DiskImages:
    """Templates (one per size, made on first use) and per-slot copies under ``root``."""

    def __init__(self, root: Path, *, uid: int, gid: int):
        self.root = Path(root)
        self.uid = uid
        self.gid = gid
        self._lock = threading.Lock()

    def template(self, size_mb: int) -> Path:
        path = self.root / f"disk-{size_mb}M-{self.uid}.img"
        with self._lock:
            if not path.exists():
                self.root.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=".disk-", dir=self.root)
                os.close(fd)
                try:
                    done = subprocess.run(
                        mkfs_command(Path(tmp), size_mb, self.uid, self.gid),
                        capture_output=True,
                        text=True,
                        timeout=120,
                        check=False,
                    )
                    if done.returncode != 0:
                        raise OSError(f"mkfs.ext4 failed: {(done.stderr or done.stdout).strip()}")
                    os.replace(tmp, path)
                except BaseException:
                    Path(tmp).unlink(missing_ok=True)
                    raise
        return path

    def create(self, slot_root: Path, size_mb: int) -> tuple[Path, Path]:
        """The slot's image (a sparse copy of the template) and its empty mount point."""
        image = slot_root / IMAGE_NAME
        mount_point = slot_root / MOUNT_NAME
        copy_sparse(self.template(size_mb), image)
        mount_point.mkdir(exist_ok=True)
        return image, mount_point


def mounted_command(image: Path, mount_point: Path, argv: list[str]) -> list[str]:
    """``argv`` run in a mount namespace of its own in which ``image`` is mounted at
    ``mount_point`` (gone, with its loop device, when the last process in it exits)."""
    script = f'mount -o {_MOUNT_OPTIONS} -t ext4 "$1" "$2" || exit {MOUNT_FAILED_EXIT}; shift 2; exec "$@"'
    return [
        shutil.which("unshare") or "unshare",
        "--mount",
        "--propagation",
        "private",
        "--",
        "/bin/sh",
        "-c",
        script,
        "sh",
        str(image),
        str(mount_point),
        *argv,
    ]


@lru_cache(maxsize=4)
def probe_disk_images(uid: int, gid: int) -> tuple[bool, str]:
    """Whether per-instance disk images work here (format, loop-mount in a private mount
    namespace, owned by the sandbox user), and if not, why. Tried once per process."""
    if os.geteuid() != 0:
        return False, "the backend is not root, so it cannot mount disk images"
    missing = [tool for tool in ("mkfs.ext4", "unshare", "mount") if shutil.which(tool) is None]
    if missing:
        return False, f"{', '.join(missing)} not found (Debian: apt-get install e2fsprogs util-linux mount)"
    if not Path("/dev/loop-control").exists():
        return False, "no loop devices (/dev/loop-control is missing)"
    probe = Path(tempfile.mkdtemp(prefix="rosengine-disk-probe-"))
    try:
        images = DiskImages(probe, uid=uid, gid=gid)
        image, mount_point = images.create(probe, 8)
        # mounted, and owned by the sandbox user, who writes it through the sandbox's bind mount
        check = f'test "$(stat -c %u:%g "$0")" = {uid}:{gid} && touch "$0/written"'
        done = subprocess.run(
            mounted_command(image, mount_point, ["/bin/sh", "-c", check, str(mount_point)]),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            why = (done.stderr or done.stdout).strip() or f"exit code {done.returncode}"
            return False, f"a loop-mounted disk image cannot be used here: {why}"
        return True, "ext4 disk images, loop-mounted per instance"
    except (OSError, subprocess.SubprocessError) as exc:
        return False, f"a disk image cannot be made here: {exc}"
    finally:
        shutil.rmtree(probe, ignore_errors=True)
