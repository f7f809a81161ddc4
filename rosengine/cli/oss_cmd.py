"""``ros oss cp|ls|rm|mb|rb``: the local object store with ``oss://bucket/key`` URLs.

Why through the backend's OSS API: uploads and deletes then fire OSS triggers, as they would on
Alibaba Cloud, and the CLI uses the same signed API as every other OSS client (never the store's
files). ``cp`` into a bucket that does not exist creates it and says so.
"""

from __future__ import annotations

import builtins  # a method named like a builtin shadows it in the class body
import mimetypes
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from rosengine.cli.output import emit, output_options


class OssUrl:
    def __init__(self, text: str) -> None:
        if not text.startswith("oss://"):
            raise click.UsageError(f"{text!r} is not an oss://bucket[/key] URL")
        bucket, _, key = text[len("oss://") :].partition("/")
        if not bucket:
            raise click.UsageError(f"{text!r} names no bucket: use oss://bucket/key")
        self.bucket, self.key = bucket, key


class Transport:
    """The backend's OSS API through :class:`~rosengine.clients.oss.OssClient` (the backend is
    started when none runs, as ``ros stack`` does), with OSS errors turned into CLI errors."""

    def __init__(self) -> None:
        from rosengine.clients import fc as fc_client
        from rosengine.clients.oss import OssClient

        fc_client.ensure_local_backend(echo=lambda line: click.echo(line, err=True))
        self.client = OssClient.from_environment()
        click.get_current_context().call_on_close(self.client.close)  # the command's connections end with it

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        from rosengine.clients.oss import OssApiError

        try:
            return fn(*args, **kwargs)
        except OssApiError as exc:
            raise click.ClickException(f"{exc.code}: {exc.message}") from None

    def put(self, bucket: str, key: str, data: bytes, content_type: str | None) -> None:
        from rosengine.clients.oss import OssApiError

        try:
            self.client.put_object(bucket, key, data, content_type)
        except OssApiError as exc:
            if exc.code != "NoSuchBucket":
                raise click.ClickException(f"{exc.code}: {exc.message}") from None
            self.make_bucket(bucket)
            click.echo(f"make_bucket: oss://{bucket} (it did not exist)", err=True)
            self._call(self.client.put_object, bucket, key, data, content_type)

    def get(self, bucket: str, key: str) -> bytes:
        return bytes(self._call(self.client.get_object, bucket, key))

    def delete(self, bucket: str, key: str) -> None:
        self._call(self.client.delete_object, bucket, key)

    def list(self, bucket: str, prefix: str, delimiter: str) -> tuple[list[dict[str, Any]], list[str]]:
        objects, prefixes = self._call(self.client.list_objects, bucket, prefix, delimiter)
        return [
            {"key": o.key, "size": o.size, "etag": o.etag, "lastModified": o.last_modified} for o in objects
        ], prefixes

    def buckets(self) -> builtins.list[str]:
        return list(self._call(self.client.list_buckets))

    def make_bucket(self, bucket: str) -> None:
        self._call(self.client.create_bucket, bucket)

    def remove_bucket(self, bucket: str) -> None:
        self._call(self.client.delete_bucket, bucket)


@click.group("oss")
def oss() -> None:
    """The local object store (oss://bucket/key); changes fire OSS triggers of the running backend."""


@oss.command("cp")
@click.argument("source")
@click.argument("destination")
@click.option("-r", "--recursive", is_flag=True, help="Copy a directory / every object under a prefix.")
def cp(source: str, destination: str, recursive: bool) -> None:
    """Copy a file to oss://, an object to a file, or an object to another object."""
    transport = Transport()
    if source.startswith("oss://") and destination.startswith("oss://"):
        src, dst = OssUrl(source), OssUrl(destination)
        if not src.key:
            raise click.UsageError("the source must name an object: oss://bucket/key")
        transport.put(
            dst.bucket, dst.key or src.key.rsplit("/", 1)[-1], transport.get(src.bucket, src.key), None
        )
    elif destination.startswith("oss://"):
        dst = OssUrl(destination)
        local = Path(source)
        if local.is_dir():
            if not recursive:
                raise click.UsageError(f"{source} is a directory: use -r to copy it")
            base = dst.key.rstrip("/")
            for path in sorted(p for p in local.rglob("*") if p.is_file()):
                key = (
                    f"{base}/{path.relative_to(local).as_posix()}"
                    if base
                    else path.relative_to(local).as_posix()
                )
                transport.put(dst.bucket, key, path.read_bytes(), mimetypes.guess_type(path.name)[0])
                click.echo(f"upload: {path} -> oss://{dst.bucket}/{key}")
        elif local.is_file():
            key = dst.key if dst.key and not dst.key.endswith("/") else dst.key + local.name
            transport.put(dst.bucket, key, local.read_bytes(), mimetypes.guess_type(local.name)[0])
            click.echo(f"upload: {local} -> oss://{dst.bucket}/{key}")
        else:
            raise click.ClickException(f"{source}: no such file or directory")
    elif source.startswith("oss://"):
        src = OssUrl(source)
        target = Path(destination)
        if recursive or not src.key or src.key.endswith("/"):
            objects, _ = transport.list(src.bucket, src.key, "")
            for obj in objects:
                path = target / obj["key"][len(src.key) :].lstrip("/")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(transport.get(src.bucket, obj["key"]))
                click.echo(f"download: oss://{src.bucket}/{obj['key']} -> {path}")
        else:
            path = target / src.key.rsplit("/", 1)[-1] if target.is_dir() else target
            path.write_bytes(transport.get(src.bucket, src.key))
            click.echo(f"download: {source} -> {path}")
    else:
        raise click.UsageError("one of SOURCE and DESTINATION must be an oss:// URL")


@oss.command("ls")
@click.argument("url", required=False)
@click.option("-r", "--recursive", is_flag=True, help="List every object, not one level.")
@output_options
def ls(url: str | None, recursive: bool, output: str, query: str | None) -> None:
    """List buckets, or objects under oss://bucket[/prefix]."""
    transport = Transport()
    if not url:
        emit(transport.buckets(), output, query, _echo_bucket_urls)
        return
    target = OssUrl(url)
    objects, prefixes = transport.list(target.bucket, target.key, "" if recursive else "/")

    def text(data: dict[str, Any]) -> None:
        for p in data["prefixes"]:
            click.echo(f"{'DIR':>12}  oss://{target.bucket}/{p}")
        for o in data["objects"]:
            click.echo(f"{o['size']:>12}  oss://{target.bucket}/{o['key']}")

    emit({"objects": objects, "prefixes": prefixes}, output, query, text)


@oss.command("rm")
@click.argument("url")
@click.option("-r", "--recursive", is_flag=True, help="Delete every object under the prefix.")
def rm(url: str, recursive: bool) -> None:
    """Delete an object (or, with -r, every object under a prefix)."""
    transport = Transport()
    target = OssUrl(url)
    if recursive:
        objects, _ = transport.list(target.bucket, target.key, "")
        keys = [o["key"] for o in objects]
    elif not target.key:
        raise click.UsageError("name an object (oss://bucket/key) or use -r for a prefix")
    else:
        keys = [target.key]
    for key in keys:
        transport.delete(target.bucket, key)
        click.echo(f"delete: oss://{target.bucket}/{key}")


@oss.command("mb")
@click.argument("url")
def mb(url: str) -> None:
    """Make a bucket."""
    transport = Transport()
    transport.make_bucket(OssUrl(url).bucket)
    click.echo(f"make_bucket: {url}")


@oss.command("rb")
@click.argument("url")
def rb(url: str) -> None:
    """Remove an empty bucket."""
    transport = Transport()
    transport.remove_bucket(OssUrl(url).bucket)
    click.echo(f"remove_bucket: {url}")


COMMANDS = [oss]


def _echo_bucket_urls(buckets: list[str]) -> None:
    for bucket in buckets:
        click.echo(f"oss://{bucket}")
