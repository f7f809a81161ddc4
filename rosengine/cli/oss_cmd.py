"""``ros oss cp|ls|rm|mb|rb``: the local object store with ``oss://bucket/key`` URLs.

Why through the backend when one runs: uploads and deletes then fire OSS triggers, as they would
on Alibaba Cloud. Without a running backend the commands work on the files directly
(``<fc state dir>/oss``) and say that no triggers fired.
"""

from __future__ import annotations

import builtins  # a method named like a builtin shadows it in the class body
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click
import httpx

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
    """The backend's /oss API when reachable, else the store on disk."""

    def __init__(self) -> None:
        self.endpoint = self._endpoint()
        self._store: Any = None
        if self.endpoint is None:
            from fcbackend.oss.store import ObjectStore
            from rosengine import local_environment

            self._store = ObjectStore(local_environment.fc_state_dir() / "oss")

    @staticmethod
    def _endpoint() -> str | None:
        try:
            from rosengine.clients.fc import FcClient

            client = FcClient.from_environment()
        except Exception:
            return None
        endpoint = client.endpoint
        client.close()
        try:
            httpx.get(endpoint + "/oss", timeout=2)
        except httpx.HTTPError:
            return None
        return endpoint

    @property
    def direct(self) -> bool:
        return self._store is not None

    def _http(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = httpx.request(method, f"{self.endpoint}/oss/{path}", timeout=120, **kwargs)
        if response.status_code >= 400:
            try:
                detail = response.json()
                message = f"{detail.get('ErrorCode')}: {detail.get('ErrorMessage')}"
            except ValueError:
                message = f"HTTP {response.status_code}"
            raise click.ClickException(message)
        return response

    def _direct(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        from fcbackend.oss.store import OssError

        try:
            return fn(*args, **kwargs)
        except OssError as exc:
            raise click.ClickException(f"{exc.code}: {exc.message}") from None

    def put(self, bucket: str, key: str, data: bytes, content_type: str | None) -> None:
        if self.direct:
            self._direct(self._store.put, bucket, key, data, content_type)
        else:
            self._http(
                "PUT",
                f"{bucket}/{quote(key)}",
                content=data,
                headers={"content-type": content_type or "application/octet-stream"},
            )

    def get(self, bucket: str, key: str) -> bytes:
        if self.direct:
            return self._direct(self._store.get, bucket, key)[1]
        return self._http("GET", f"{bucket}/{quote(key)}").content

    def delete(self, bucket: str, key: str) -> None:
        if self.direct:
            self._direct(self._store.delete, bucket, key)
        else:
            self._http("DELETE", f"{bucket}/{quote(key)}")

    def list(self, bucket: str, prefix: str, delimiter: str) -> tuple[list[dict[str, Any]], list[str]]:
        objects: list[dict[str, Any]] = []
        prefixes: list[str] = []
        marker = ""
        while True:
            if self.direct:
                page = self._direct(
                    self._store.list, bucket, prefix=prefix, delimiter=delimiter, marker=marker
                )
                objects += [o.to_dict() for o in page.objects]
                prefixes += page.common_prefixes
                truncated, marker = page.truncated, page.next_marker or ""
            else:
                body = self._http(
                    "GET", bucket, params={"prefix": prefix, "delimiter": delimiter, "marker": marker}
                ).json()
                objects += body["objects"]
                prefixes += body["commonPrefixes"]
                truncated, marker = body["isTruncated"], body.get("nextMarker", "")
            if not truncated:
                return objects, prefixes

    def buckets(self) -> builtins.list[str]:
        if self.direct:
            return self._store.list_buckets()
        return httpx.get(f"{self.endpoint}/oss", timeout=30).json()["buckets"]

    def make_bucket(self, bucket: str) -> None:
        if self.direct:
            self._direct(self._store.create_bucket, bucket)
        else:
            self._http("PUT", bucket)

    def remove_bucket(self, bucket: str) -> None:
        if self.direct:
            self._direct(self._store.delete_bucket, bucket)
        else:
            self._http("DELETE", bucket)

    def note(self) -> None:
        if self.direct:
            click.echo(
                "note: no FC backend is running; the store was changed directly and no OSS triggers fired",
                err=True,
            )


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
    transport.note()


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
    transport.note()


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
