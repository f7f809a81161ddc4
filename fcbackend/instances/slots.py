"""Per-instance host directories ("slots"): the code, the merged layers and the socket.

Why: a pre-started sandbox has an *empty* host directory bound at ``/code`` (and one at ``/opt``);
a bind mount is a live view, so filling that directory later makes the function's code appear in
the sandbox without restarting it (docs/design/warm-path.md). Filling is done with hard links (a
directory walk and one ``link()`` per file — no data copied), falling back to copies across
filesystems. Layers are merged into ``opt/`` in the function's order, the first layer winning on
name clashes (docs/reference/fc-runtime.md#layers-and-the-file-system).

Unix socket paths are limited to 107 bytes; when the state directory is deep (pytest temp dirs)
slots move to a short directory under the system temp dir.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

SOCKET_NAME = "ca.sock"
_MAX_SOCKET_PATH = 100


def slots_root(state_dir: Path) -> Path:
    """Where slots live: ``<state>/instances`` unless socket paths would get too long."""
    preferred = Path(state_dir) / "instances"
    # "<root>/<slot id ~14>/run/ca.sock"
    if len(str(preferred)) + 30 <= _MAX_SOCKET_PATH:
        return preferred
    digest = hashlib.sha1(str(state_dir).encode()).hexdigest()[:10]
    return Path(tempfile.gettempdir()) / f"rosengine-{digest}"


@dataclass
class Slot:
    root: Path

    @property
    def code(self) -> Path:
        return self.root / "code"

    @property
    def opt(self) -> Path:
        return self.root / "opt"

    @property
    def run(self) -> Path:
        return self.root / "run"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    @property
    def socket(self) -> Path:
        return self.run / SOCKET_NAME

    @classmethod
    def create(cls, root: Path) -> Slot:
        slot = cls(root)
        for path in (slot.code, slot.opt, slot.run, slot.tmp):
            path.mkdir(parents=True, exist_ok=True)
        return slot

    def fill(self, code_dir: Path | None, layer_dirs: tuple[Path, ...]) -> None:
        if code_dir is not None:
            link_tree(Path(code_dir), self.code, overwrite=True)
        for layer in layer_dirs:
            link_tree(Path(layer), self.opt, overwrite=False)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def link_tree(src: Path, dst: Path, *, overwrite: bool) -> int:
    """Mirror ``src`` into ``dst`` with hard links (copies where linking is impossible).

    ``overwrite=False`` keeps files already present (earlier layers win). Returns files placed.
    """
    placed = 0
    src = src.resolve()
    if not src.is_dir():
        return 0
    for current, dirs, files in os.walk(src, followlinks=False):
        rel = os.path.relpath(current, src)
        target_dir = dst if rel == "." else dst / rel
        target_dir.mkdir(parents=True, exist_ok=True)
        for name in dirs:
            source = Path(current) / name
            if source.is_symlink():
                _place_symlink(source, target_dir / name, overwrite)
        for name in files:
            source = Path(current) / name
            target = target_dir / name
            if source.is_symlink():
                _place_symlink(source, target, overwrite)
                continue
            if target.exists() or target.is_symlink():
                if not overwrite:
                    continue
                target.unlink()
            try:
                os.link(source, target)
            except OSError as exc:
                if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.EACCES):
                    raise
                shutil.copy2(source, target)
            placed += 1
    return placed


def _place_symlink(source: Path, target: Path, overwrite: bool) -> None:
    if target.exists() or target.is_symlink():
        if not overwrite:
            return
        with contextlib.suppress(OSError):
            target.unlink()
    with contextlib.suppress(OSError):
        os.symlink(os.readlink(source), target)
