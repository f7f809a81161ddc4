"""FC's built-in Python libraries: installed once into a read-only layer every Python instance sees.

FC's Python runtimes ship the Alibaba Cloud SDKs and a few common libraries, so a template's
inline code does ``import oss2`` without packaging it. The list is FC's, for its python3.10
runtime (the closest to the interpreter functions run on here), from
https://www.alibabacloud.com/help/en/functioncompute/fc/user-guide/runtime-overview-2 — each
at least the version FC documents; pip resolves the newest consistent set (FC's exact pins no
longer resolve together on Python 3.11: old Scrapy needs an old w3lib, for one).

Why one shared layer: installing per function would copy ~200 MB per code package and cost a
minute per deploy. The layer is built once per user and interpreter (``pip install --target``
into ``~/.cache/rosengine/fc-python-libraries/<key>``; ``ROS_FC_PYTHON_LIBRARIES`` moves it,
``off`` disables it), by whichever backend needs it first, under a file lock, into a staging
directory renamed into place when complete. Instances get it as a path entry placed after the
standard library and before the interpreter's own site-packages, so a function's own packages
(code directory, layers) win, as on FC, and no stale backport shadows the standard library.
Offline: ``ROS_FC_WHEELHOUSE=<dir of wheels>`` installs from there without an index; when the
layer cannot be built the backend says why, once, and functions run without it.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

_log = logging.getLogger("fcbackend.runtimes")

# (PyPI requirement, what FC lists it as), FC python3.10 runtime
FC_PYTHON_LIBRARIES: tuple[tuple[str, str], ...] = (
    ("oss2>=2.16.0", "OSS SDK"),
    ("tablestore>=5.4.1", "Tablestore SDK"),
    ("aliyun-fc2>=2.5.2", "FC SDK"),
    ("aliyun-python-sdk-ecs>=4.24.26", "ECS SDK"),
    ("aliyun-python-sdk-vpc>=3.0.27", "VPC SDK"),
    ("aliyun-python-sdk-rds>=2.7.2", "RDS SDK"),
    ("aliyun-python-sdk-kms>=2.16.0", "KMS SDK"),
    ("aliyun-mns>=1.1.5", "MNS SDK"),
    ("aliyun-python-sdk-cdn>=3.7.8", "CDN SDK"),
    ("aliyun-python-sdk-ram>=3.2.0", "RAM SDK"),
    ("aliyun-python-sdk-sts>=3.1.0", "STS SDK"),
    ("aliyun-python-sdk-iot>=8.47.0", "IoT SDK"),
    ("aliyun-log-python-sdk>=0.8.0", "SLS SDK"),
    ("wand>=0.6.10", "Wand (needs ImageMagick's library at run time)"),
    ("scrapy>=2.7.1", "Scrapy"),
    ("PyMySQL>=1.0.2", "PyMySQL"),
    ("elasticsearch>=8.5.2", "Elasticsearch client"),
    ("Pillow>=9.3.0", "Pillow"),
    ("pyOpenSSL", "pyOpenSSL"),
    ("redis>=4.4.0", "Redis client"),
    ("requests>=2.28.1", "requests"),
)
ENV_DIR = "ROS_FC_PYTHON_LIBRARIES"
ENV_WHEELHOUSE = "ROS_FC_WHEELHOUSE"
COMPLETE_MARKER = ".complete"
BUILD_TIMEOUT_S = 1800


class LibraryLayerError(Exception):
    """The layer could not be built; the message says why and what to do."""


def default_root() -> Path | None:
    """Where the layer lives: ``$ROS_FC_PYTHON_LIBRARIES``, or the user's cache; None when off."""
    configured = os.environ.get(ENV_DIR, "")
    if configured.lower() in ("off", "0", "false", "no"):
        return None
    if configured:
        return Path(configured).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "rosengine" / "fc-python-libraries"


class PythonLibraryLayer:
    def __init__(
        self,
        root: Path,
        requirements: tuple[tuple[str, str], ...] = FC_PYTHON_LIBRARIES,
        *,
        wheelhouse: Path | None = None,
    ) -> None:
        self.root = root
        self.requirements = requirements
        self.wheelhouse = wheelhouse
        tag = f"py{sys.version_info[0]}{sys.version_info[1]}"
        digest = hashlib.sha256("\n".join(r for r, _ in requirements).encode()).hexdigest()[:12]
        self.key = f"{tag}-{digest}"
        self._error: str | None = None
        self._lock: asyncio.Lock | None = None
        root.mkdir(parents=True, exist_ok=True)

    @classmethod
    def from_environment(cls) -> PythonLibraryLayer | None:
        root = default_root()
        if root is None:
            return None
        wheelhouse = os.environ.get(ENV_WHEELHOUSE)
        return cls(root, wheelhouse=Path(wheelhouse) if wheelhouse else None)

    @property
    def site_packages(self) -> Path:
        return self.root / self.key / "site-packages"

    def ready(self) -> Path | None:
        """The layer's path entry when it is built (a cheap check: one stat)."""
        return self.site_packages if (self.root / self.key / COMPLETE_MARKER).is_file() else None

    async def ensure(self) -> Path | None:
        """The path entry, building the layer on first use; None (after saying why once) when it
        cannot be built."""
        path = self.ready()
        if path is not None or self._error is not None:
            return path
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self.ready() is None and self._error is None:
                try:
                    await asyncio.to_thread(self.build)
                except LibraryLayerError as exc:
                    self._error = str(exc)
                    _log.warning("%s", exc)
        return self.ready()

    @property
    def error(self) -> str | None:
        return self._error

    def build(self) -> Path:
        """Install the libraries (blocking; serialised across processes by a file lock)."""
        with (self.root / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            ready = self.ready()
            if ready is not None:
                return ready
            staging = Path(tempfile.mkdtemp(prefix=f"{self.key}.building-", dir=self.root))
            try:
                self._pip_install(staging / "site-packages")
                (staging / COMPLETE_MARKER).write_text("\n".join(r for r, _ in self.requirements) + "\n")
                shutil.rmtree(self.root / self.key, ignore_errors=True)
                os.replace(staging, self.root / self.key)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        _log.info("FC's built-in Python libraries are installed in %s", self.site_packages)
        return self.site_packages

    def _pip_install(self, target: Path) -> None:
        command = [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--no-warn-script-location", "--retries", "1", "--timeout", "30", "--target", str(target),
        ]  # fmt: skip
        if self.wheelhouse is not None:
            command += ["--no-index", "--find-links", str(self.wheelhouse)]
        command += [r for r, _ in self.requirements]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise LibraryLayerError(self._advice(str(exc))) from None
        if done.returncode != 0:
            lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
            lines = [line for line in lines if not line.startswith("WARNING: Location")]
            raise LibraryLayerError(
                self._advice("; ".join(lines[-3:]) or f"pip exited with {done.returncode}")
            )

    def _advice(self, reason: str) -> str:
        source = f"the wheelhouse {self.wheelhouse}" if self.wheelhouse else "PyPI"
        names = ", ".join(r.split(">")[0] for r, _ in self.requirements[:4])
        return (
            f"FC's built-in Python libraries ({names}, ...) could not be installed from {source} into "
            f"{self.root / self.key}: {reason}. Functions run without them (their `import oss2` fails "
            f"unless they package it). Offline, set {ENV_WHEELHOUSE} to a directory of wheels (made with "
            f"`pip download -d DIR` on a machine that is online) or {ENV_DIR} to a directory where the "
            f"layer was built; {ENV_DIR}=off turns the built-in libraries off."
        )


def main() -> None:
    """``python -m fcbackend.runtimes.builtin_libraries``: build the layer now (CI does, before
    the tests start functions) and print where it is."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    layer = PythonLibraryLayer.from_environment()
    if layer is None:
        print(f"{ENV_DIR}=off: FC's built-in Python libraries are turned off")
        return
    try:
        print(layer.build())
    except LibraryLayerError as exc:
        raise SystemExit(str(exc)) from None


if __name__ == "__main__":
    main()
