"""The ROS callbacks service: issues signed handle URLs and custom-resource response URLs, checks
and records what arrives on them, and wakes the engine's long polls the moment it does.

Signal bodies are ROS's: a JSON object ``{"status": "SUCCESS"|"FAILURE"|"WARNING", "reason"?,
"data"?, "id"?}``; a signal with the id of an earlier one replaces it, one without an id gets the
next number (``"1"``, ``"2"``, ...). Responses are ROS's custom-resource responses:
``{"Status": "SUCCESS"|"FAILED", "Reason"?, "RequestId", "LogicalResourceId"?, "StackId"?,
"PhysicalResourceId"?, "Data"?}``, at most 4096 KB. Anything else is refused with a 4xx naming what
is wrong — and the refusal is kept with the request, so the engine can say why the resource failed.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any

from fcbackend.roscallbacks.signing import SIGNED_FIELDS, handle_query, signature_matches
from fcbackend.roscallbacks.store import CallbackStore, Handle, PendingRequest, Signal

SIGNAL_STATUSES = ("SUCCESS", "FAILURE", "WARNING")
RESPONSE_STATUSES = ("SUCCESS", "FAILED")
MAX_SIGNAL_BYTES = 1024 * 1024
MAX_RESPONSE_BYTES = 4096 * 1024  # ROS's limit for a custom resource's response
MAX_UNIQUE_ID = 64  # SignalResource's UniqueId: 1-64 characters
# How long a handle URL works. INFERRED: ROS does not document it; a WaitCondition waits at most
# 43200 s, and a stack update may wait on the same handle again later, so a week.
HANDLE_LIFETIME_S = 7 * 24 * 3600
HANDLE_PATH = "/waitcondition"
RESPONSE_PATH = "/ros-callback"


class CallbackError(Exception):
    """A refused callback: HTTP status, error code and a message for whoever sent it."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _json_object(body: bytes, limit: int, what: str) -> dict[str, Any]:
    if len(body) > limit:
        raise CallbackError(
            413, "BodyTooLarge", f"the {what} is {len(body)} bytes; at most {limit} are accepted"
        )
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CallbackError(400, "InvalidJSON", f"the {what} is not a JSON object: {exc}") from None
    if not isinstance(data, dict):
        raise CallbackError(
            400, "InvalidJSON", f"the {what} must be a JSON object, not {type(data).__name__}"
        )
    return data


def curl_commands(url: str, region: str) -> dict[str, Any]:
    """A handle's attributes in ROS's shape: the same URL in a POSIX shell ``curl`` (``&`` escaped,
    as ROS writes it), a Windows ``curl`` (URL in double quotes) and a PowerShell call, plus the
    headers every signal carries. Templates append ``-d '{"status": "SUCCESS"}'`` to the CLIs."""
    headers = {"Content-Type": "application/json", "Accept": "application/json", "x-acs-region-id": region}
    posix_headers = " ".join(f"-H '{k}: {v}'" for k, v in headers.items())
    windows_headers = " ".join(f'-H "{k}: {v}"' for k, v in headers.items())
    power_headers = "; ".join(f'"{k}"="{v}"' for k, v in headers.items() if k != "Content-Type")
    return {
        "URL": url,
        "Headers": headers,
        "CurlCli": f"curl -i -X POST {posix_headers} {url.replace('&', chr(92) + '&')}",
        "WindowsCurlCli": f'curl -i -X POST {windows_headers} "{url}"',
        "PowerShellCurlCli": (
            f'Invoke-WebRequest -UseBasicParsing -Method Post -ContentType "application/json" '
            f'-Headers @{{{power_headers}}} -Uri "{url}"'
        ),
    }


class RosCallbacks:
    def __init__(self, store: CallbackStore, *, clock: Callable[[], float] = time.time):
        self.store = store
        self.clock = clock
        self._changed: dict[str, asyncio.Event] = {}
        # Where URLs point: the endpoint the engine reached the service at, unless a front that
        # every function can reach (the *.aliyuncs.com gateway, in every network namespace) says
        # it serves /waitcondition and /ros-callback/ too (set_public_base).
        self.public_base: str | None = None

    def set_public_base(self, base_url: str | None) -> None:
        """Issue handle and response URLs on ``base_url`` (``http://host[:port]``) from now on."""
        self.public_base = base_url.rstrip("/") if base_url else None

    def _base(self, asked_at: str) -> str:
        return self.public_base or asked_at.rstrip("/")

    # -- waking the engine's long polls ----------------------------------------------------------
    def _notify(self, key: str) -> None:
        event = self._changed.pop(key, None)
        if event is not None:
            event.set()

    async def _changed_within(self, key: str, seconds: float) -> None:
        event = self._changed.setdefault(key, asyncio.Event())
        try:
            await asyncio.wait_for(event.wait(), timeout=max(seconds, 0.0))
        except TimeoutError:
            pass

    @staticmethod
    def _handle_key(stack_id: str, logical_id: str) -> str:
        return f"handle:{stack_id}/{logical_id}"

    # -- handles --------------------------------------------------------------------------------
    def issue_handle(
        self,
        base_url: str,
        *,
        stack_name: str,
        stack_id: str,
        logical_id: str,
        region: str,
        mode: str = "Full",
        count: int = -1,
    ) -> dict[str, Any]:
        """Create (or, for a handle that exists, update) a handle; returns its attributes.

        On update, ROS's rules: ``Increment`` forgets every earlier signal; ``Full`` forgets those
        whose id is a number above ``Count`` (when ``Count`` >= 0), which needs numeric ids."""
        if mode not in ("Full", "Increment"):
            raise CallbackError(400, "InvalidParameter", f"Mode must be Full or Increment, not {mode!r}")
        existing = self.store.get_handle(stack_id, logical_id)
        if existing is not None:
            self._prune(existing, mode, count)
        expire = int(self.clock()) + HANDLE_LIFETIME_S
        self.store.put_handle(Handle(stack_id, logical_id, stack_name, region, mode, count, expire))
        query = handle_query(self.store.secret(), stack_name, stack_id, logical_id, expire)
        return curl_commands(f"{self._base(base_url)}{HANDLE_PATH}?{query}", region)

    def _prune(self, handle: Handle, mode: str, count: int) -> None:
        signals = self.store.signals(handle.stack_id, handle.logical_id)
        if mode == "Increment":
            doomed = [s.unique_id for s in signals]
        elif count >= 0:
            odd = [s.unique_id for s in signals if not s.unique_id.isdigit()]
            if odd:
                raise CallbackError(
                    409,
                    "InvalidSignalId",
                    f"handle {handle.logical_id} keeps signals up to Count {count} in Full mode, which needs "
                    f"numeric signal ids; these are not: {', '.join(odd)}",
                )
            doomed = [s.unique_id for s in signals if int(s.unique_id) > count]
        else:
            doomed = []
        if doomed:
            self.store.delete_signals(handle.stack_id, handle.logical_id, doomed)

    def delete_handle(self, stack_id: str, logical_id: str) -> None:
        self.store.delete_handle(stack_id, logical_id)
        self._notify(self._handle_key(stack_id, logical_id))

    def _handle(self, stack_id: str, logical_id: str) -> Handle:
        handle = self.store.get_handle(stack_id, logical_id)
        if handle is None:
            raise CallbackError(
                404,
                "HandleNotFound",
                f"no WaitConditionHandle {logical_id} in stack {stack_id}: it was deleted or never existed",
            )
        return handle

    def signal_from_url(self, query: Mapping[str, str], body: bytes) -> Signal:
        """A signal POSTed to a handle URL: the signature and expiry are checked first."""
        missing = [name for name in (*SIGNED_FIELDS, "signature") if not query.get(name)]
        if missing:
            raise CallbackError(400, "MissingParameter", f"the signal URL lacks {', '.join(missing)}")
        values = {name: query[name] for name in SIGNED_FIELDS}
        if not signature_matches(self.store.secret(), values, query["signature"]):
            raise CallbackError(
                403,
                "InvalidSignature",
                "the signal URL's signature does not match: use the URL (or CurlCli) of the handle unchanged",
            )
        if int(values["expire"]) < self.clock():
            raise CallbackError(
                403, "SignalURLExpired", "the signal URL has expired; update the stack for a new one"
            )
        handle = self._handle(values["stackid"], values["resource"])
        return self.record_signal(handle, body)

    def signal_by_hand(self, stack_id: str, logical_id: str, body: bytes) -> Signal:
        """SignalResource: a signal given through the engine rather than the URL."""
        return self.record_signal(self._handle(stack_id, logical_id), body)

    def record_signal(self, handle: Handle, body: bytes) -> Signal:
        data = _json_object(body, MAX_SIGNAL_BYTES, "signal body")
        status = str(data.get("status") or data.get("Status") or "").upper()
        if status not in SIGNAL_STATUSES:
            raise CallbackError(
                400,
                "InvalidSignal",
                f"a signal needs status SUCCESS, FAILURE or WARNING, got {data.get('status')!r}",
            )
        if handle.finished and handle.waiters == 0:
            raise CallbackError(
                409,
                "WaitConditionFinished",
                f"the wait on handle {handle.logical_id} of stack {handle.stack_name} has finished "
                f"({handle.finished}); the signal was not recorded",
            )
        unique_id = data.get("id", data.get("UniqueId"))
        signals = self.store.signals(handle.stack_id, handle.logical_id)
        if unique_id is None or unique_id == "":
            taken = {s.unique_id for s in signals}
            number = len(signals) + 1
            while str(number) in taken:
                number += 1
            unique_id = str(number)
        unique_id = str(unique_id)
        if len(unique_id) > MAX_UNIQUE_ID:
            raise CallbackError(400, "InvalidSignal", f"a signal id has at most {MAX_UNIQUE_ID} characters")
        reason = data.get("reason", data.get("Reason"))
        signal = Signal(
            unique_id,
            status,
            "" if reason is None else str(reason),
            data.get("data", data.get("Data")),
            self.clock(),
        )
        stored = self.store.put_signal(handle.stack_id, handle.logical_id, signal)
        self._notify(self._handle_key(handle.stack_id, handle.logical_id))
        return stored

    def begin_wait(self, stack_id: str, logical_id: str) -> None:
        self._handle(stack_id, logical_id)
        self.store.set_waiting(stack_id, logical_id, +1, "")

    def end_wait(self, stack_id: str, logical_id: str, outcome: str) -> None:
        self.store.set_waiting(stack_id, logical_id, -1, outcome or "finished")

    async def wait_signals(self, stack_id: str, logical_id: str, after: int, wait_s: float) -> dict[str, Any]:
        """The handle's signals, as soon as one newer than ``after`` (a seq) is there, or after
        ``wait_s`` seconds; ``gone`` when the handle was deleted meanwhile."""
        key = self._handle_key(stack_id, logical_id)
        deadline = time.monotonic() + wait_s
        while True:
            handle = self.store.get_handle(stack_id, logical_id)
            signals = self.store.signals(stack_id, logical_id) if handle else []
            newest = max((s.seq for s in signals), default=0)
            left = deadline - time.monotonic()
            if handle is None or newest > after or left <= 0:
                return {"gone": handle is None, "signals": [s.as_api() for s in signals]}
            await self._changed_within(key, left)

    # -- custom-resource requests ----------------------------------------------------------------
    @staticmethod
    def _request_key(request_id: str) -> str:
        return f"request:{request_id}"

    def register_request(self, base_url: str, *, request_id: str, stack_id: str, logical_id: str) -> str:
        """Expect one response for ``request_id``; returns the ResponseURL to send with it."""
        if not request_id or len(request_id) > 128:
            raise CallbackError(400, "InvalidParameter", "a request id of 1-128 characters is required")
        if self.store.request_by_id(request_id) is not None:
            raise CallbackError(409, "RequestExists", f"request {request_id} is already registered")
        token = secrets.token_urlsafe(24)
        self.store.add_request(PendingRequest(request_id, token, stack_id, logical_id, self.clock()))
        return f"{self._base(base_url)}{RESPONSE_PATH}/{token}"

    def record_response(self, token: str, body: bytes) -> PendingRequest:
        request = self.store.request_by_token(token)
        if request is None:
            raise CallbackError(
                404, "RequestNotFound", "this ResponseURL is not (or no longer) waiting for a response"
            )
        try:
            response = self._check_response(request, body)
        except CallbackError as exc:
            self.store.add_refusal(request.request_id, exc.message)
            self._notify(self._request_key(request.request_id))
            raise
        self.store.set_response(request.request_id, response)
        self._notify(self._request_key(request.request_id))
        return request

    def _check_response(self, request: PendingRequest, body: bytes) -> dict[str, Any]:
        if request.response is not None:
            raise CallbackError(
                409,
                "AlreadyResponded",
                f"request {request.request_id} already has a response; only one counts",
            )
        data = _json_object(body, MAX_RESPONSE_BYTES, "custom resource response")
        status = data.get("Status")
        if status not in RESPONSE_STATUSES:
            got = "no Status" if status is None else f"Status {status!r}"
            raise CallbackError(
                400, "InvalidResponse", f'the response has {got}; it must be "SUCCESS" or "FAILED"'
            )
        if data.get("RequestId") != request.request_id:
            raise CallbackError(
                400,
                "InvalidResponse",
                f"the response's RequestId {data.get('RequestId')!r} is not the request's "
                f"({request.request_id!r}); send back the RequestId of the request",
            )
        for key, expected in (("LogicalResourceId", request.logical_id), ("StackId", request.stack_id)):
            if data.get(key) not in (None, "", expected):
                raise CallbackError(
                    400,
                    "InvalidResponse",
                    f"the response's {key} {data.get(key)!r} is not the request's ({expected!r})",
                )
        if "Data" in data and data["Data"] is not None and not isinstance(data["Data"], dict):
            raise CallbackError(400, "InvalidResponse", "the response's Data must be a JSON object")
        return data

    async def wait_response(self, request_id: str, wait_s: float, known_refusals: int = 0) -> dict[str, Any]:
        """``{"Response": ... | None, "Refusals": [...]}`` as soon as a response arrives or there
        are more than ``known_refusals`` refusals, or after ``wait_s`` seconds."""
        key = self._request_key(request_id)
        deadline = time.monotonic() + wait_s
        while True:
            request = self.store.request_by_id(request_id)
            if request is None:
                raise CallbackError(404, "RequestNotFound", f"no custom-resource request {request_id}")
            left = deadline - time.monotonic()
            if request.response is not None or len(request.refusals) > known_refusals or left <= 0:
                return {"Response": request.response, "Refusals": request.refusals}
            await self._changed_within(key, left)

    def forget_request(self, request_id: str) -> None:
        self.store.delete_request(request_id)
