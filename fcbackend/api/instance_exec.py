"""``GET (WebSocket) /2016-08-15/services/{svc}.{q}/functions/{fn}/instances/{id}/exec``: run a
command inside a running instance (FC "CLI-based instance management", docs/reference/fc-api.md#rest-api).

Query parameters: ``command`` (repeatable: the argv), ``stdin``, ``stdout``, ``stderr``, ``tty``
(booleans) and ``idleTimeout`` (seconds without traffic either way before the command is killed).
Defaults (UNCONFIRMED, FC does not document them): stdout and stderr on, stdin and tty off,
idleTimeout 600 s (the FC console's 10-minute idle disconnect).

The upgrade request is signed like every API call (the request middleware only checks HTTP
requests, so the signature is verified here, before accepting). Everything that can fail before
the command runs — signature, unknown function, unknown instance (404 ``InstanceNotFound``), no
``command`` (400) — is answered as a plain JSON error response instead of an upgrade, so clients
see the same error bodies as the rest of the API.

Framing, as the official aliyun-fc2 SDK (``ExecWebsocket``) reads and writes it: every message's
first character is its channel — ``0`` stdin (client to server), ``1`` stdout, ``2`` stderr,
``3`` error — followed by the payload. The SDK uses text messages; so do we while the output is
valid UTF-8 (decoded incrementally, so a character split between two reads is not mangled), and
send a binary message (first byte = channel) for output that is not. Both kinds are accepted
from the client. Choices beyond what the SDK shows (UNCONFIRMED, Kubernetes-style):

* channel ``3`` carries a JSON status only when the command fails or the session is ended by the
  server: ``{"status": "Failure", "reason": "NonZeroExitCode", "exitCode": 3, "message": ...}``
  (also ``IdleTimeout``, ``InternalError``). A command that exits 0 sends nothing on it; the
  server then closes the WebSocket normally (1000). The SDK reports channel 3 as an error, which
  is what a failed command is to its callers.
* ``\\x00`` with an empty payload, or the Kubernetes v5 close-channel message ``\\xff\\x00``, closes
  the command's stdin (end of file).
* channel ``4`` carries a terminal resize for ``tty`` sessions: ``{"Width": 80, "Height": 24}``.

A session counts as use of the instance (FC: the WebSocket keeps the instance active): its
last-used time is refreshed while the session lasts, so the idle reaper does not stop it under
the command. It takes none of the instance's concurrency (FC documents the same).
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import json
import math
import time
import uuid
from collections.abc import Callable
from typing import Any

from starlette.responses import Response
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from fcbackend.api.auth import API_PREFIX, check_access
from fcbackend.api.errors import FcError, error_body, invalid, not_found
from fcbackend.api.http import backend, function_target
from fcbackend.instances.driver import Instance
from fcbackend.instances.exec import STDERR, ExecError, ExecOptions, ExecSession, start_exec

P = "/2016-08-15"
STDIN, STDOUT_CHANNEL, STDERR_CHANNEL, ERROR_CHANNEL, RESIZE_CHANNEL, CLOSE_CHANNEL = 0, 1, 2, 3, 4, 255
DEFAULT_IDLE_TIMEOUT_S = 600.0
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


def parse_options(websocket: WebSocket) -> tuple[ExecOptions, float]:
    """The exec options and idle timeout from the query string; 400 on anything malformed."""
    query = websocket.query_params
    command = query.getlist("command")
    if not command or not command[0]:
        raise invalid(
            "the query parameter 'command' is required (repeat it for each argument, "
            "e.g. ?command=ls&command=-l)"
        )
    flags = {
        name: _flag(query.get(name), name, default)
        for name, default in (("stdin", False), ("stdout", True), ("stderr", True), ("tty", False))
    }
    raw_idle = query.get("idleTimeout")
    idle = DEFAULT_IDLE_TIMEOUT_S
    if raw_idle not in (None, ""):
        try:
            idle = float(raw_idle)
        except ValueError:
            idle = math.nan
        if not math.isfinite(idle) or idle <= 0:
            raise invalid(
                f"the query parameter 'idleTimeout' must be a positive number of seconds, got '{raw_idle}'"
            )
    return ExecOptions(command=command, **flags), idle


def _flag(value: str | None, name: str, default: bool) -> bool:
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise invalid(f"the query parameter '{name}' must be true or false, got '{value}'")


def find_instance(websocket: WebSocket) -> tuple[Any, Instance]:
    """(the scheduler's record, the running instance) of the path's instance id; 404
    ``InstanceNotFound`` unless it is a running instance of the path's function. The qualifier
    of the path is not compared: instance ids are unique across versions."""
    _state, service, function, _qualifier = function_target(websocket)  # type: ignore[arg-type]
    instance_id = websocket.path_params["instance_id"]
    managed = backend(websocket).scheduler.running_instance(instance_id)  # type: ignore[arg-type]
    ours = managed is not None and (managed.spec.service, managed.spec.function) == (service, function)
    if managed is not None and managed.instance is not None and ours:
        return managed, managed.instance
    raise not_found(
        "InstanceNotFound",
        f"instance '{instance_id}' of function '{service}/{function}' does not "
        "exist or is not running (list them: GET .../instances)",
    )


async def instance_exec(websocket: WebSocket) -> None:
    # The request middleware gives ids to HTTP requests only.
    request_id = str(websocket.scope.setdefault("fc.request_id", str(uuid.uuid4())))
    try:
        state = backend(websocket)  # type: ignore[arg-type]
        if state.config.auth and websocket.url.path.startswith(API_PREFIX):
            check_access(state.config, state.access, {**websocket.scope, "method": "GET"})
        options, idle_timeout = parse_options(websocket)
        managed, instance = find_instance(websocket)
        session = await start_exec(instance, options)
    except FcError as err:
        await _deny(websocket, err, request_id)
        return
    except ExecError as exc:
        await _deny(websocket, FcError(400, "InvalidArgument", str(exc)), request_id)
        return
    await websocket.accept()
    scheduler = backend(websocket).scheduler  # type: ignore[arg-type]
    await ExecBridge(websocket, session, managed, idle_timeout, scheduler.now).run()


async def _deny(websocket: WebSocket, err: FcError, request_id: str) -> None:
    """A plain HTTP error instead of the upgrade where the server can send one, else a close
    whose reason carries the error code (4000 + HTTP status)."""
    body = json.dumps(error_body(err.code, err.message, request_id or None)).encode()
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(
            Response(
                body,
                status_code=err.status,
                media_type="application/json",
                headers={"x-fc-request-id": request_id},
            )
        )
        return
    await websocket.close(code=4000 + err.status, reason=f"{err.code}: {err.message}"[:120])


class ExecBridge:
    """Moves bytes between one WebSocket and one :class:`ExecSession` until the command ends,
    the client goes away, or nothing moved for ``idle_timeout`` seconds."""

    def __init__(
        self,
        websocket: WebSocket,
        session: ExecSession,
        managed: Any,
        idle_timeout: float,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.websocket = websocket
        self.clock = clock
        self.session = session
        self.managed = managed
        self.idle_timeout = idle_timeout
        self._loop = asyncio.get_running_loop()
        self._last_activity = self._loop.time()
        self._decoders = {
            STDOUT_CHANNEL: codecs.getincrementaldecoder("utf-8")(),
            STDERR_CHANNEL: codecs.getincrementaldecoder("utf-8")(),
        }

    def _touch(self) -> None:
        self._last_activity = self._loop.time()
        self._keep_instance()

    async def run(self) -> None:
        output = asyncio.ensure_future(self._forward_output())
        client = asyncio.ensure_future(self._forward_input())
        idle = asyncio.ensure_future(self._watch_idle())
        try:
            done, _ = await asyncio.wait({output, client, idle}, return_when=asyncio.FIRST_COMPLETED)
            if output in done and output.exception() is None:
                code = await self.session.wait()
                if code != 0:
                    await self._send_status(
                        "NonZeroExitCode", f"command terminated with exit code {code}", code
                    )
                await self._close(1000)
            elif idle in done:
                await self.session.kill()
                await self._send_status(
                    "IdleTimeout",
                    f"no input or output for {self.idle_timeout:g}s: the command was killed",
                    None,
                )
                await self._close(1000)
            elif output in done:
                await self._send_status("InternalError", f"exec failed: {output.exception()}", None)
                await self._close(1011)
            # else: the client went away; the command is killed below.
        finally:
            for task in (output, client, idle):
                task.cancel()
            await self.session.kill()
            self._touch()

    async def _forward_output(self) -> None:
        while (chunk := await self.session.read()) is not None:
            stream, data = chunk
            channel = STDERR_CHANNEL if stream == STDERR else STDOUT_CHANNEL
            self._touch()
            await self._send(channel, data)
        for channel in self._decoders:
            await self._send(channel, b"", final=True)

    async def _send(self, channel: int, data: bytes, *, final: bool = False) -> None:
        """Text while the stream is UTF-8 (what the SDK reads); the raw bytes — with any partial
        character held back from the previous chunk — as a binary message when it is not."""
        decoder = self._decoders[channel]
        held = decoder.getstate()[0]
        try:
            text = decoder.decode(data, final=final)
        except UnicodeDecodeError:
            decoder.reset()
            await self.websocket.send_bytes(bytes([channel]) + held + data)
            return
        if text:
            await self.websocket.send_text(chr(channel) + text)

    async def _forward_input(self) -> None:
        while True:
            try:
                message = await self.websocket.receive()
            except WebSocketDisconnect:
                return
            if message["type"] == "websocket.disconnect":
                return
            payload: bytes | None = message.get("bytes")
            if payload is None:
                payload = (message.get("text") or "").encode("utf-8")
            if not payload:
                continue
            self._touch()
            channel, data = payload[0], payload[1:]
            if channel == STDIN:
                if data:
                    await self.session.write_stdin(data)
                else:
                    await self.session.close_stdin()
            elif channel == CLOSE_CHANNEL and data[:1] == bytes([STDIN]):
                await self.session.close_stdin()
            elif channel == RESIZE_CHANNEL:
                with contextlib.suppress(ValueError, TypeError, AttributeError):
                    size = json.loads(data)
                    await self.session.resize(int(size.get("Width", 0)), int(size.get("Height", 0)))

    async def _watch_idle(self) -> None:
        while True:
            remaining = self._last_activity + self.idle_timeout - self._loop.time()
            if remaining <= 0:
                return
            # Wake at least every second: that also refreshes the instance's last-used time.
            await asyncio.sleep(min(remaining, 1.0))
            self._keep_instance()

    def _keep_instance(self) -> None:
        """Count the session as use of the instance, on the scheduler's own clock."""
        with contextlib.suppress(Exception):
            self.managed.last_used = max(self.managed.last_used, self.clock())

    async def _send_status(self, reason: str, message: str, exit_code: int | None) -> None:
        status: dict[str, Any] = {"status": "Failure", "reason": reason, "message": message}
        if exit_code is not None:
            status["exitCode"] = exit_code
        with contextlib.suppress(Exception):
            await self.websocket.send_text(chr(ERROR_CHANNEL) + json.dumps(status))

    async def _close(self, code: int) -> None:
        with contextlib.suppress(Exception):
            await self.websocket.close(code)


ROUTES = [
    WebSocketRoute(
        f"{P}/services/{{service}}/functions/{{function}}/instances/{{instance_id}}/exec", instance_exec
    ),
]
