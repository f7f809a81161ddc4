"""``ros fc images build|list``: the runtime images built-in runtimes use on the Docker driver.

Why a command of its own: no registry is reachable from many machines this runs on, so the images
are built locally — by debootstrap from a Debian mirror (minutes the first time; the root
filesystem tarball is cached, so later builds take seconds) or, offline, from this machine's own
Python (``--source host``, python3 only, seconds).
"""

from __future__ import annotations

from typing import Any

import click

from rosengine.cli.output import emit, output_options, text_console


@click.group("images")
def images() -> None:
    """Build and list the Docker images of built-in runtimes (for --driver docker)."""


@images.command("build")
@click.option(
    "--runtime",
    "runtime",
    type=click.Choice(["python3", "nodejs", "all"]),
    default="all",
    show_default=True,
    help="Which runtime image to build.",
)
@click.option(
    "--source",
    type=click.Choice(["debootstrap", "host"]),
    default="debootstrap",
    show_default=True,
    help="debootstrap: a Debian rootfs from deb.debian.org; host: this machine's Python (offline).",
)
@click.option("--force", is_flag=True, help="Rebuild even when an up-to-date image or cached rootfs exists.")
def build(runtime: str, source: str, force: bool) -> None:
    """Build runtime images locally and import them into Docker."""
    from backend_contract.local_environment import fc_state_dir
    from fcbackend.images import RECIPES, ImageBuildError, build_host_runtime_image, build_runtime_image
    from fcbackend.images.engine_import import ImageImportError

    names = list(RECIPES) if runtime == "all" else [runtime]
    if source == "host":
        names = [n for n in names if n == "python3"]
        if not names:
            raise click.UsageError("--source host can only build the python3 image")
    failed = False
    for name in names:
        try:
            if source == "host":
                build_host_runtime_image(RECIPES[name], log=click.echo)
            else:
                build_runtime_image(RECIPES[name], fc_state_dir(), force=force, log=click.echo)
        except (ImageBuildError, ImageImportError, OSError) as exc:
            click.echo(f"error: building the {name} image failed: {exc}", err=True)
            failed = True
    if failed:
        raise SystemExit(1)


@images.command("list")
@output_options
def list_(output: str, query: str | None) -> None:
    """List the images rosengine built (runtime and test images) and the GPUs found."""
    from fcbackend.gpu import discover
    from fcbackend.images import list_runtime_images
    from fcbackend.images.engine_import import ImageImportError

    try:
        rows = list_runtime_images()
    except (ImageImportError, OSError, Exception) as exc:  # dockerd down: say so, no traceback
        raise click.ClickException(f"cannot list images: is dockerd running? ({exc})") from exc
    gpus = [
        {"index": d.index, "uuid": d.uuid, "name": d.name, "memoryMB": d.memory_total_mb} for d in discover()
    ]
    data: dict[str, Any] = {"images": rows, "gpus": gpus}

    def text(value: dict[str, Any]) -> None:
        from rich.table import Table  # rich for text output only, as in every fc command

        table = Table("IMAGE", "KIND", "RUNTIME", "SIZE MB", "ID")
        for row in value["images"]:
            table.add_row(
                str(row["image"]), str(row["kind"]), str(row["runtime"]), str(row["sizeMB"]), str(row["id"])
            )
        console = text_console()
        console.print(table if value["images"] else "no images built yet: run `ros fc images build`")
        for gpu in value["gpus"]:
            console.print(f"GPU {gpu['index']}: {gpu['name']} ({gpu['memoryMB']} MB) {gpu['uuid']}")

    emit(data, output, query, text)


list_.name = "list"
COMMANDS = [images]
