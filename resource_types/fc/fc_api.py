"""How the FC providers speak the FC API: property-to-API casing, code packaging, error mapping, ARNs.

Why a module of its own: every FC provider turns ROS's PascalCase properties into the FC REST API's
camelCase JSON the same way, and three of them (Function, Layer, and the local-code extension)
package code the same way.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from resource_types.base import ProviderContext, ProviderError, ResourceNotFound

T = TypeVar("T")

# Property names whose API spelling is not "lower the first letter".
_SPECIAL_KEYS = {
    "CAPort": "caPort",
    "InstanceId": "instanceID",
    "CustomDNS": "customDNS",
    "HttpGetUrl": "httpGetUrl",
    "HTTPGetUrl": "httpGetUrl",
}
# Maps whose keys are user data and must be kept exactly as written.
_FREE_FORM = {"EnvironmentVariables", "Params", "environmentVariables", "params"}


def api_key(name: str) -> str:
    if name in _SPECIAL_KEYS:
        return _SPECIAL_KEYS[name]
    return name[:1].lower() + name[1:] if name else name


def to_api(value: Any, *, key: str | None = None) -> Any:
    """PascalCase ROS property values -> camelCase FC API JSON (recursively, free-form maps kept)."""
    if isinstance(value, dict):
        if key in _FREE_FORM:
            return {k: ("" if v is None else str(v)) for k, v in value.items()}
        return {api_key(k): to_api(v, key=k) for k, v in value.items()}
    if isinstance(value, list):
        return [to_api(v, key=key) for v in value]
    return value


def function_arn(ctx: ProviderContext, service: str, function: str, qualifier: str | None = None) -> str:
    svc = f"{service}.{qualifier}" if qualifier else service
    return f"acs:fc:{ctx.region}:{ctx.account_id}:services/{svc}/functions/{function}"


def service_arn(ctx: ProviderContext, service: str) -> str:
    return f"acs:fc:{ctx.region}:{ctx.account_id}:services/{service}"


_SOURCE_EXTENSION = (("python", ".py"), ("nodejs", ".js"), ("php", ".php"))


def zip_files(files: dict[str, bytes], modes: dict[str, int] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(files.items()):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            mode = (modes or {}).get(name, 0o644)
            info.external_attr = (mode | 0o755 if name == "bootstrap" else mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()


def _zip_directory(root: Path, ignored: Callable[[Path], bool] | None = None) -> bytes:
    """A directory as a zip (file modes kept, a ``bootstrap`` at the top made executable); files
    and directories ``ignored`` answers true for are left out."""
    files: dict[str, bytes] = {}
    modes: dict[str, int] = {}
    pending = [root]
    while pending:
        directory = pending.pop()
        for path in sorted(directory.iterdir()):
            if ignored is not None and ignored(path):
                continue
            if path.is_dir():
                if not path.is_symlink():  # as before: a linked directory is not followed
                    pending.append(path)
            elif path.is_file():
                rel = path.relative_to(root).as_posix()
                files[rel] = path.read_bytes()
                modes[rel] = path.stat().st_mode & 0o777
    if "bootstrap" in modes:
        modes["bootstrap"] |= 0o111
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = modes[name] << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, files[name])
    return buf.getvalue()


def ignore_matcher(code: dict[str, Any], base: Path) -> Callable[[Path], bool] | None:
    """What ``Code.IgnorePatterns`` and the file ``Code.IgnoreFile`` (gitignore syntax, both
    relative to ``base``, the template's directory) leave out of a package; None for nothing."""
    lines = [str(p) for p in code.get("IgnorePatterns") or []]
    if code.get("IgnoreFile"):
        ignore_file = base / str(code["IgnoreFile"])
        if ignore_file.is_file():
            lines += ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
    if not lines:
        return None
    import pathspec  # ~15 ms to import: only for code packages with ignore patterns

    spec = pathspec.GitIgnoreSpec.from_lines(lines)

    def ignored(path: Path) -> bool:
        try:
            rel = path.relative_to(base).as_posix()
        except ValueError:
            return False
        return spec.match_file(rel + "/" if path.is_dir() else rel)

    return ignored


def code_to_api(
    code: dict[str, Any] | None, runtime: str | None, ctx: ProviderContext
) -> dict[str, Any] | None:
    """ROS ``Code`` -> FC API ``code``.

    Precedence as ROS documents it: ZipFile > SourceCode > OSS pair. ``SourceCode`` is written into
    a file named ``index`` plus the runtime's extension (``index.py`` for python*, ``index.js`` for
    nodejs*; the extension is UNCONFIRMED in ROS's docs — we pick what makes ``index.handler`` work)
    and zipped. Our extension for people working on their own machine: ``LocalPath`` — a directory,
    a single file or a .zip/.jar archive (relative paths are taken from the template's directory,
    else the current one), packaged here and uploaded as a zip; ``IgnorePatterns``/``IgnoreFile``
    leave files of a directory out (what the serverless transform sets from Funcraft's rules).
    """
    if not code:
        return None
    if code.get("ZipFile"):
        zip_b64 = str(code["ZipFile"])
        try:
            base64.b64decode(zip_b64, validate=False)
        except ValueError as exc:
            raise ProviderError(f"Code.ZipFile is not valid base64: {exc}") from exc
        return {"zipFile": zip_b64}
    if code.get("SourceCode") is not None:
        ext = next((e for prefix, e in _SOURCE_EXTENSION if (runtime or "").startswith(prefix)), "")
        data = zip_files({f"index{ext}": str(code["SourceCode"]).encode("utf-8")})
        return {"zipFile": base64.b64encode(data).decode("ascii")}
    if code.get("OssBucketName") or code.get("OssObjectName"):
        if not (code.get("OssBucketName") and code.get("OssObjectName")):
            raise ProviderError("Code.OssBucketName and Code.OssObjectName must be given together")
        return {"ossBucketName": code["OssBucketName"], "ossObjectName": code["OssObjectName"]}
    if code.get("LocalPath"):
        base = Path(ctx.template_dir or os.getcwd())
        path = Path(str(code["LocalPath"])).expanduser()
        if not path.is_absolute():
            path = base / path
        if path.is_dir():
            data = _zip_directory(path, ignore_matcher(code, base))
        elif path.is_file() and zipfile.is_zipfile(path):
            data = path.read_bytes()
        elif path.is_file():
            mode = path.stat().st_mode & 0o777
            data = zip_files({path.name: path.read_bytes()}, modes={path.name: mode})
        else:
            raise ProviderError(f"Code.LocalPath {path} does not exist", code="InvalidArgument")
        return {"zipFile": base64.b64encode(data).decode("ascii")}
    raise ProviderError("Code needs one of ZipFile, SourceCode, OssBucketName+OssObjectName or LocalPath")


def drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


@contextlib.contextmanager
def fc_errors(action: str) -> Iterator[None]:
    """Turn FC API errors into provider errors whose message says what we were doing.

    Why: the stack's event log should read "creating function svc/fn: InvalidArgument: ..."
    rather than a bare client exception; a 404 becomes :class:`ResourceNotFound`, which the
    engine treats as "already gone" on delete.
    """
    from rosengine.clients.fc import FcApiError, FcNotFound

    try:
        yield
    except FcNotFound as exc:
        raise ResourceNotFound(f"{action}: {exc.error_code}: {exc.message}") from exc
    except FcApiError as exc:
        raise ProviderError(
            f"{action}: {exc.error_code}: {exc.message}", code=exc.error_code or "FcApiError"
        ) from exc


def delete_ignoring_missing(
    action: str,
    call: Callable[[], object],
    ctx: ProviderContext,
    *,
    retry_codes: frozenset[str] = frozenset(),
    grace_s: float = 15.0,
) -> None:
    """Run a delete call; a resource already gone counts as deleted.

    ``retry_codes`` (e.g. ``ServiceNotEmpty``) are retried with backoff for ``grace_s`` seconds
    (never past the stack deadline): children declared without a reference to their parent are
    deleted by the engine in parallel with it, and go first within milliseconds.
    """
    from rosengine.clients.fc import FcApiError, FcNotFound

    deadline = time.monotonic() + min(grace_s, max(ctx.deadline(), 0.0))
    delay = 0.02
    while True:
        try:
            call()
            return
        except FcNotFound:
            return
        except FcApiError as exc:
            if exc.error_code not in retry_codes or time.monotonic() >= deadline:
                raise ProviderError(
                    f"{action}: {exc.error_code}: {exc.message}", code=exc.error_code or "FcApiError"
                ) from exc
        time.sleep(delay)  # backoff between retries of a conflicting delete, not synchronisation
        delay = min(delay * 2, 0.5)


def lookup(call: Callable[[], T]) -> T | None:
    """The result of a get call, or None when the resource does not exist (for ``read``)."""
    from rosengine.clients.fc import FcNotFound

    try:
        return call()
    except FcNotFound:
        return None


def split_id(physical_id: str, parts: int, what: str) -> list[str]:
    """Split a composite physical id (``service|function|trigger``); a clear error if malformed."""
    pieces = physical_id.split("|", parts - 1)
    if len(pieces) != parts or not all(pieces):
        raise ProviderError(f"malformed physical id {physical_id!r} for {what}")
    return pieces


def whole_number(value: Any) -> int | None:
    """``ExecuteVersion`` as the integer it names (``2``, ``"2"``, ``2.0``); None for anything else."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number == int(number) else None


def invocation_error_message(body: bytes, error_type: str | None) -> str:
    """What a failed invocation says, from its body: FC's ``errorType: errorMessage`` when the
    body is FC's error JSON, else the body itself (or the error type)."""
    text = body.decode("utf-8", errors="replace")
    try:
        data = json.loads(text)
    except ValueError:
        return text or (error_type or "the function failed")
    if isinstance(data, dict):
        message = data.get("errorMessage") or data.get("ErrorMessage") or text
        kind = data.get("errorType") or data.get("ErrorCode") or error_type
        return f"{kind}: {message}" if kind else str(message)
    return text
