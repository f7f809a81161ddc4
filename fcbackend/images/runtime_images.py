"""Runtime images for built-in runtimes on Docker (``ros fc serve --driver docker``).

Why debootstrap + ``docker import``: no image registry is reachable, but a Debian mirror is, and
FC's own runtimes are Debian. ``debootstrap --variant=minbase`` makes a small root filesystem with
the runtime's packages; we tar it, keep the tarball in the cache (rebuilding an image from it takes
seconds, not minutes) and import it. The bootstrap program that makes a built-in runtime speak the
CA protocol is *not* baked in: the driver binds ``fcbackend/runtimes`` read-only at
``/var/fc/runtime``, so the image never goes stale when the bootstrap changes.

``--source host`` builds the python3 image from this machine's own interpreter instead (offline,
seconds; see :mod:`fcbackend.images.hostfs`).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fcbackend.images.engine_import import import_tarball, inspect_image, list_images
from fcbackend.images.hostfs import IMAGE_LABEL, build_host_python_image

RUNTIMES_DIR = Path(__file__).resolve().parent.parent / "runtimes"
RUNTIME_DIR_IN_IMAGE = "/var/fc/runtime"
DEBIAN_SUITE = "bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
RUNTIME_LABEL = "rosengine.runtime"


@dataclass(frozen=True)
class RuntimeRecipe:
    name: str  # python3 | nodejs
    packages: tuple[str, ...]
    bootstrap: str  # file in fcbackend/runtimes
    interpreter: str  # command that runs the bootstrap

    @property
    def repository(self) -> str:
        return f"rosengine/runtime-{self.name}"

    @property
    def tag(self) -> str:
        recipe = f"{DEBIAN_SUITE}|{','.join(self.packages)}|{self.interpreter}"
        return hashlib.sha256(recipe.encode()).hexdigest()[:12]

    @property
    def reference(self) -> str:
        return f"{self.repository}:{self.tag}"

    def command(self) -> list[str]:
        return [self.interpreter, f"{RUNTIME_DIR_IN_IMAGE}/{self.bootstrap}"]


RECIPES: dict[str, RuntimeRecipe] = {
    "python3": RuntimeRecipe(
        "python3", ("python3", "ca-certificates"), "python_bootstrap.py", "/usr/bin/python3"
    ),
    "nodejs": RuntimeRecipe("nodejs", ("nodejs", "ca-certificates"), "nodejs_bootstrap.js", "/usr/bin/node"),
}


class ImageBuildError(Exception):
    pass


def recipe_for_runtime(runtime: str) -> RuntimeRecipe | None:
    """python2.7/python3.x -> python3 image; nodejsN -> nodejs image; custom* -> python3 image
    (a Debian with Python, as FC's custom.debian10 has)."""
    if runtime.startswith("python") or runtime.startswith("custom"):
        return RECIPES["python3"]
    if runtime.startswith("nodejs"):
        return RECIPES["nodejs"]
    return None


def cache_dir(state_dir: Path) -> Path:
    path = state_dir / "images"
    path.mkdir(parents=True, exist_ok=True)
    return path


def runtime_image_command(runtime: str) -> tuple[str, list[str], list[str]] | None:
    """For the Docker driver: (image, command, binds) of a built-in runtime, or None when its image
    has not been built. The host-built python3 image counts too (tag ``host``)."""
    recipe = recipe_for_runtime(runtime)
    if recipe is None:
        return None
    binds = [f"{RUNTIMES_DIR}:{RUNTIME_DIR_IN_IMAGE}:ro"]
    for reference in (recipe.reference, f"{recipe.repository}:host"):
        if inspect_image(reference) is not None:
            return reference, recipe.command(), binds
    return None


def _debootstrap(recipe: RuntimeRecipe, target: Path, debs: Path, log: Callable[[str], None]) -> None:
    binary = shutil.which("debootstrap")
    if binary is None:
        raise ImageBuildError(
            "debootstrap is not installed (apt-get install debootstrap), or use --source host"
        )
    debs.mkdir(parents=True, exist_ok=True)
    command = [
        binary,
        "--variant=minbase",
        f"--include={','.join(recipe.packages)}",
        f"--cache-dir={debs}",
        DEBIAN_SUITE,
        str(target),
        DEBIAN_MIRROR,
    ]
    log(f"running {' '.join(command)}")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-15:]
        raise ImageBuildError("debootstrap failed:\n" + "\n".join(tail))


def _slim(rootfs: Path) -> None:
    """Drop what a function never needs (docs, man pages, apt lists, the deb cache)."""
    for relative in (
        "usr/share/doc",
        "usr/share/man",
        "usr/share/info",
        "var/lib/apt/lists",
        "var/cache/apt",
    ):
        shutil.rmtree(rootfs / relative, ignore_errors=True)
    for relative in ("code", "opt", "var/fc/runtime"):
        (rootfs / relative).mkdir(parents=True, exist_ok=True)


def build_runtime_image(
    recipe: RuntimeRecipe, state_dir: Path, *, force: bool = False, log: Callable[[str], None] = print
) -> str:
    """Build ``rosengine/runtime-<name>:<recipe hash>`` (cached rootfs tarball reused); returns
    the reference."""
    if not force and inspect_image(recipe.reference) is not None:
        log(f"{recipe.reference} is up to date")
        return recipe.reference
    tarball = cache_dir(state_dir) / f"rootfs-{recipe.name}-{recipe.tag}.tar"
    if force or not tarball.exists():
        with tempfile.TemporaryDirectory(prefix=f"rosengine-rootfs-{recipe.name}-") as scratch:
            rootfs = Path(scratch, "rootfs")
            _debootstrap(recipe, rootfs, cache_dir(state_dir) / "debs", log)
            _slim(rootfs)
            partial = tarball.with_suffix(".partial")
            with tarfile.open(partial, "w") as tar:
                for entry in sorted(rootfs.iterdir()):
                    tar.add(entry, arcname=entry.name)
            partial.rename(tarball)
            log(f"cached root filesystem {tarball} ({tarball.stat().st_size // (1024 * 1024)} MB)")
    changes = [
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "ENV LANG=C.UTF-8",
        "WORKDIR /code",
        f"LABEL {IMAGE_LABEL}=runtime",
        f"LABEL {RUNTIME_LABEL}={recipe.name}",
        f"CMD {recipe.command()!r}".replace("'", '"'),
    ]
    import_tarball(tarball, recipe.reference, changes=changes)
    log(f"imported {recipe.reference}")
    return recipe.reference


def build_host_runtime_image(recipe: RuntimeRecipe, *, log: Callable[[str], None] = print) -> str:
    """The python3 runtime image from the host's interpreter, tagged ``host``."""
    if recipe.name != "python3":
        raise ImageBuildError(f"--source host can only build python3, not {recipe.name}")
    built = build_host_python_image(
        f"{recipe.repository}-host-build", command=recipe.command(), labels={RUNTIME_LABEL: recipe.name}
    )
    reference = f"{recipe.repository}:host"
    tag_image(built, reference)
    log(f"built {reference} from the host's Python")
    return reference


def tag_image(source: str, target: str) -> None:
    """Tag ``source`` as ``target`` through the Engine API."""
    import httpx

    from fcbackend.docker_engine import API_VERSION, docker_socket_path

    repo, _, tag = target.rpartition(":")
    with httpx.Client(
        transport=httpx.HTTPTransport(uds=docker_socket_path()), base_url=f"http://docker/{API_VERSION}"
    ) as client:
        response = client.post(f"/images/{source}/tag", params={"repo": repo, "tag": tag})
    if response.status_code not in (200, 201):
        raise ImageBuildError(f"tagging {source} as {target} failed: {response.text}")


def list_runtime_images() -> list[dict[str, object]]:
    """Rows for ``ros fc images list``: the images this project built."""
    rows = []
    for image in list_images(IMAGE_LABEL):
        labels = image.get("Labels") or {}
        for reference in image.get("RepoTags") or ["<none>:<none>"]:
            rows.append(
                {
                    "image": reference,
                    "kind": labels.get(IMAGE_LABEL, ""),
                    "runtime": labels.get(RUNTIME_LABEL, ""),
                    "sizeMB": round(image.get("Size", 0) / (1024 * 1024), 1),
                    "id": image.get("Id", "")[7:19],
                }
            )
    return sorted(rows, key=lambda row: str(row["image"]))
